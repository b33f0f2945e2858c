"""Staff commands that show things: /queue, /show, /audit, /help. Each display is audited."""

from sqlalchemy import select

from desk import audit
from desk.staff import queue as queues
from desk.staff.errors import ActionError
from desk.staff.models import Staff
from conversation.staff.turn import Reply, StaffTurn, find_ticket, first_word
from conversation.staff.cards import category_name, written_in
from desk.tickets.models import CATEGORY_LETTERS, Citizen, Ticket, TicketEntry

QUEUE_LIMIT = 25
HISTORY_LIMIT = 10
EXCERPT = 80
ENTRY_EXCERPT = 300
SHOW_TEXT = 2000
_LETTERS = {letter.casefold(): category for category, letter in CATEGORY_LETTERS.items()}


async def queue(turn: StaffTurn) -> Reply:
    """/queue [mine|overdue|due-today|CATEGORY]: open tickets, soonest due first."""
    which = first_word(turn.request.text)[0].casefold() or None
    which = _LETTERS.get(which, which)
    if which is not None and which not in queues.FILTERS:
        raise ActionError("utter_staff_usage_queue", filters=" | ".join(queues.FILTERS))
    tickets, total = await queues.waiting(
        session=turn.session, organisation_id=turn.desk.organisation_id, which=which,
        staff_id=turn.staff.telegram_id, calendar=turn.desk.charter.calendar, now=turn.now, limit=QUEUE_LIMIT,
    )
    await audit.record(
        turn.session, organisation_id=turn.desk.organisation_id, action="queue",
        actor_id=turn.staff.telegram_id, actor_role=turn.staff.role, now=turn.now,
        chat_id=turn.request.chat_id, detail=which,
    )
    if not tickets:
        return Reply(text=turn.text("utter_staff_queue_empty"))
    names = await _names(turn)
    lines = [turn.text("utter_staff_queue_header", count=total)]
    for ticket in tickets:
        line = turn.text(
            "utter_staff_queue_line", number=ticket.number, category=category_name(turn.desk, ticket.category, turn.language),
            due=turn.moment(ticket.due_at), who=names.get(ticket.assigned_to, "—"), excerpt=_cut(ticket.text, EXCERPT),
        )
        lines.append(("⚠ " if ticket.due_at < turn.now else "") + line)
    if total > len(tickets):
        lines.append(turn.text("utter_staff_queue_more", count=total - len(tickets)))
    return Reply(text="\n".join(lines))


async def show(turn: StaffTurn) -> Reply:
    """/show N: the ticket, who wrote it (never for an anonymous one), and its history."""
    ticket = await find_ticket(turn, first_word(turn.request.text)[0], "utter_staff_usage_show")
    names = await _names(turn)
    identity = await _identity(turn, ticket)
    await audit.record(
        turn.session,
        organisation_id=turn.desk.organisation_id,
        action="show",
        actor_id=turn.staff.telegram_id,
        actor_role=turn.staff.role,
        now=turn.now,
        ticket_id=ticket.id,
        chat_id=turn.request.chat_id,
        # A display of a citizen's personal data is what the audit must be able to find.
        detail="anonymous" if _anonymous(ticket) else "identity",
    )
    lines = [
        turn.text(
            "utter_staff_show", number=ticket.number,
            category=category_name(turn.desk, ticket.category, turn.language),
            status=turn.text(f"utter_staff_status_{ticket.status}"),
            written_in=written_in(turn.desk, ticket.language, turn.language),
            received=turn.moment(ticket.received_at), due=turn.moment(ticket.due_at),
            who=names.get(ticket.assigned_to, "—"), sender=identity, text=_cut(ticket.text, SHOW_TEXT),
        )
    ]
    if ticket.appointment_at is not None:
        lines.append(turn.text("utter_staff_show_appointment", when=turn.moment(ticket.appointment_at)))
    entries = await _history(turn, ticket)
    if entries:
        lines.append(turn.text("utter_staff_show_history"))
    for entry in entries:
        who = names.get(entry.author_id) if entry.author_id is not None else turn.text("utter_staff_who_citizen")
        lines.append(
            turn.text(
                "utter_staff_history_line", when=turn.moment(entry.created_at), who=who or str(entry.author_id),
                kind=_kind(turn, entry.kind), text=_cut(entry.text or "", ENTRY_EXCERPT),
            )
        )
    return Reply(text="\n".join(lines))


async def audit_view(turn: StaffTurn) -> Reply:
    """/audit N (officers): every action and display recorded for a ticket."""
    ticket = await find_ticket(turn, first_word(turn.request.text)[0], "utter_staff_usage_audit")
    rows = await audit.for_ticket(
        turn.session, organisation_id=turn.desk.organisation_id, ticket_id=ticket.id
    )
    names = await _names(turn)
    lines = [turn.text("utter_staff_audit_header", number=ticket.number)]
    lines += [
        turn.text(
            "utter_staff_audit_line", when=turn.moment(row.at), who=_actor(row, names),
            role=row.actor_role or "—", action=row.action, outcome=row.outcome, detail=row.detail or "",
        ).rstrip()
        for row in rows
    ]
    await audit.record(
        turn.session, organisation_id=turn.desk.organisation_id, action="audit",
        actor_id=turn.staff.telegram_id, actor_role=turn.staff.role, now=turn.now, ticket_id=ticket.id,
        chat_id=turn.request.chat_id,
    )
    return Reply(text="\n".join(lines))


def _actor(row: audit.AuditEntry, names: dict[int | None, str]) -> str:
    # Someone who is not staff appears under a pseudonym: the same person's attempts read alike.
    if row.actor_hash is not None:
        return "#" + row.actor_hash[:8]
    return names.get(row.actor_id, str(row.actor_id))


async def help_text(turn: StaffTurn) -> Reply:
    """/help for staff: every command and what it expects."""
    text = turn.text("utter_staff_help", member=turn.staff.name, role=turn.text(f"utter_staff_role_{turn.staff.role}"))
    return Reply(text=text + "\n" + turn.text("utter_staff_help_category"))


def _anonymous(ticket: Ticket) -> bool:
    return ticket.anonymous or ticket.citizen_id is None


async def _identity(turn: StaffTurn, ticket: Ticket) -> str:
    if _anonymous(ticket):
        return turn.text("utter_staff_show_anonymous")
    citizen = await turn.session.get(Citizen, ticket.citizen_id)
    parts = [citizen.display_name or "", f"@{citizen.username}" if citizen.username else ""]
    return " ".join(p for p in parts if p) or turn.text("utter_staff_show_unnamed")


async def _history(turn: StaffTurn, ticket: Ticket) -> list[TicketEntry]:
    query = (
        select(TicketEntry).where(TicketEntry.ticket_id == ticket.id).order_by(TicketEntry.id.desc()).limit(HISTORY_LIMIT)
    )
    return list(reversed((await turn.session.scalars(query)).all()))


async def _names(turn: StaffTurn) -> dict[int | None, str]:
    # Removed members too: history and audit keep naming whoever acted back then.
    rows = (
        await turn.session.scalars(select(Staff).where(Staff.organisation_id == turn.desk.organisation_id))
    ).all()
    return {row.telegram_id: row.name for row in rows}


def _kind(turn: StaffTurn, kind: str) -> str:
    name = f"utter_staff_kind_{kind}"
    return turn.text(name) if name in turn.desk.texts.templates else kind


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split()) if limit <= EXCERPT else text
    return text if len(text) <= limit else text[: limit - 1] + "…"

