"""A ticket's life: open, move the promise, interim, answer, close, reopen, withdraw, and what the
deadline sweep records (reminded, breached).

This module is the only writer of the lifecycle columns of `tickets` (LIFECYCLE_COLUMNS);
tests/desk/tickets/test_lifecycle_writers.py fails if another module assigns one. It is pure domain:
callers decide what to say and to whom. A transition the ticket's state does not allow raises
TransitionError, whose `refusal` says why; `refusal()` asks the same question without raising, for a
caller that must check before it does anything else.

    open ──answer──> answered ──close──> closed
     │  └───────────close / withdraw───────^ │
     └<──────────────reopen─────────────────┘  (from answered or closed, unless erased)

An open ticket may also be recategorised: it moves to another category's clock (recategorise).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from desk.charter.model import Charter
from desk.tickets import entries, numbers
from desk.tickets.enums import Category, TicketStatus
from desk.tickets.models import Citizen, Ticket, TicketEntry

LIFECYCLE_COLUMNS = frozenset(
    {"status", "category", "due_at", "promised_at", "remind_at", "reminded_at", "interim_at", "breached_at",
     "answered_at", "closed_at"}
)
STAFF_REPLY, INTERIM = "staff_reply", "interim"  # the history entries an answer and an interim write


class Transition(StrEnum):
    """What can happen to a ticket once it is open."""

    INTERIM = "interim"  # an interim reply (staff's, or the charter's on a breach); may move the promise
    BREACH = "breach"  # the sweep found the promise broken
    ANSWER = "answer"  # a final reply
    CLOSE = "close"
    WITHDRAW = "withdraw"  # the citizen took the matter back (/forget)
    REOPEN = "reopen"
    RECATEGORISE = "recategorise"  # staff put it on another category's clock


class Refusal(StrEnum):
    """Why a transition cannot happen."""

    OPEN = "open"  # the ticket is open already
    ANSWERED = "answered"  # it has its final reply: nothing more is promised
    CLOSED = "closed"
    ERASED = "erased"  # withdrawn by /forget or past retention: nothing and no one to answer
    DATE_PAST = "date_past"  # a new promise must lie ahead
    DATE_NOT_LATER = "date_not_later"  # a new promise must be later than the one it replaces
    SAME_CATEGORY = "same_category"  # recategorising to the category it has


_WHY = {
    Refusal.OPEN: "it is open already",
    Refusal.ANSWERED: "it is answered already",
    Refusal.CLOSED: "it is closed",
    Refusal.ERASED: "it was erased",
    Refusal.DATE_PAST: "the new promise is not ahead of now",
    Refusal.DATE_NOT_LATER: "the new promise is not later than the current one",
    Refusal.SAME_CATEGORY: "it has that category already",
}


class TransitionError(ValueError):
    """A transition the ticket's state does not allow."""

    def __init__(self, ticket: Ticket, transition: Transition, refusal: Refusal) -> None:
        super().__init__(f"cannot {transition} ticket {ticket.number}: {_WHY[refusal]}")
        self.transition = transition
        self.refusal = refusal


# The states each transition may start from.
_FROM: dict[Transition, frozenset[TicketStatus]] = {
    Transition.INTERIM: frozenset({TicketStatus.OPEN}),
    Transition.BREACH: frozenset({TicketStatus.OPEN}),
    Transition.ANSWER: frozenset({TicketStatus.OPEN, TicketStatus.ANSWERED}),
    Transition.CLOSE: frozenset({TicketStatus.OPEN, TicketStatus.ANSWERED}),
    Transition.WITHDRAW: frozenset({TicketStatus.OPEN, TicketStatus.ANSWERED}),
    Transition.REOPEN: frozenset({TicketStatus.ANSWERED, TicketStatus.CLOSED}),
    Transition.RECATEGORISE: frozenset({TicketStatus.OPEN}),
}


def refusal(ticket: Ticket, transition: Transition) -> Refusal | None:
    """Why `transition` cannot happen to the ticket as it stands; None when it can."""
    if ticket.status not in _FROM[transition]:
        return Refusal(ticket.status)
    if transition is Transition.REOPEN and ticket.erased_at is not None:
        return Refusal.ERASED
    return None


async def open_ticket(
    *, session: AsyncSession, organisation_id: int, charter: Charter, citizen: Citizen | None,
    category: Category, language: str, text: str, received_at: datetime, anonymous: bool = False,
    parent_id: int | None = None,
) -> Ticket:
    """Open a ticket, promised by its category's charter clock counted from its receipt."""
    due_at = charter.due_at(category, received_at)
    return await create(
        session=session, organisation_id=organisation_id, citizen=citizen, category=category, language=language,
        text=text, received_at=received_at, due_at=due_at, remind_at=charter.remind_at(category, due_at),
        anonymous=anonymous, parent_id=parent_id,
    )


