"""A citizen edited a message: the ticket or follow-up it made takes the new text, the old stays in history."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from infra.encrypted import chat_tag
from desk.tickets import entries, questions, service
from conversation.turns import Answer, Desk, Inbound, Turn


async def take_edit(*, session: AsyncSession, desk: Desk, inbound: Inbound, edited_at: datetime,
                    now: datetime) -> Answer:
    """A citizen edited a message: the ticket (or follow-up) it made takes the new text; the old one stays in history."""
    citizen = await service.get_citizen(
        session=session, organisation_id=desk.organisation_id, chat_id=inbound.chat_id
    )
    language = citizen.language if citizen else desk.charter.languages[0]
    key = f"edit:{chat_tag(inbound.chat_id)}:{inbound.message_id}:{int(edited_at.timestamp())}"
    turn = Turn(session=session, desk=desk, now=now, chat_id=inbound.chat_id, language=language, key=key)
    ticket_id = await entries.ticket_of_message(session=session, chat_id=inbound.chat_id,
                                                message_id=inbound.message_id)
    ticket = (
        await service.get_ticket(session=session, organisation_id=desk.organisation_id, ticket_id=ticket_id)
        if ticket_id
        else None
    )
    if ticket is not None and ticket.citizen_id == (citizen.id if citizen else None):
        await _edit_ticket(turn, ticket, inbound)
        return turn.answer()
    held = await questions.held_message(
        session=session, organisation_id=desk.organisation_id, chat_id=inbound.chat_id,
        message_id=inbound.message_id,
    )
    if held is not None:
        held.text = inbound.text
        await turn.say(turn.text("utter_edit_held"))
    else:
        await turn.say(turn.text("utter_edit_not_applied"))
    return turn.answer()


async def _edit_ticket(turn: Turn, ticket, inbound: Inbound) -> None:
    entry = await entries.citizen_entry(session=turn.session, ticket_id=ticket.id, message_id=inbound.message_id)
    previous = entry.text if entry is not None else ticket.text
    if previous == inbound.text:
        return
    # The superseded text goes into history before the live text changes.
    await entries.add(session=turn.session, ticket=ticket, kind="citizen_edit", text=previous,
                      message_id=inbound.message_id, now=turn.now)
    if entry is not None:
        entry.text = inbound.text
    else:
        ticket.text = inbound.text
    await turn.say(turn.text("utter_edit_applied", number=ticket.number), ticket_id=ticket.id)
