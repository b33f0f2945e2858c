"""Use cases of a citizen's conversation, called alike from Telegram handlers, sweeps, the CLI and tests.

Every flow takes what arrived (a message, a command, a button press), records it once, and returns
an Answer: the outbox rows it promised, leased to the caller for sending right after commit.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from infra.encrypted import chat_tag
from desk.chat_state import ChatState
from desk.tickets import citizens, corrections, questions, service
from conversation import arguments
from conversation.citizen import messages, status
from conversation.citizen.edits import take_edit
from conversation.citizen.messages import TICKET_CATEGORIES
from desk.tickets.models import Citizen
from conversation.citizen.presses import choose_language, language_menu, press
from conversation.turns import Answer, Attachment, Desk, Held, Inbound, Press, Turn, Understanding

__all__ = [
    "TICKET_CATEGORIES", "Answer", "Attachment", "Desk", "Held", "Inbound", "Press", "Understanding",
    "answer_command", "cancel", "choose_language", "flood_notice", "group_note", "language_menu",
    "language_prompt", "press", "show_status", "start", "take_edit", "take_message",
]


async def take_message(
    *, session: AsyncSession, desk: Desk, inbound: Inbound, understanding: Understanding, now: datetime,
    state: ChatState | None = None, recorded: bool | None = None,
) -> Answer:
    """A citizen wrote: open a ticket, add to one, ask, or answer; a repeat of the same message is a no-op.

    `state`: the chat as desk.chat_state.read found it in this transaction (saves reading it again).
    `recorded`: whether the caller's service.record_inbounds found the message new (None: not recorded yet)."""
    begun = await _begin_with_citizen(session, desk, inbound, understanding.language, now, state, recorded)
    if begun is None:
        return Answer(duplicate=True)
    turn, citizen = begun
    return await messages.route(turn, citizen, inbound, understanding)


async def answer_command(
    *, session: AsyncSession, desk: Desk, inbound: Inbound, response: str, now: datetime, **params: object
) -> Answer:
    """A command answered with one text (/help, an unknown command): once, in the citizen's language."""
    turn = await _begin(session, desk, inbound, None, now)
    if turn is None:
        return Answer(duplicate=True)
    await turn.say(turn.text(response, **params))
    return turn.answer()


async def start(*, session: AsyncSession, desk: Desk, inbound: Inbound, now: datetime) -> Answer:
    """/start: the privacy notice, with buttons to choose the language."""
    turn = await _begin(session, desk, inbound, None, now)
    if turn is None:
        return Answer(duplicate=True)
    await turn.say(turn.text("utter_start"), buttons=language_menu(desk))
    return turn.answer()


async def language_prompt(*, session: AsyncSession, desk: Desk, inbound: Inbound, now: datetime) -> Answer:
    """/language: the language buttons."""
    turn = await _begin(session, desk, inbound, None, now)
    if turn is None:
        return Answer(duplicate=True)
    await turn.say(turn.text("utter_language_prompt"), buttons=language_menu(desk))
    return turn.answer()


async def show_status(*, session: AsyncSession, desk: Desk, inbound: Inbound, argument: str, now: datetime) -> Answer:
    """/status: the citizen's tickets; /status NUMBER: one of them in full. (Codes: conversation.citizen.anonymous.)"""
    begun = await _begin_with_citizen(session, desk, inbound, None, now)
    if begun is None:
        return Answer(duplicate=True)
    turn, citizen = begun
    read = arguments.status_argument(argument)
    if read.kind == arguments.StatusKind.NONE:
        await turn.say(await status.overview(turn, citizen))
        return turn.answer()
    if read.kind != arguments.StatusKind.TICKET:
        await turn.say(turn.text("utter_status_bad_argument", argument=argument.strip()[:40]))
        return turn.answer()
    number = read.ticket
    # A bare number ('1001') is looked for among the citizen's own tickets, whatever its letter.
    ticket = (
        await service.get_ticket_by_number(
            session=session, organisation_id=desk.organisation_id, serial=number.serial
        )
        if number
        else None
    )
    if ticket is None or ticket.citizen_id != citizen.id or (number.category is not None and not await
                                                             corrections.names_ticket(session=session, ticket=ticket,
                                                                                      category=number.category)):
        await turn.say(turn.text("utter_status_not_yours", number=argument.strip().upper()[:40]))
    else:
        await turn.say(await status.detail(turn, ticket), ticket_id=ticket.id)
    return turn.answer()


