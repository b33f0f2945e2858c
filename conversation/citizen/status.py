"""/status: a citizen's open and recent tickets, or one ticket with every answer it got."""

from datetime import timedelta

from desk.tickets import entries
from desk.tickets.enums import TicketStatus
from desk.tickets.models import Citizen, Ticket, TicketEntry
from conversation.turns import Turn

# Answered and closed tickets stay in the list this long.
RECENT = timedelta(days=30)
# The list shows the start of the last answer; /status NUMBER shows all of it.
PREVIEW_CHARS = 300


async def overview(turn: Turn, citizen: Citizen) -> str:
    """The list: state, due moment and the start of the last answer of each open or recent ticket."""
    return await listing(turn, citizen) or turn.text("utter_status_none")


async def listing(turn: Turn, citizen: Citizen) -> str | None:
    """The overview's list, or None when the citizen has no open or recent ticket to tell about."""
    tickets = await entries.recent_tickets(session=turn.session, citizen_id=citizen.id, since=turn.now - RECENT)
    if not tickets:
        return None
    last = {}
    for ticket in tickets:
        answers = await entries.replies(session=turn.session, ticket_id=ticket.id)
        if answers:
            last[ticket.id] = _preview(answers[-1].text or "")

    def in_voice(voiced: Turn) -> str:
        lines = [voiced.text("utter_status_header")]
        for ticket in tickets:
            lines.append(_line(voiced, ticket))
            if ticket.id in last:
                lines.append(voiced.text("utter_status_last_reply", text=last[ticket.id]))
        lines.append(voiced.text("utter_status_hint", number=tickets[0].number))
        return "\n".join(lines)

    return turn.per_voice(in_voice)


async def detail(turn: Turn, ticket: Ticket) -> str:
    """One ticket: state, when it came in, when the answer is due, and every answer so far in full."""
    answers = await entries.replies(session=turn.session, ticket_id=ticket.id)

    def in_voice(voiced: Turn) -> str:
        lines = [
            voiced.text("utter_status_detail", number=ticket.number, state=state(voiced, ticket),
                        received=ticket.received_at),
            _line(voiced, ticket),
        ]
        lines += [_answer(voiced, entry) for entry in answers] or [voiced.text("utter_status_no_reply")]
        return "\n\n".join(lines)

    return turn.per_voice(in_voice)


def state(turn: Turn, ticket: Ticket) -> str:
    """The ticket's state in words: open, overdue, answered or closed."""
    if ticket.status == TicketStatus.OPEN and ticket.due_at < turn.now:
        return turn.text("utter_state_overdue")
    return turn.text(f"utter_state_{ticket.status}" if ticket.status in (TicketStatus.ANSWERED, TicketStatus.CLOSED) else "utter_state_open")


def _line(turn: Turn, ticket: Ticket) -> str:
    if ticket.status == TicketStatus.CLOSED and ticket.closed_at:
        return turn.text("utter_status_line_closed", number=ticket.number, when=ticket.closed_at)
    if ticket.status == TicketStatus.ANSWERED and ticket.answered_at:
        return turn.text("utter_status_line_answered", number=ticket.number, when=ticket.answered_at)
    response = "utter_status_line_overdue" if ticket.due_at < turn.now else "utter_status_line"
    return turn.text(response, number=ticket.number, due=ticket.due_at)


def _answer(turn: Turn, entry: TicketEntry) -> str:
    response = "utter_status_interim" if entry.kind == "interim" else "utter_status_reply"
    return turn.text(response, when=entry.created_at, text=entry.text or "")


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1].rstrip() + "…"
