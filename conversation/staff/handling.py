"""What staff do to a ticket: answer, delay with a reason, assign, note, close, reopen, appointments.

Each use case changes the ticket, writes its history entry and audit row, and promises whatever the
citizen is to be told in the outbox, all in the caller's transaction. Rows for the citizen come back
leased (`Handled.outgoing`) so the caller can deliver them right after commit.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from desk.anonymous import receipts
from desk import audit, outbox
from conversation.citizen import surveys
from conversation.staff.cards import category_name
from desk.staff.errors import ActionError
from desk.staff.models import Staff
from conversation import replies
from conversation.citizen.flows import Desk
from desk.tickets import corrections, entries, lifecycle
from desk.tickets.enums import Category, TicketStatus
from desk.tickets.lifecycle import Refusal, Transition, TransitionError
from desk.tickets.models import Citizen, Ticket, TicketEntry

# How a message for the citizen went: to their chat, held for an anonymous sender, or nowhere.
TO_CHAT, STORED_ANONYMOUS, UNREACHABLE = "chat", "anonymous", "unreachable"


@dataclass(frozen=True)
class Handled:
    """The outcome of one staff action."""

    ticket: Ticket
    outgoing: list[outbox.Outgoing] = field(default_factory=list)
    reach: str | None = None  # how the citizen was told, if they were
    was_open: bool = False  # closing: the ticket had no final reply yet


async def staff_reply(
    *, session: AsyncSession, desk: Desk, staff: Staff, ticket: Ticket, text: str, now: datetime
) -> Handled:
    """The final reply: sent to the citizen in their language, signed as the charter says."""
    _allowed(ticket, Transition.ANSWER, "utter_staff_ticket_closed")
    text = _required(text, "utter_staff_usage_reply")
    entry = await lifecycle.answer(session=session, ticket=ticket, text=text, author_id=staff.telegram_id, now=now)

    def render(language: str) -> str:
        return desk.texts.render(
            "utter_staff_answer", language, what=_what(desk, ticket, language), number=ticket.number,
            text=text, signature=signature(desk, staff, language),
        )

    reach, outgoing = await _tell_citizen(session, desk, ticket, render, f"answer:{ticket.id}:{entry.id}", now)
    await _ask_rating(session, desk, ticket, reach, now)
    await _audit(session, staff, "reply", ticket, now, f"to={reach}")
    return Handled(ticket, outgoing, reach)


async def interim(
    *, session: AsyncSession, desk: Desk, staff: Staff, ticket: Ticket, reason: str,
    new_due: datetime | None, now: datetime,
) -> Handled:
    """An interim reply with the reason; a new date becomes the promise (and the reminder moves)."""
    _allowed(ticket, Transition.INTERIM, "utter_staff_interim_not_open")
    reason = _required(reason, "utter_staff_usage_interim")
    try:
        entry = await lifecycle.interim(
            session=session, ticket=ticket, charter=desk.charter, reason=reason, author_id=staff.telegram_id,
            new_due=new_due, now=now,
        )
    except TransitionError as refused:
        if refused.refusal is Refusal.DATE_NOT_LATER:
            raise ActionError("utter_staff_date_not_later", due=ticket.due_at) from None
        if refused.refusal is Refusal.DATE_PAST:
            raise ActionError("utter_staff_date_past") from None
        raise
    promise = ticket.due_at > now

    def render(language: str) -> str:
        name = "utter_staff_interim_citizen" if promise else "utter_staff_interim_citizen_no_date"
        return desk.texts.render(
            name, language, what=_what(desk, ticket, language), number=ticket.number, reason=reason,
            due=desk.moment(ticket.due_at, language), signature=signature(desk, staff, language),
        )

    reach, outgoing = await _tell_citizen(session, desk, ticket, render, f"interim:{ticket.id}:{entry.id}", now)
    detail = f"to={reach}" + (f" due={new_due.isoformat()}" if new_due else "")
    await _audit(session, staff, "interim", ticket, now, detail)
    return Handled(ticket, outgoing, reach)


async def close(
    *, session: AsyncSession, desk: Desk, staff: Staff, ticket: Ticket, note: str | None, now: datetime
) -> Handled:
    """Close the ticket, with an internal note if given; nothing is sent to the citizen."""
    _allowed(ticket, Transition.CLOSE, "utter_staff_already_closed")
    was_open = lifecycle.close(ticket, now=now)
    if ticket.anonymous:  # the sender's sealed reply channel lives only as long as the ticket is open
        await receipts.close_channel(session=session, ticket_id=ticket.id)
    if note and note.strip():
        await _entry(session, ticket, "note", staff, note.strip(), now)
    await _audit(session, staff, "close", ticket, now, "unanswered" if was_open else None)
    return Handled(ticket, was_open=was_open)


async def assign(
    *, session: AsyncSession, desk: Desk, staff: Staff, ticket: Ticket, assignee: Staff, now: datetime
) -> Handled:
    """Make `assignee` the one who handles the ticket."""
    _not_closed(ticket)
    ticket.assigned_to = assignee.telegram_id
    await _audit(session, staff, "assign", ticket, now, f"to={assignee.telegram_id}")
    return Handled(ticket)


async def note(
    *, session: AsyncSession, desk: Desk, staff: Staff, ticket: Ticket, text: str, now: datetime
) -> Handled:
    """An internal note on the ticket's history; never sent to anyone."""
    await _entry(session, ticket, "note", staff, _required(text, "utter_staff_usage_note"), now)
    await _audit(session, staff, "note", ticket, now)
    return Handled(ticket)


