"""lifecycle.recategorise: the right clock counted from the original receipt, and what it does to the promise's state."""

import pytest

from desk.charter.model import Clocks
from desk.tickets import lifecycle
from desk.tickets.enums import Category, TicketStatus
from desk.tickets.lifecycle import Refusal, Transition, TransitionError
from tests import factories
from tests.conftest import at

RECEIVED = at("2026-11-23T10:15:00+09:00")  # Monday morning in Seoul
NOW = at("2026-11-24T11:00:00+09:00")


async def opened(session, charter, category=Category.INQUIRY, **options):
    return await factories.ticket(session, charter, received_at=RECEIVED, category=category, **options)


async def test_the_promise_is_the_new_clock_counted_from_the_original_receipt(store, charter):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter)
        assert ticket.number == "I-1001" and ticket.remind_at is not None
        old_due = ticket.due_at
        change = lifecycle.recategorise(ticket, charter=charter, category=Category.COMPLAINT)
        # Counted from Monday's receipt, not from now (Tuesday): 15 days, 8 December.
        assert ticket.due_at == charter.due_at(Category.COMPLAINT, RECEIVED) == at("2026-12-08T23:59:59+09:00")
        assert ticket.due_at != charter.due_at(Category.COMPLAINT, NOW)
        assert ticket.remind_at == charter.remind_at(Category.COMPLAINT, ticket.due_at)  # the complaint clock has none
        assert ticket.category is Category.COMPLAINT and ticket.number == "C-1001"
        assert (change.from_category, change.from_number) == (Category.INQUIRY, "I-1001")
        assert (change.old_due, change.new_due, change.due_changed) == (old_due, ticket.due_at, True)
    async with store.unit_of_work() as session:
        stored = await session.get(type(ticket), ticket.id)
        assert stored.category is Category.COMPLAINT and stored.due_at == ticket.due_at


async def test_an_interim_is_superseded_the_reminder_rearmed_and_a_breach_kept(store, charter):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter, category=Category.COMPLAINT)
        await lifecycle.interim(session=session, ticket=ticket, charter=charter, reason="Waiting for records",
                                author_id=1002, new_due=None, now=NOW)
        lifecycle.mark_reminded(ticket, now=NOW)
        breach = at("2026-11-25T09:00:00+09:00")
        await lifecycle.record_breach(session=session, ticket=ticket, escalation="late", now=breach)
        lifecycle.recategorise(ticket, charter=charter, category=Category.INQUIRY)
        # The interim spoke of the complaint's promise: the breach sweep must not take it as covering the new one.
        assert ticket.interim_at is None and ticket.reminded_at is None
        assert ticket.remind_at == charter.remind_at(Category.INQUIRY, ticket.due_at)
        assert ticket.breached_at == breach  # a broken promise stays recorded


async def test_a_new_promise_already_past_is_kept_as_it_is_for_the_breach_sweep(store, charter):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter)
        # An appointment request is confirmed within one business day: Tuesday 18:00, gone by Thursday.
        change = lifecycle.recategorise(ticket, charter=charter, category=Category.APPOINTMENT_REQUEST)
        assert ticket.due_at == at("2026-11-24T18:00:00+09:00") == change.new_due
        assert ticket.status is TicketStatus.OPEN and ticket.breached_at is None  # the sweep records it


async def test_a_clock_of_the_same_length_changes_no_date(store, charter):
    same = charter.model_copy(update={"clocks": Clocks(
        inquiry=charter.clocks.inquiry, complaint=charter.clocks.inquiry,
        non_response_complaint=charter.clocks.non_response_complaint,
        appointment_request=charter.clocks.appointment_request,
    )})
    async with store.unit_of_work() as session:
        ticket = await opened(session, same)
        change = lifecycle.recategorise(ticket, charter=same, category=Category.COMPLAINT)
        assert not change.due_changed and ticket.number == "C-1001"


@pytest.mark.parametrize("status", [TicketStatus.ANSWERED, TicketStatus.CLOSED])
async def test_only_an_open_ticket_changes_category(store, charter, status):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter, status=status, answered_at=NOW)
        before = (ticket.category, ticket.due_at)
        with pytest.raises(TransitionError) as refused:
            lifecycle.recategorise(ticket, charter=charter, category=Category.COMPLAINT)
        assert refused.value.transition is Transition.RECATEGORISE and refused.value.refusal == Refusal(status)
        assert (ticket.category, ticket.due_at) == before


async def test_the_category_it_has_is_refused(store, charter):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter)
        with pytest.raises(TransitionError, match="it has that category already") as refused:
            lifecycle.recategorise(ticket, charter=charter, category=Category.INQUIRY)
        assert refused.value.refusal is Refusal.SAME_CATEGORY
