"""What the buttons under cards and confirmations do, and answering a card by replying to it."""

import re

from conversation import arguments
from conversation.buttons import Button, DraftAction
from desk import audit
from desk.staff import drafts
from conversation.staff.commands import reached
from desk.staff.errors import ActionError
from conversation.staff.turn import Reply, StaffTurn, find_ticket
from conversation.staff import handling
from desk.tickets import service
from desk.tickets.enums import TicketStatus
from desk.tickets.models import CATEGORY_LETTERS, Ticket

# A ticket number inside a bot message (the card, a confirmation) that staff replied to.
NUMBER = re.compile(rf"\b[{''.join(CATEGORY_LETTERS.values())}]-\d+\b")


async def take(turn: StaffTurn) -> Reply:
    """Take: the ticket is assigned to whoever pressed."""
    ticket = await _ticket(turn)
    await handling.assign(
        session=turn.session, desk=turn.desk, staff=turn.staff, ticket=ticket, assignee=turn.staff, now=turn.now
    )
    text = turn.text("utter_staff_assigned", number=ticket.number, who=turn.staff.name)
    return Reply(text=text, toast=text)


async def reply_hint(turn: StaffTurn) -> Reply:
    """Reply: how to answer (reply to the card, or /reply N text)."""
    ticket = await _ticket(turn)
    return Reply(toast=turn.text("utter_staff_reply_hint", number=ticket.number))


async def interim_hint(turn: StaffTurn) -> Reply:
    """Interim: how to send an interim reply."""
    ticket = await _ticket(turn)
    return Reply(toast=turn.text("utter_staff_interim_hint", number=ticket.number))


async def close(turn: StaffTurn) -> Reply:
    """Close, from the card."""
    ticket = await _ticket(turn)
    handled = await handling.close(
        session=turn.session, desk=turn.desk, staff=turn.staff, ticket=ticket, note=None, now=turn.now
    )
    name = "utter_staff_closed_unanswered" if handled.was_open else "utter_staff_closed"
    text = turn.text(name, number=ticket.number, who=turn.staff.name)
    return Reply(text=text, toast=text)


async def draft(turn: StaffTurn) -> Reply:
    """A reply to a ticket's card: keep it as a draft and ask for confirmation before it goes out."""
    found = NUMBER.search(turn.request.replied_text or "")
    ticket = await find_ticket(turn, found.group(0) if found else "", "utter_staff_reply_to_what")
    if ticket.status == TicketStatus.CLOSED:
        raise ActionError("utter_staff_ticket_closed", number=ticket.number)
    text = turn.request.text.strip()
    if not text:
        raise ActionError("utter_staff_usage_reply")
    kept = await drafts.create(
        session=turn.session, ticket_id=ticket.id, author_id=turn.staff.telegram_id, text=text, now=turn.now
    )
    await _audit(turn, "draft", ticket)
    prompt = "utter_staff_draft_prompt_anonymous" if ticket.anonymous else "utter_staff_draft_prompt"
    buttons = [
        Button(turn.text("utter_staff_button_send"), DraftAction("send", kept.id)),
        Button(turn.text("utter_staff_button_cancel"), DraftAction("drop", kept.id)),
    ]
    return Reply(text=turn.text(prompt, number=ticket.number, text=text), buttons=[buttons])


async def send(turn: StaffTurn) -> Reply:
    """Send: the confirmed draft becomes the reply to the citizen."""
    kept = await _draft(turn)
    ticket = await service.get_ticket(
        session=turn.session, organisation_id=turn.desk.organisation_id, ticket_id=kept.ticket_id
    )
    handled = await handling.staff_reply(
        session=turn.session, desk=turn.desk, staff=turn.staff, ticket=ticket, text=kept.text, now=turn.now
    )
    drafts.settle(kept, outcome="sent", now=turn.now)
    text = reached(turn, "utter_staff_replied", handled)
    return Reply(text=text, outgoing=handled.outgoing, toast=text, settled=True)


async def drop(turn: StaffTurn) -> Reply:
    """Cancel: the draft is never sent."""
    kept = await _draft(turn)
    ticket = await service.get_ticket(
        session=turn.session, organisation_id=turn.desk.organisation_id, ticket_id=kept.ticket_id
    )
    drafts.settle(kept, outcome="cancelled", now=turn.now)
    await _audit(turn, "drop", ticket)
    text = turn.text("utter_staff_draft_cancelled", number=ticket.number)
    return Reply(text=text, toast=text, settled=True)


async def _ticket(turn: StaffTurn) -> Ticket:
    ticket_id = arguments.record_id(turn.request.text)
    ticket = (
        await service.get_ticket(
            session=turn.session, organisation_id=turn.desk.organisation_id, ticket_id=ticket_id
        )
        if ticket_id
        else None
    )
    if ticket is None:
        raise ActionError("utter_staff_unknown_ticket", number=turn.request.text[:40])
    return ticket


async def _draft(turn: StaffTurn) -> drafts.Draft:
    draft_id = arguments.record_id(turn.request.text)
    kept = await drafts.get(session=turn.session, draft_id=draft_id) if draft_id else None
    if kept is None or kept.outcome is not None:
        raise ActionError("utter_staff_draft_settled")
    if kept.author_id != turn.staff.telegram_id:
        raise ActionError("utter_staff_draft_not_yours")
    return kept


async def _audit(turn: StaffTurn, action: str, ticket: Ticket) -> None:
    await audit.record(
        turn.session, organisation_id=turn.desk.organisation_id, action=action,
        actor_id=turn.staff.telegram_id, actor_role=turn.staff.role, now=turn.now, ticket_id=ticket.id,
        chat_id=turn.request.chat_id,
    )
