"""The deadline sweep after staff changed a ticket's category: the new promise is kept (or found broken) like any other."""

from datetime import timedelta

from conversation.promises import deadlines
from desk.tickets import lifecycle
from desk.tickets.enums import Category
from tests.conftest import at
from tests.conversation.promises.test_deadlines import (
    CITIZEN_CHAT, RECEIVED, entries, open_ticket, outbox_rows, run, ticket,
)


async def recategorise(store, desk, ticket_id: int, category: Category) -> None:
    async with store.unit_of_work() as session:
        row = await session.get(lifecycle.Ticket, ticket_id)
        lifecycle.recategorise(row, charter=desk.charter, category=category)


async def test_an_interim_for_the_old_promise_does_not_cover_the_new_one(store, desk):
    ticket_id = await open_ticket(store, desk, category="complaint")
    async with store.unit_of_work() as session:
        row = await session.get(lifecycle.Ticket, ticket_id)
        await lifecycle.interim(session=session, ticket=row, charter=desk.charter, reason="Waiting for records",
                                author_id=1002, new_due=None, now=at("2026-11-24T11:00:00+09:00"))
    await recategorise(store, desk, ticket_id, Category.INQUIRY)
    due = desk.charter.due_at(Category.INQUIRY, RECEIVED)
    assert await run(deadlines.handle_breaches, store, desk, due + timedelta(minutes=1)) == 1
    # The inquiry clock's interim goes out: the citizen heard of the complaint's promise, not of this one.
    [interim, *_] = await outbox_rows(store)
    assert interim.chat_id == CITIZEN_CHAT and interim.key.startswith(f"interim:{ticket_id}:")


async def test_a_new_promise_already_past_is_breached_once_at_the_next_sweep(store, desk):
    ticket_id = await open_ticket(store, desk)
    await recategorise(store, desk, ticket_id, Category.APPOINTMENT_REQUEST)  # due Tuesday 18:00
    thursday = at("2026-11-26T10:00:00+09:00")
    assert await run(deadlines.handle_breaches, store, desk, thursday) == 1
    assert await run(deadlines.handle_breaches, store, desk, thursday + timedelta(minutes=5)) == 0
    [escalation] = await entries(store)
    assert escalation.ticket_id == ticket_id and "A-1001" in escalation.text
    row = await ticket(store, ticket_id)
    assert row.breached_at == thursday and row.due_at == desk.charter.due_at(Category.APPOINTMENT_REQUEST, RECEIVED)