async def confirm_appointment(
    *, session: AsyncSession, desk: Desk, staff: Staff, ticket: Ticket, at: datetime, now: datetime
) -> Handled:
    """Confirm an appointment request for a moment; the citizen is told when to come."""
    _appointment(ticket)
    if at <= now:
        raise ActionError("utter_staff_date_past")
    ticket.appointment_at = at
    ticket.appointment_reminded_at = None  # a new (or moved) date earns its own reminder the day before

    def render(language: str) -> str:
        return desk.texts.render(
            "utter_staff_appointment_confirmed", language, number=ticket.number,
            when=desk.moment(at, language), signature=signature(desk, staff, language),
        )

    return await _final(session, desk, staff, ticket, render, "confirm", now, f"at={at.isoformat()}")


async def decline_appointment(
    *, session: AsyncSession, desk: Desk, staff: Staff, ticket: Ticket, reason: str, now: datetime
) -> Handled:
    """Decline an appointment request with the reason."""
    _appointment(ticket)
    reason = _required(reason, "utter_staff_usage_decline")
    ticket.appointment_at = None

    def render(language: str) -> str:
        return desk.texts.render(
            "utter_staff_appointment_declined", language, number=ticket.number, reason=reason,
            signature=signature(desk, staff, language),
        )

    return await _final(session, desk, staff, ticket, render, "decline", now, None)


async def reopen(*, session: AsyncSession, desk: Desk, staff: Staff, ticket: Ticket, now: datetime) -> Handled:
    """Open an answered or closed ticket again, on a fresh charter clock from now."""
    if lifecycle.refusal(ticket, Transition.REOPEN) is Refusal.ERASED:  # nothing and no one to answer
        raise ActionError("utter_staff_ticket_erased", number=ticket.number)
    _allowed(ticket, Transition.REOPEN, "utter_staff_already_open")
    lifecycle.reopen(ticket, charter=desk.charter, now=now)
    await _audit(session, staff, "reopen", ticket, now, f"due={ticket.due_at.isoformat()}")
    return Handled(ticket)


def signature(desk: Desk, staff: Staff, language: str) -> str:
    """How a reply is signed: the staff member's name, or their role, as the charter says."""
    if desk.charter.staff_signature == "role":
        return desk.texts.render(f"utter_staff_role_{staff.role}", language)
    return staff.name


async def _ask_rating(session, desk: Desk, ticket: Ticket, reach: str, now: datetime) -> None:
    # The question waits in the outbox (a minute, and past quiet hours) behind the answer itself; an
    # anonymous sender is asked through their sealed channel when the answer is pushed there.
    if reach == TO_CHAT:
        await surveys.ask_for_rating(session=session, desk=desk, ticket=ticket, now=now)


async def _final(
    session, desk: Desk, staff: Staff, ticket: Ticket, render, action: str, now: datetime, detail
) -> Handled:
    # The message itself is the history entry: it is exactly what the citizen was told.
    entry = await lifecycle.answer(
        session=session, ticket=ticket, text=desk.voiced(render, ticket.language), author_id=staff.telegram_id, now=now
    )
    reach, outgoing = await _tell_citizen(session, desk, ticket, render, f"{action}:{ticket.id}:{entry.id}", now)
    await _ask_rating(session, desk, ticket, reach, now)
    await _audit(session, staff, action, ticket, now, " ".join(filter(None, [f"to={reach}", detail])))
    return Handled(ticket, outgoing, reach)