async def create(
    *, session: AsyncSession, organisation_id: int, citizen: Citizen | None, category: Category,
    language: str, text: str, received_at: datetime, due_at: datetime, remind_at: datetime | None = None,
    anonymous: bool = False, parent_id: int | None = None,
) -> Ticket:
    """Open a ticket whose promise is already worked out (open_ticket works it out from the charter)."""
    serial = await numbers.allocate(session=session, organisation_id=organisation_id)
    ticket = Ticket(
        organisation_id=organisation_id, serial=serial, citizen=citizen, category=Category(category),
        status=TicketStatus.OPEN, language=language, text=text, received_at=received_at, due_at=due_at,
        promised_at=due_at, remind_at=remind_at, anonymous=anonymous, parent_id=parent_id,
    )
    session.add(ticket)
    await session.flush()  # its id is known once this returns
    return ticket


def move_promise(ticket: Ticket, *, charter: Charter, due_at: datetime, now: datetime) -> None:
    """Make `due_at` the ticket's promise: reminded before it (per the charter), breached after it."""
    if due_at <= now:
        raise TransitionError(ticket, Transition.INTERIM, Refusal.DATE_PAST)
    ticket.due_at = due_at
    ticket.remind_at = charter.remind_at(ticket.category, due_at)
    ticket.reminded_at = None
    # breached_at is left as it is, whoever moves the promise (staff's /interim, the charter's interim
    # on a breach, a reopen). It records that a promise was broken: the gauges and the compliance
    # report count tickets that have one (the report judges the first promise, which a later date does
    # not unbreak), so clearing it would erase a breach whose escalation stays on the history. Nor
    # need it be cleared for the new promise to be kept: the breach sweep takes breached_at unset *or
    # older than due_at*, and the new due_at lies ahead of now, so after any breach recorded so far.
    # (Staff's /interim and reopen used to clear it; the sweep's own interim kept it.)


async def interim(
    *, session: AsyncSession, ticket: Ticket, charter: Charter, reason: str, author_id: int | None,
    new_due: datetime | None, now: datetime,
) -> TicketEntry:
    """Staff's interim reply, with its reason on the history; a new date, later than now and than the
    current promise, becomes the promise."""
    _require(ticket, Transition.INTERIM)
    if new_due is not None:
        if new_due <= now:
            raise TransitionError(ticket, Transition.INTERIM, Refusal.DATE_PAST)
        if new_due <= ticket.due_at:
            raise TransitionError(ticket, Transition.INTERIM, Refusal.DATE_NOT_LATER)
        move_promise(ticket, charter=charter, due_at=new_due, now=now)
    ticket.interim_at = now
    return await entries.add(
        session=session, ticket=ticket, kind=INTERIM, text=reason, author_id=author_id, now=now
    )


def automatic_interim(ticket: Ticket, *, charter: Charter, now: datetime) -> datetime:
    """The charter's interim on a breach: the reply window counted again from now is the new promise
    (returned). The message itself is the caller's; it writes no history entry, as staff's does."""
    _require(ticket, Transition.INTERIM)
    new_due = charter.due_at(ticket.category, now)
    move_promise(ticket, charter=charter, due_at=new_due, now=now)
    ticket.interim_at = now
    return new_due


def mark_reminded(ticket: Ticket, *, now: datetime) -> None:
    """Staff were reminded of the current promise (or it was past due, and the breach speaks for it)."""
    ticket.reminded_at = now


async def record_breach(*, session: AsyncSession, ticket: Ticket, escalation: str, now: datetime) -> None:
    """The promise was broken: note when, and put the escalation on the ticket's history."""
    _require(ticket, Transition.BREACH)
    ticket.breached_at = now
    # Not flushed: the sweep writes a batch of tickets at commit, not one by one.
    await entries.add(session=session, ticket=ticket, kind=entries.ESCALATION, text=escalation, now=now,
                      flush=False)


async def answer(
    *, session: AsyncSession, ticket: Ticket, text: str, author_id: int | None, now: datetime
) -> TicketEntry:
    """A final reply, on the history exactly as the citizen reads it; an open ticket becomes answered."""
    _require(ticket, Transition.ANSWER)
    entry = await entries.add(
        session=session, ticket=ticket, kind=STAFF_REPLY, text=text, author_id=author_id, now=now
    )
    if ticket.status == TicketStatus.OPEN:  # a second reply keeps the moment of the first
        ticket.status, ticket.answered_at = TicketStatus.ANSWERED, now
    return entry


