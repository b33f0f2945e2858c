"""A citizen pressed one of our buttons: a language, a category or follow-up choice, an appointment time."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from desk.tickets import citizens, questions, service
from desk.tickets.enums import Category, TicketStatus
from conversation.citizen import messages
from conversation.citizen.appointments import ask_other_time, choose_slot, slot_start
from desk.tickets.models import Citizen
from conversation.replies import keyboard
from conversation.turns import Answer, Desk, Press, Turn


async def press(*, session: AsyncSession, desk: Desk, press: Press, now: datetime) -> Answer:
    """A citizen pressed one of our buttons ("c:lang:", "c:q:", "c:ap:"); anonymous ones go to anonymous_flows."""
    kind, _, rest = press.data.removeprefix("c:").partition(":")
    key = f"press:{press.query_id}"
    if kind == "lang":
        return await choose_language(session=session, desk=desk, chat_id=press.chat_id, language=rest, key=key,
                                     now=now)
    citizen = await service.get_citizen(session=session, chat_id=press.chat_id)
    language = citizen.language if citizen else await citizens.language_for(
        session=session, desk=desk, chat_id=press.chat_id, text="", detected=None, hint=press.telegram_language)
    turn = Turn(session=session, desk=desk, now=now, chat_id=press.chat_id, language=language, key=key)
    if citizen is None:
        return turn.answer(toast=turn.text("utter_question_gone"), settled=True)
    if kind == "q":
        return await _settle_question(turn, citizen, rest)
    if kind == "ap":
        return await _appointment_button(turn, citizen, rest)
    return turn.answer(toast=turn.text("utter_question_gone"))


async def _settle_question(turn: Turn, citizen: Citizen, rest: str) -> Answer:
    question_id, _, choice = rest.partition(":")
    action, _, target = choice.partition(":")
    question = await questions.get(session=turn.session, question_id=int(question_id)) if question_id.isdigit() else None
    if question is None or question.chat_id != turn.chat_id:
        return turn.answer(toast=turn.text("utter_question_gone"), settled=True)
    if question.answered_at is not None:
        return turn.answer(toast=turn.text("utter_question_done"), settled=True)
    return await messages.settle(turn, citizen, question, action, target)


async def _appointment_button(turn: Turn, citizen: Citizen, rest: str) -> Answer:
    ticket_id, _, choice = rest.partition(":")
    ticket = await service.get_ticket(session=turn.session, ticket_id=int(ticket_id)) if ticket_id.isdigit() else None
    if ticket is None or ticket.citizen_id != citizen.id or ticket.category != Category.APPOINTMENT_REQUEST \
            or ticket.status != TicketStatus.OPEN:
        return turn.answer(toast=turn.text("utter_question_gone"), settled=True)
    if choice == "other":
        await ask_other_time(turn, ticket)
        return turn.answer(settled=True)
    start = slot_start(choice)
    if start is None:
        return turn.answer(toast=turn.text("utter_question_gone"))
    await choose_slot(turn, ticket, start)
    return turn.answer(settled=True)


def language_menu(desk: Desk) -> dict:
    """One button per language the desk speaks, each labelled in its own language."""
    return keyboard([[(desk.texts.render("utter_language_name", code), f"c:lang:{code}") for code in
                      citizens.speakable(desk)]])


async def choose_language(*, session: AsyncSession, desk: Desk, chat_id: int, language: str, key: str,
                          now: datetime) -> Answer:
    """The citizen chose a language: store it, confirm in it, and show the commands in it."""
    if language not in citizens.speakable(desk):
        return Answer(duplicate=False, toast=desk.texts.render("utter_question_gone", desk.charter.languages[0]))
    await citizens.choose(session=session, chat_id=chat_id, language=language, now=now)
    turn = Turn(session=session, desk=desk, now=now, chat_id=chat_id, language=language, key=key)
    await turn.say(turn.text("utter_language_chosen") + "\n\n" + turn.text("utter_help"))
    return turn.answer(settled=True, menu_language=language)