async def _tell_citizen(
    session: AsyncSession, desk: Desk, ticket: Ticket, render: Callable[[str], str], key: str, now: datetime
) -> tuple[str, list[outbox.Outgoing]]:
    """Promise a message to the ticket's citizen; an anonymous ticket keeps it on its history only."""
    citizen = await session.get(Citizen, ticket.citizen_id) if ticket.citizen_id is not None else None
    if ticket.anonymous or citizen is None:
        # Nothing links the ticket to a chat; the sealed channel (if the sender chose one) reads
        # the ticket's staff entries, so the answer is already where it can be fetched.
        return STORED_ANONYMOUS, []
    if citizen.unreachable_at is not None:
        return UNREACHABLE, []
    # A long answer goes out in several messages rather than not at all.
    # A citizen whose language we have no texts in reads each version (English and the charter's first).
    text = desk.voiced(render, citizen.language)
    sent = await replies.enqueue_text(session, key=key, chat_id=citizen.chat_id, text=text, now=now, ticket_id=ticket.id,
                                     organisation_id=desk.organisation_id)
    return TO_CHAT, sent


async def _entry(session, ticket: Ticket, kind: str, staff: Staff, text: str, now: datetime) -> TicketEntry:
    return await entries.add(
        session=session, ticket=ticket, kind=kind, text=text, author_id=staff.telegram_id, now=now
    )


async def _audit(session, staff: Staff, action: str, ticket: Ticket, now: datetime, detail: str | None = None):
    await audit.record(
        session, organisation_id=staff.organisation_id, action=action, actor_id=staff.telegram_id,
        actor_role=staff.role, now=now, ticket_id=ticket.id, detail=detail,
    )


def _allowed(ticket: Ticket, transition: Transition, response: str) -> None:
    """Say no, in staff's words, to what the ticket's state does not allow (before any other check)."""
    if lifecycle.refusal(ticket, transition) is not None:
        raise ActionError(response, number=ticket.number)


def _not_closed(ticket: Ticket) -> None:
    if ticket.status == TicketStatus.CLOSED:
        raise ActionError("utter_staff_ticket_closed", number=ticket.number)


def _appointment(ticket: Ticket) -> None:
    if ticket.category != Category.APPOINTMENT_REQUEST:
        raise ActionError("utter_staff_not_appointment", number=ticket.number)
    _not_closed(ticket)


def _required(text: str | None, usage: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ActionError(usage)
    return text


def _what(desk: Desk, ticket: Ticket, language: str) -> str:
    return desk.texts.render(f"utter_staff_your_{ticket.category}", language)


# == learning from staff: a ticket's category changed ==
@dataclass(frozen=True)
class Recategorised(Handled):
    """A change of category: what it was, and the promise before and after."""

    change: lifecycle.Recategorised | None = None


async def recategorise(
    *, session: AsyncSession, desk: Desk, staff: Staff, ticket: Ticket, category: Category, now: datetime
) -> Recategorised:
    """Move an open ticket to another category's clock, keep the change as a correction, and tell the
    citizen the new date if it moved (in their language, through the outbox)."""
    if category not in corrections.CORRECTABLE_TO:
        raise ActionError("utter_staff_category_not_allowed")
    _allowed(ticket, Transition.RECATEGORISE, "utter_staff_category_not_open")
    if category == ticket.category:
        raise ActionError("utter_staff_category_same", number=ticket.number)
    change = lifecycle.recategorise(ticket, charter=desk.charter, category=category)
    kept = await corrections.record(
        session=session, ticket=ticket, from_category=change.from_category, staff_id=staff.telegram_id, now=now
    )
    reach, outgoing = None, []
    if change.due_changed:
        name = "utter_category_changed_citizen" if change.new_due > now else "utter_category_changed_citizen_late"

        def render(language: str) -> str:
            return desk.texts.render(
                name, language, old_number=change.from_number, number=ticket.number,
                what=category_name(desk, ticket.category, language), due=desk.moment(ticket.due_at, language),
                signature=signature(desk, staff, language),
            )

        reach, outgoing = await _tell_citizen(session, desk, ticket, render, f"category:{ticket.id}:{kept.id}", now)
    detail = (
        f"from={change.from_category} to={ticket.category} due={change.old_due.isoformat()}"
        f"->{change.new_due.isoformat()}" + (f" to={reach}" if reach else "")
    )
    await _audit(session, staff, "category", ticket, now, detail)
    return Recategorised(ticket, outgoing, reach, change=change)