def close(ticket: Ticket, *, now: datetime) -> bool:
    """Close the ticket, answered or not; True if it had no final reply yet."""
    _require(ticket, Transition.CLOSE)
    was_open = ticket.status == TicketStatus.OPEN
    ticket.status, ticket.closed_at = TicketStatus.CLOSED, now
    return was_open


def withdraw(ticket: Ticket, *, now: datetime) -> TicketStatus:
    """The citizen took the matter back (/forget): it closes as it stands; returns what it was."""
    _require(ticket, Transition.WITHDRAW)
    was = TicketStatus(ticket.status)
    ticket.status, ticket.closed_at = TicketStatus.CLOSED, now
    return was


def reopen(ticket: Ticket, *, charter: Charter, now: datetime) -> None:
    """Open an answered or closed ticket again, on a fresh charter clock from now."""
    _require(ticket, Transition.REOPEN)
    ticket.status = TicketStatus.OPEN
    ticket.closed_at = ticket.answered_at = ticket.interim_at = None
    move_promise(ticket, charter=charter, due_at=charter.due_at(ticket.category, now), now=now)


@dataclass(frozen=True)
class Recategorised:
    """What a change of category did to the promise."""

    from_category: Category
    from_number: str  # the number the citizen knew it by (its letter is the old category's)
    old_due: datetime
    new_due: datetime

    @property
    def due_changed(self) -> bool:
        return self.new_due != self.old_due


def recategorise(ticket: Ticket, *, charter: Charter, category: Category) -> Recategorised:
    """Put an open ticket on another category's clock, its promise counted again from the original receipt.

    The promise is what the charter promises a matter of the right kind received when this one was,
    whatever the wrong clock had made of it (a staff interim's date included: the message that tells
    the citizen the new date supersedes it). So:
    - interim_at is cleared: an interim spoke of the old promise, and the breach sweep must not take
      it as covering the new one (an automatic interim, if the new clock has one, still goes out);
    - the reminder is worked out again for the new promise, and not yet sent;
    - breached_at stays, as move_promise explains. A new promise already past (a shorter clock, found
      late) is kept as it is, not pushed ahead: the ticket *is* late under the right clock, and the
      breach sweep records it (breached_at unset or older than the new due_at) and escalates it as
      the new clock says. A breach already recorded after that moment counts for it.
    """
    _require(ticket, Transition.RECATEGORISE)
    category = Category(category)
    if category == ticket.category:
        raise TransitionError(ticket, Transition.RECATEGORISE, Refusal.SAME_CATEGORY)
    was = Recategorised(Category(ticket.category), ticket.number, ticket.due_at, ticket.due_at)
    new_due = charter.due_at(category, ticket.received_at)
    # The report judges the right clock's promise from receipt, so it is the first promise now.
    ticket.category, ticket.due_at, ticket.promised_at = category, new_due, new_due
    ticket.remind_at = charter.remind_at(category, new_due)
    ticket.reminded_at = ticket.interim_at = None
    return Recategorised(was.from_category, was.from_number, was.old_due, new_due)


def _require(ticket: Ticket, transition: Transition) -> None:
    reason = refusal(ticket, transition)
    if reason is not None:
        raise TransitionError(ticket, transition, reason)


# One UPDATE per batch: a database migrated from a busy year has many such rows, one statement each would be slow.
SETTLE_BATCH = 1000


async def settle_promises(*, session: AsyncSession, charters: Mapping[int, Charter]) -> int:
    """Give these organisations' (id -> charter) tickets opened before promised_at was stored (migration 0015)
    the first promise their charter makes, as reports worked it out before; returns how many. One query over a
    partial index, which is empty once done."""
    rows = (
        await session.execute(
            select(Ticket.id, Ticket.organisation_id, Ticket.category, Ticket.received_at)
            .where(Ticket.organisation_id.in_(list(charters)), Ticket.promised_at.is_(None))
        )
    ).all()
    for start in range(0, len(rows), SETTLE_BATCH):
        await session.execute(
            update(Ticket).execution_options(synchronize_session=False),
            [{"id": row.id, "promised_at": charters[row.organisation_id].due_at(row.category, row.received_at)}
             for row in rows[start:start + SETTLE_BATCH]],
        )
    return len(rows)
