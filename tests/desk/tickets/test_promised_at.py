"""tickets.promised_at: the first promise, stored when a ticket opens; an interim's date or a reopen does not
move it, a change of category puts it on the right clock from the receipt."""

from datetime import timedelta

from desk.tickets import lifecycle
from desk.tickets.enums import Category
from tests.conftest import at
from tests.desk.tickets.test_lifecycle import NOW, RECEIVED, opened


async def test_the_first_promise_stays_through_interim_and_reopen(store, charter):
    first = charter.due_at(Category.INQUIRY, RECEIVED)
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter)
        assert ticket.promised_at == ticket.due_at == first
        await lifecycle.interim(session=session, ticket=ticket, charter=charter, reason="waiting", author_id=1002,
                                new_due=first + timedelta(days=10), now=NOW)
        assert ticket.due_at == first + timedelta(days=10) and ticket.promised_at == first
        await lifecycle.answer(session=session, ticket=ticket, text="done", author_id=1002, now=NOW)
        later = at("2026-12-10T10:00:00+09:00")
        lifecycle.reopen(ticket, charter=charter, now=later)
        assert ticket.due_at == charter.due_at(Category.INQUIRY, later) and ticket.promised_at == first


async def test_a_change_of_category_promises_the_right_clock_from_receipt(store, charter):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter)
        lifecycle.recategorise(ticket, charter=charter, category=Category.COMPLAINT)
        assert ticket.promised_at == ticket.due_at == charter.due_at(Category.COMPLAINT, RECEIVED)