async def cancel(*, session: AsyncSession, desk: Desk, inbound: Inbound, now: datetime) -> Answer:
    """/cancel: stop the appointment questions we are asking (held messages stay held: nothing is lost)."""
    turn = await _begin(session, desk, inbound, None, now)
    if turn is None:
        return Answer(duplicate=True)
    question = await questions.open_for_chat(
        session=session, organisation_id=desk.organisation_id, chat_id=inbound.chat_id, kind="appointment"
    )
    if question is not None:
        question.answered_at = now
    await turn.say(turn.text("utter_cancelled" if question else "utter_nothing_to_cancel"))
    return turn.answer()


async def flood_notice(*, session: AsyncSession, desk: Desk, chat_id: int, hint: str | None,
                       now: datetime) -> Answer:
    """A chat sends faster than the flood limit: tell it once, politely, that we pause its messages."""
    language = await citizens.language_for(session=session, desk=desk, chat_id=chat_id, text="", detected=None,
                                           hint=hint)
    turn = Turn(session=session, desk=desk, now=now, chat_id=chat_id, language=language,
                key=f"flood:{chat_tag(chat_id)}:{int(now.timestamp())}")
    await turn.say(turn.text("utter_flood"))
    return turn.answer()


async def group_note(*, session: AsyncSession, desk: Desk, chat_id: int, message_id: int, hint: str | None,
                     bot_username: str | None, now: datetime) -> Answer:
    """A citizen command in a group: we take requests in a private chat only (nothing is stored)."""
    language = (hint or "").split("-")[0].lower()
    language = language if language in citizens.speakable(desk) else desk.charter.languages[0]
    turn = Turn(session=session, desk=desk, now=now, chat_id=chat_id, language=language,
                key=f"group:{chat_tag(chat_id)}:{message_id}")
    await turn.say(turn.text("utter_group_private_only", bot=f"@{bot_username}" if bot_username else ""))
    return turn.answer()


async def _begin(session: AsyncSession, desk: Desk, inbound: Inbound, detected: str | None,
                 now: datetime) -> Turn | None:
    """Record the message once and settle the citizen and their language; None if it was seen before."""
    begun = await _begin_with_citizen(session, desk, inbound, detected, now)
    return begun[0] if begun else None


async def _begin_with_citizen(session: AsyncSession, desk: Desk, inbound: Inbound, detected: str | None,
                              now: datetime, state: ChatState | None = None,
                              recorded: bool | None = None) -> tuple[Turn, Citizen] | None:
    """_begin, also handing back the citizen it settled (so the flow need not read it again)."""
    if recorded is None:
        recorded = (
            await service.record_inbound(
                session=session, organisation_id=desk.organisation_id, chat_id=inbound.chat_id,
                message_id=inbound.message_id, received_at=inbound.received_at,
            )
            is not None
        )
    if not recorded:
        return None
    if state is None:
        citizen = await citizens.citizen_for(
            session=session, desk=desk, chat_id=inbound.chat_id, text=inbound.text, detected=detected,
            hint=inbound.telegram_language, now=now,
        )
    else:
        citizen = await citizens.settle_read(
            session=session, desk=desk, chat_id=inbound.chat_id, known=state.citizen, chosen=state.chosen_language,
            text=inbound.text, detected=detected, hint=inbound.telegram_language, now=now,
        )
        if state.citizen is None:  # created just now: no ticket of theirs exists to be read
            service.note_open_tickets(session, citizen_id=citizen.id, tickets=[])
    # Keyed by the message answered, so a redelivered update can never promise a second reply.
    turn = Turn(session=session, desk=desk, now=now, chat_id=inbound.chat_id, language=citizen.language,
                key=f"reply:{chat_tag(inbound.chat_id)}:{inbound.message_id}")
    return turn, citizen

