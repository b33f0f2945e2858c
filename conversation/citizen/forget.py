"""/forget: a citizen erases what we hold about them, once they confirm with a button.

Decisions (docs/security.md has the reasons):
- Tickets not yet closed are closed as withdrawn (an audit row each, actor "nobody") and staff are
  told their numbers in the staff chat, so no one keeps working on a matter whose words are gone.
- Every ticket of theirs keeps its figures (category, times, status, rating score), so the
  compliance report's totals do not change; texts, file references and the link to them go.
- Everything addressed to their chat goes, sent or not: an outbox row holds the chat id in its
  columns and key, and a promise to someone who asked to be forgotten is not kept.
- The confirmation itself is sent like an anonymous-path message: under a random key, deleted
  once delivered, so nothing names the chat afterwards.
- Anonymous complaints are untouched: nothing links them to this chat.
- The audit log keeps its rows (append-only); the forget itself is logged without the chat id.
"""

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk import audit, outbox
from conversation.citizen.anonymous import OUTBOX_PREFIX
from infra.encrypted import chat_tag
from desk.privacy import chats
from desk.privacy.erase import erase_tickets
from desk.tickets import citizens, lifecycle, service
from desk.tickets.enums import TicketStatus
from conversation.buttons import Button, ConfirmForget
from desk.tickets.models import Ticket
from conversation.turns import Answer, Desk, Inbound, Press, Turn


async def ask(*, session: AsyncSession, desk: Desk, inbound: Inbound, now: datetime) -> Answer:
    """/forget: say what would be erased and ask to confirm (or say there is nothing to erase)."""
    if (
        await service.record_inbound(
            session=session, organisation_id=desk.organisation_id, chat_id=inbound.chat_id,
            message_id=inbound.message_id, received_at=inbound.received_at,
        )
        is None
    ):
        return Answer(duplicate=True)
    language = await citizens.language_for(session=session, desk=desk, chat_id=inbound.chat_id, text="",
                                           detected=None, hint=inbound.telegram_language)
    turn = Turn(session=session, desk=desk, now=now, chat_id=inbound.chat_id, language=language,
                key=f"reply:{chat_tag(inbound.chat_id)}:{inbound.message_id}")
    citizen = await service.get_citizen(
        session=session, organisation_id=desk.organisation_id, chat_id=inbound.chat_id
    )
    if citizen is None:
        await turn.say(turn.text("utter_forget_nothing"))
        return turn.answer()
    tickets = await _tickets_of(session, citizen.id)
    buttons = [[Button(turn.label("utter_forget_button_yes"), ConfirmForget(erase=True)),
                Button(turn.label("utter_forget_button_no"), ConfirmForget(erase=False))]]
    still_open = sum(ticket.status != TicketStatus.CLOSED for ticket in tickets)
    await turn.say(turn.text("utter_forget_confirm", tickets=len(tickets), open=still_open), buttons=buttons)
    return turn.answer()


async def press(*, session: AsyncSession, desk: Desk, press: Press, now: datetime) -> Answer:
    """The confirmation buttons: "yes" erases, "no" keeps everything."""
    language = await citizens.language_for(session=session, desk=desk, chat_id=press.chat_id, text="",
                                           detected=None, hint=press.telegram_language)
    turn = Turn(session=session, desk=desk, now=now, chat_id=press.chat_id, language=language,
                key=OUTBOX_PREFIX + secrets.token_hex(16))
    turn.ephemeral = True
    choice = press.button
    if not isinstance(choice, ConfirmForget):
        return turn.answer(toast=turn.text("utter_question_gone"))
    if not choice.erase:
        await turn.say(turn.text("utter_forget_kept"))
        return turn.answer(settled=True)
    erased = await forget(session=session, desk=desk, chat_id=press.chat_id, now=now)
    if erased is None:
        return turn.answer(toast=turn.text("utter_forget_nothing"), settled=True)
    await turn.say(turn.text("utter_forget_done", tickets=erased))
    return turn.answer(settled=True)


async def forget(*, session: AsyncSession, desk: Desk, chat_id: int, now: datetime) -> int | None:
    """Erase the citizen of this chat (open tickets withdrawn, staff told); how many tickets, None if unknown."""
    citizen = await service.get_citizen(
        session=session, organisation_id=desk.organisation_id, chat_id=chat_id
    )
    if citizen is None:
        return None
    tickets = await _tickets_of(session, citizen.id)
    withdrawn = [ticket for ticket in tickets if ticket.status != TicketStatus.CLOSED]
    for ticket in withdrawn:
        was = lifecycle.withdraw(ticket, now=now)
        await audit.record(
            session, organisation_id=desk.organisation_id, action="withdraw", actor_id=None, actor_role=None,
            now=now, ticket_id=ticket.id, detail=f"was={was}",
        )
    numbers = [ticket.number for ticket in withdrawn]
    await erase_tickets(session=session, ticket_ids=[ticket.id for ticket in tickets], now=now)
    await chats.forget_chat(session=session, organisation_id=desk.organisation_id, chat_id=chat_id)
    await audit.record(
        session, organisation_id=desk.organisation_id, action="forget", actor_id=None, actor_role=None,
        now=now, detail=f"tickets={len(tickets)} withdrawn={len(withdrawn)}",
    )
    if numbers:
        await outbox.enqueue(
            session, key=f"withdrawn:{withdrawn[0].id}", chat_id=desk.charter.staff_chat_id, now=now,
            organisation_id=desk.organisation_id,
            text=desk.texts.render("utter_staff_withdrawn", desk.staff_chat_language(), numbers=", ".join(numbers)),
        )
    return len(tickets)


async def _tickets_of(session: AsyncSession, citizen_id: int) -> list[Ticket]:
    query = select(Ticket).where(Ticket.citizen_id == citizen_id).order_by(Ticket.id)
    return list((await session.scalars(query)).all())
