"""Each transition of desk/tickets/lifecycle.py: what it writes, what it refuses, and the breached_at rule."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from desk.organisations.models import FIRST_ORGANISATION
from desk.tickets import lifecycle, service
from desk.tickets.enums import Category, TicketStatus
from desk.tickets.lifecycle import Refusal, Transition, TransitionError
from desk.tickets.models import Ticket, TicketEntry
from tests.conftest import at

RECEIVED = at("2026-11-23T10:15:00+09:00")  # Monday morning in Seoul
NOW = at("2026-11-24T11:00:00+09:00")
AGENT = 1002


async def opened(session, charter, category=Category.INQUIRY, **extra) -> Ticket:
    citizen = await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=700, language="en", now=RECEIVED)
    return await lifecycle.open_ticket(
        organisation_id=FIRST_ORGANISATION, session=session, charter=charter, citizen=citizen, category=category, language="en", text="Where?",
        received_at=RECEIVED, **extra,
    )


def in_memory(status: TicketStatus, charter, **columns) -> Ticket:
    """A ticket row not stored anywhere: enough for the transitions that write no history."""
    due = charter.due_at(Category.INQUIRY, RECEIVED)
    return Ticket(id=1, serial=1001, category=Category.INQUIRY, status=status, language="en", text="?", received_at=RECEIVED,
                  due_at=due, **columns)


async def history(session, ticket: Ticket) -> list[TicketEntry]:
    await session.flush()
    return list((await session.scalars(select(TicketEntry).where(TicketEntry.ticket_id == ticket.id))).all())


# --- the words ---------------------------------------------------------------------------------------


async def test_status_and_category_are_todays_strings_and_read_back_as_members(store, charter):
    assert [s.value for s in TicketStatus] == ["open", "answered", "closed"]
    assert [c.value for c in Category] == ["inquiry", "complaint", "non_response_complaint", "appointment_request"]
    assert TicketStatus.OPEN == "open" and f"utter_state_{TicketStatus.CLOSED}" == "utter_state_closed"
    async with store.unit_of_work() as session:
        ticket_id = (await opened(session, charter, category="complaint")).id
    async with store.unit_of_work() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket.status is TicketStatus.OPEN and ticket.category is Category.COMPLAINT
        assert ticket.number == "C-1001"
        # A query may still say "open": the column takes the string through the enum.
        assert await session.scalar(select(Ticket.id).where(Ticket.status == "open")) == ticket_id


async def test_a_misspelt_status_never_reaches_the_table(store, charter):
    with pytest.raises(Exception, match="'opened' is not a valid TicketStatus"):
        async with store.unit_of_work() as session:
            await session.scalar(select(Ticket.id).where(Ticket.status == "opened"))


# --- open ---------------------------------------------------------------------------------------------


async def test_open_promises_what_the_charter_says_from_the_receipt(store, charter):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter)
        due = charter.due_at("inquiry", RECEIVED)
        assert (ticket.status, ticket.category, ticket.due_at) == (TicketStatus.OPEN, Category.INQUIRY, due)
        assert ticket.remind_at == charter.remind_at("inquiry", due) is not None
        assert ticket.number == "I-1001" and ticket.anonymous is False and ticket.parent_id is None
        assert (ticket.reminded_at, ticket.interim_at, ticket.breached_at) == (None, None, None)
        assert (ticket.answered_at, ticket.closed_at) == (None, None)


async def test_open_an_anonymous_complaint_and_a_linked_one(store, charter):
    async with store.unit_of_work() as session:
        anonymous = await lifecycle.open_ticket(
            organisation_id=FIRST_ORGANISATION, session=session, charter=charter, citizen=None, category=Category.COMPLAINT, language="ko",
            text="rude", received_at=RECEIVED, anonymous=True,
        )
        linked = await opened(session, charter, category=Category.NON_RESPONSE_COMPLAINT, parent_id=anonymous.id)
        assert anonymous.anonymous and anonymous.citizen_id is None
        assert anonymous.remind_at == charter.remind_at("complaint", anonymous.due_at)
        assert linked.parent_id == anonymous.id
        assert linked.due_at == charter.due_at("non_response_complaint", RECEIVED)


async def test_open_refuses_a_category_with_no_clock(store, charter):
    async with store.unit_of_work() as session:
        with pytest.raises(ValueError, match="unknown category"):
            await opened(session, charter, category="question")


# --- interim and the promise ------------------------------------------------------------------------------


async def test_an_interim_without_a_date_keeps_the_promise(store, charter):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter)
        due, remind = ticket.due_at, ticket.remind_at
        entry = await lifecycle.interim(session=session, ticket=ticket, charter=charter, reason="checking",
                                        author_id=AGENT, new_due=None, now=NOW)
        assert (ticket.due_at, ticket.remind_at, ticket.interim_at) == (due, remind, NOW)
        assert (entry.kind, entry.text, entry.author_id, entry.created_at) == ("interim", "checking", AGENT, NOW)
        assert await history(session, ticket) == [entry]


async def test_an_interim_with_a_date_moves_the_promise_and_its_reminder(store, charter):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter)
        lifecycle.mark_reminded(ticket, now=NOW)
        new_due = ticket.due_at + timedelta(days=5)
        await lifecycle.interim(session=session, ticket=ticket, charter=charter, reason="district office",
                                author_id=AGENT, new_due=new_due, now=NOW)
        assert (ticket.due_at, ticket.remind_at) == (new_due, charter.remind_at("inquiry", new_due))
        assert (ticket.reminded_at, ticket.interim_at, ticket.status) == (None, NOW, TicketStatus.OPEN)


@pytest.mark.parametrize("shift, refused", [
    (-timedelta(days=30), Refusal.DATE_PAST), (timedelta(0), Refusal.DATE_NOT_LATER),
])
async def test_an_interim_date_must_be_ahead_and_later_than_the_promise(store, charter, shift, refused):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter)
        due = ticket.due_at
        with pytest.raises(TransitionError) as error:
            await lifecycle.interim(session=session, ticket=ticket, charter=charter, reason="r", author_id=AGENT,
                                    new_due=due + shift, now=NOW)
        assert error.value.refusal is refused and error.value.transition is Transition.INTERIM
        assert (ticket.due_at, ticket.interim_at) == (due, None) and await history(session, ticket) == []


async def test_no_interim_once_answered(store, charter):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter)
        await lifecycle.answer(session=session, ticket=ticket, text="Done.", author_id=AGENT, now=NOW)
        with pytest.raises(TransitionError, match="cannot interim ticket I-1001: it is answered already"):
            await lifecycle.interim(session=session, ticket=ticket, charter=charter, reason="r", author_id=AGENT,
                                    new_due=None, now=NOW)
        with pytest.raises(TransitionError):
            lifecycle.automatic_interim(ticket, charter=charter, now=NOW)


def test_a_promise_moves_only_ahead(charter):
    ticket = in_memory(TicketStatus.OPEN, charter)
    with pytest.raises(TransitionError, match="not ahead of now"):
        lifecycle.move_promise(ticket, charter=charter, due_at=NOW, now=NOW)


# --- breach, and the one breached_at rule ---------------------------------------------------------------


async def test_a_breach_is_noted_with_its_escalation_on_the_history(store, charter):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter)
        now = ticket.due_at + timedelta(minutes=1)
        await lifecycle.record_breach(session=session, ticket=ticket, escalation="I-1001 is late", now=now)
        assert ticket.breached_at == now and ticket.due_at < now
        [entry] = await history(session, ticket)
        assert (entry.kind, entry.text, entry.author_id, entry.created_at) == ("escalation", "I-1001 is late", None, now)


async def test_only_an_open_ticket_breaches(store, charter):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter)
        lifecycle.close(ticket, now=NOW)
        with pytest.raises(TransitionError, match="cannot breach ticket I-1001: it is closed"):
            await lifecycle.record_breach(session=session, ticket=ticket, escalation="late", now=NOW)


async def test_the_automatic_interim_counts_the_window_again_and_keeps_the_breach(store, charter):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter)
        now = ticket.due_at + timedelta(minutes=1)
        await lifecycle.record_breach(session=session, ticket=ticket, escalation="late", now=now)
        new_due = lifecycle.automatic_interim(ticket, charter=charter, now=now)
        assert new_due == charter.due_at("inquiry", now) == ticket.due_at
        assert (ticket.remind_at, ticket.reminded_at) == (charter.remind_at("inquiry", new_due), None)
        assert ticket.interim_at == now
        # The breach stays recorded, and the new promise can be breached in turn: the sweep takes
        # tickets whose breached_at is unset or older than due_at.
        assert ticket.breached_at == now < ticket.due_at
        [entry] = await history(session, ticket)  # the escalation only: the charter's interim writes none
        assert entry.kind == "escalation"


@pytest.mark.parametrize("move", ["staff interim", "reopen"])
async def test_every_move_of_the_promise_keeps_breached_at_and_rearms_the_sweep(store, charter, move):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter)
        breach = ticket.due_at + timedelta(minutes=1)
        await lifecycle.record_breach(session=session, ticket=ticket, escalation="late", now=breach)
        later = breach + timedelta(hours=1)
        if move == "staff interim":
            await lifecycle.interim(session=session, ticket=ticket, charter=charter, reason="r", author_id=AGENT,
                                    new_due=later + timedelta(days=3), now=later)
        else:
            await lifecycle.answer(session=session, ticket=ticket, text="Done.", author_id=AGENT, now=later)
            lifecycle.reopen(ticket, charter=charter, now=later)
        assert ticket.breached_at == breach < ticket.due_at
        await session.flush()
        sweep = (Ticket.breached_at.is_(None)) | (Ticket.breached_at < Ticket.due_at)  # deadlines.handle_breaches
        assert await session.scalar(select(Ticket.id).where(Ticket.id == ticket.id, sweep)) == ticket.id


# --- answer, close, withdraw, reopen -----------------------------------------------------------------


async def test_an_answer_goes_on_the_history_and_the_first_one_answers_the_ticket(store, charter):
    async with store.unit_of_work() as session:
        ticket = await opened(session, charter)
        first = await lifecycle.answer(session=session, ticket=ticket, text="Room 3.", author_id=AGENT, now=NOW)
        assert (ticket.status, ticket.answered_at) == (TicketStatus.ANSWERED, NOW)
        later = NOW + timedelta(hours=1)
        second = await lifecycle.answer(session=session, ticket=ticket, text="Room 4.", author_id=AGENT, now=later)
        assert (ticket.status, ticket.answered_at) == (TicketStatus.ANSWERED, NOW)
        assert [(e.kind, e.text) for e in (first, second)] == [("staff_reply", "Room 3."), ("staff_reply", "Room 4.")]
        lifecycle.close(ticket, now=later)
        with pytest.raises(TransitionError, match="cannot answer ticket I-1001: it is closed") as error:
            await lifecycle.answer(session=session, ticket=ticket, text="late", author_id=AGENT, now=later)
        assert error.value.refusal is Refusal.CLOSED
        assert len(await history(session, ticket)) == 2


@pytest.mark.parametrize("status, was_open", [(TicketStatus.OPEN, True), (TicketStatus.ANSWERED, False)])
def test_close_from_open_or_answered(charter, status, was_open):
    ticket = in_memory(status, charter)
    assert lifecycle.close(ticket, now=NOW) is was_open
    assert (ticket.status, ticket.closed_at) == (TicketStatus.CLOSED, NOW)
    with pytest.raises(TransitionError, match="cannot close ticket I-1001: it is closed"):
        lifecycle.close(ticket, now=NOW)


@pytest.mark.parametrize("status", [TicketStatus.OPEN, TicketStatus.ANSWERED])
def test_withdraw_closes_as_it_stands_and_says_what_it_was(charter, status):
    ticket = in_memory(status, charter)
    assert lifecycle.withdraw(ticket, now=NOW) == status
    assert (ticket.status, ticket.closed_at) == (TicketStatus.CLOSED, NOW)
    with pytest.raises(TransitionError, match="cannot withdraw ticket I-1001: it is closed"):
        lifecycle.withdraw(ticket, now=NOW)


@pytest.mark.parametrize("status", [TicketStatus.ANSWERED, TicketStatus.CLOSED])
def test_reopen_starts_a_fresh_clock(charter, status):
    ticket = in_memory(status, charter, answered_at=NOW, closed_at=NOW, interim_at=NOW, reminded_at=NOW)
    later = NOW + timedelta(days=2)
    lifecycle.reopen(ticket, charter=charter, now=later)
    assert ticket.status is TicketStatus.OPEN
    assert (ticket.answered_at, ticket.closed_at, ticket.interim_at, ticket.reminded_at) == (None, None, None, None)
    assert ticket.due_at == charter.due_at("inquiry", later)
    assert ticket.remind_at == charter.remind_at("inquiry", ticket.due_at)


def test_reopening_an_open_ticket_is_refused_clearly(charter):
    ticket = in_memory(TicketStatus.OPEN, charter)
    due = ticket.due_at
    with pytest.raises(TransitionError, match="^cannot reopen ticket I-1001: it is open already$") as error:
        lifecycle.reopen(ticket, charter=charter, now=NOW)
    assert (error.value.transition, error.value.refusal) == (Transition.REOPEN, Refusal.OPEN)
    assert ticket.due_at == due


def test_an_erased_ticket_is_not_reopened(charter):
    ticket = in_memory(TicketStatus.CLOSED, charter, closed_at=NOW, erased_at=NOW)
    with pytest.raises(TransitionError, match="it was erased"):
        lifecycle.reopen(ticket, charter=charter, now=NOW)
    assert ticket.status is TicketStatus.CLOSED


def test_mark_reminded(charter):
    ticket = in_memory(TicketStatus.OPEN, charter)
    lifecycle.mark_reminded(ticket, now=NOW)
    assert ticket.reminded_at == NOW


def test_what_each_state_allows(charter):
    allowed = {
        status: {t for t in Transition if lifecycle.refusal(in_memory(status, charter), t) is None}
        for status in TicketStatus
    }
    assert allowed == {
        TicketStatus.OPEN: {Transition.INTERIM, Transition.BREACH, Transition.ANSWER, Transition.CLOSE,
                            Transition.WITHDRAW, Transition.RECATEGORISE},
        TicketStatus.ANSWERED: {Transition.ANSWER, Transition.CLOSE, Transition.WITHDRAW, Transition.REOPEN},
        TicketStatus.CLOSED: {Transition.REOPEN},
    }
