"""Deadline use cases the scheduler's sweep runs: staff reminders, breaches, appointment reminders.

A deadline is a column (remind_at, due_at, appointment_at). Each function claims one batch of
due tickets (FOR UPDATE SKIP LOCKED, with the "done" column in the condition), sets that column,
and writes its messages to the outbox in the same transaction under a unique key, so two
scheduler processes never act twice on one ticket and a crash loses nothing. `now` is passed in.

The rules:
- Reminder: an open ticket whose remind_at has come and reminded_at is unset. The assigned staff
  member (assigned_to, their private chat) or else the staff chat is reminded; a ticket already
  past due gets no reminder (the breach speaks for it) but is marked reminded all the same.
- Breach: an open ticket past due_at with no breach recorded since that promise was made
  (breached_at unset or older than due_at). breached_at becomes now, the breach is written to the
  ticket's history (kind "escalation"), officers are told in private and in the staff chat. If the
  clock's interim is "on_breach", the citizen gets the charter's interim reply, unless:
  * staff already sent an interim for this promise: interim_at <= due_at and due_at is still the
    charter's original promise (no new date was given), or
  * the citizen cannot be messaged (anonymous ticket, or they blocked the bot).
  The interim's new expected date is the charter's reply window counted again from the moment
  the breach is found (charter.due_at(category, now)); it becomes the ticket's promise
  (lifecycle.automatic_interim), so that promise is kept the same way.
- Appointment: a confirmed appointment (open or answered ticket) is recalled to the citizen at
  18:00 local on the day before, or at once if it was confirmed later than that, once.
Pushes to citizens wait for the end of the charter's quiet hours; messages to staff never wait.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from desk import outbox
from desk.charter.model import Charter
from desk.tickets import lifecycle
from desk.tickets.enums import TicketStatus
from conversation.citizen.flows import Desk
from desk.tickets.models import Ticket

BATCH = 100
APPOINTMENT_REMINDER_SECONDS = 18 * 3600  # 18:00 local, on the day before
# Nothing is reminded of earlier than this before the appointment (18:00 the day before 23:59 is 30 h,
# a DST change adds one): the appointment sweep only looks this far ahead.
APPOINTMENT_LOOKAHEAD = timedelta(hours=31)


async def remind_staff(*, session: AsyncSession, desk: Desk, now: datetime, limit: int = BATCH) -> int:
    """Remind staff of open tickets whose remind_at has come; returns the tickets handled."""
    tickets = await _claim(
        session,
        desk.organisation_id,
        [Ticket.status == TicketStatus.OPEN, Ticket.reminded_at.is_(None), Ticket.remind_at <= now],
        Ticket.remind_at,
        limit,
    )
    language = desk.staff_chat_language()
    with session.no_autoflush:  # the tickets are written once, at commit, not before every insert
        for ticket in tickets:
            lifecycle.mark_reminded(ticket, now=now)
            if ticket.due_at <= now:
                continue
            text = desk.texts.render(
                "utter_staff_reminder", language, number=ticket.number, due=desk.moment(ticket.due_at, language)
            )
            await outbox.enqueue(
                session,
                organisation_id=desk.organisation_id,
                key=f"remind:{ticket.id}:{iso(ticket.due_at)}",
                chat_id=ticket.assigned_to or desk.charter.staff_chat_id,
                text=text,
                now=now,
                ticket_id=ticket.id,
            )
    return len(tickets)


async def handle_breaches(*, session: AsyncSession, desk: Desk, now: datetime, limit: int = BATCH) -> int:
    """Record every open ticket past its promise, tell officers and (per the charter) the citizen."""
    tickets = await _claim(
        session,
        desk.organisation_id,
        [
            Ticket.status == TicketStatus.OPEN,
            Ticket.due_at < now,
            or_(Ticket.breached_at.is_(None), Ticket.breached_at < Ticket.due_at),
        ],
        Ticket.due_at,
        limit,
    )
    with session.no_autoflush:
        for ticket in tickets:
            await _breach(session, desk, ticket, now)
    return len(tickets)


async def remind_appointments(*, session: AsyncSession, desk: Desk, now: datetime, limit: int = BATCH) -> int:
    """Remind citizens of appointments whose reminder moment has come; returns the tickets handled."""
    candidates = await _claim(
        session,
        desk.organisation_id,
        [
            Ticket.appointment_reminded_at.is_(None),
            Ticket.appointment_at > now,
            Ticket.appointment_at <= now + APPOINTMENT_LOOKAHEAD,
            Ticket.status.in_((TicketStatus.OPEN, TicketStatus.ANSWERED)),
        ],
        Ticket.appointment_at,
        limit,
    )
    handled = 0
    with session.no_autoflush:
        for ticket in candidates:
            # Sorted by appointment, so reminder moments ascend too: the first not yet due ends the batch.
            if appointment_reminder_at(desk.charter, ticket.appointment_at) > now:
                break
            handled += 1
            ticket.appointment_reminded_at = now
            await _remind_appointment(session, desk, ticket, now)
    return handled


def appointment_reminder_at(charter: Charter, appointment: datetime) -> datetime:
    """When the citizen is reminded of an appointment: 18:00 local on the day before."""
    day_before = charter.calendar.local_date(appointment) - timedelta(days=1)
    return charter.calendar.wall_time(day_before, APPOINTMENT_REMINDER_SECONDS)


def staff_interim_covers(charter: Charter, ticket: Ticket) -> bool:
    """Staff sent an interim reply for the current promise and kept its date: no automatic one."""
    if ticket.interim_at is None or ticket.interim_at > ticket.due_at:
        return False
    return ticket.due_at == charter.due_at(ticket.category, ticket.received_at)


def iso(at: datetime) -> str:
    """A moment in outbox keys: UTC, to the second."""
    return at.astimezone(UTC).isoformat(timespec="seconds")


async def _claim(
    session: AsyncSession, organisation_id: int, conditions: list, order, limit: int
) -> list[Ticket]:
    # The sweep acts with one organisation's charter (its clocks, its staff chat): only that one's tickets.
    query = (
        select(Ticket)
        .where(Ticket.organisation_id == organisation_id, *conditions)
        .order_by(order, Ticket.id)
        .limit(limit)
        .options(selectinload(Ticket.citizen))
        # A second scheduler skips what this one holds; PostgreSQL re-checks the conditions on the rows it
        # locks, so a ticket handled meanwhile drops out. SQLite serialises writers instead.
        .with_for_update(skip_locked=True, of=Ticket)
    )
    return list((await session.scalars(query)).all())


def _reachable(ticket: Ticket):
    citizen = ticket.citizen
    if ticket.anonymous or citizen is None or citizen.unreachable_at is not None:
        return None
    return citizen


async def _breach(session: AsyncSession, desk: Desk, ticket: Ticket, now: datetime) -> None:
    charter, missed = desk.charter, ticket.due_at
    language = desk.staff_chat_language()
    params = {"number": ticket.number, "due": desk.moment(missed, language)}
    citizen = _reachable(ticket)
    if charter.clock(ticket.category).interim != "on_breach":
        escalation = desk.texts.render("utter_escalation_no_interim", language, **params)
    elif staff_interim_covers(charter, ticket):
        interim = desk.moment(ticket.interim_at, language)
        escalation = desk.texts.render("utter_escalation_interim_by_staff", language, interim=interim, **params)
    elif citizen is None:
        escalation = desk.texts.render("utter_escalation_citizen_unreachable", language, **params)
    else:
        new_due = lifecycle.automatic_interim(ticket, charter=charter, now=now)
        await _send_interim(session, desk, ticket, citizen, missed, new_due, now)
        escalation = desk.texts.render(
            "utter_escalation_interim_sent", language, new_due=desk.moment(new_due, language), **params
        )
    await lifecycle.record_breach(session=session, ticket=ticket, escalation=escalation, now=now)
    for chat_id in dict.fromkeys([*(m.telegram_id for m in charter.officers), charter.staff_chat_id]):
        await outbox.enqueue(
            session,
            organisation_id=desk.organisation_id,
            key=f"escalate:{ticket.id}:{iso(missed)}:{chat_id}",
            chat_id=chat_id,
            text=escalation,
            now=now,
            ticket_id=ticket.id,
        )


async def _send_interim(session, desk: Desk, ticket: Ticket, citizen, missed: datetime, new_due: datetime, now):
    text = desk.render("utter_interim_on_breach", citizen.language, number=ticket.number, due=missed, new_due=new_due)
    await outbox.enqueue(
        session,
        organisation_id=desk.organisation_id,
        key=f"interim:{ticket.id}:{iso(missed)}",
        chat_id=citizen.chat_id,
        text=text,
        now=now,
        ticket_id=ticket.id,
        not_before=desk.charter.quiet_hours_end(now),
    )


async def _remind_appointment(session, desk: Desk, ticket: Ticket, now: datetime) -> None:
    citizen = _reachable(ticket)
    send_at = desk.charter.quiet_hours_end(now)
    if citizen is None or send_at >= ticket.appointment_at:
        return  # nobody to tell, or quiet hours last until the appointment itself
    text = desk.render(
        "utter_appointment_reminder", citizen.language, number=ticket.number, when=ticket.appointment_at,
        organisation=desk.charter.organisation.name,
    )
    await outbox.enqueue(
        session,
        organisation_id=desk.organisation_id,
        key=f"appointment:{ticket.id}:{iso(ticket.appointment_at)}",
        chat_id=citizen.chat_id,
        text=text,
        now=now,
        ticket_id=ticket.id,
        not_before=send_at,
    )
