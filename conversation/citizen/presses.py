"""A citizen pressed one of our buttons: a language, a category or follow-up choice, an appointment time."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from desk.tickets import citizens, questions, service
from conversation.buttons import (
    AddToTicket, Button, ChooseLanguage, Keyboard, MissingAnswer, NewMatter, NotARequest, OtherTime, PickSlot,
    SendAnyway,
)
from desk.tickets.enums import Category, TicketStatus
from conversation.citizen import messages
from conversation.citizen.appointments import ask_other_time, choose_slot
from desk.tickets.models import Citizen
from conversation.turns import Answer, Desk, Press, Turn


async def press(*, session: AsyncSession, desk: Desk, press: Press, now: datetime) -> Answer:
    """A citizen pressed a language, question or appointment button (anonymous ones go to anonymous)."""
    button = press.button
    key = f"press:{press.query_id}"
    if isinstance(button, ChooseLanguage):
        return await choose_language(session=session, desk=desk, chat_id=press.chat_id,
                                     language=button.language, key=key, now=now)
    citizen = await service.get_citizen(
        session=session, organisation_id=desk.organisation_id, chat_id=press.chat_id
    )
    language = citizen.language if citizen else await citizens.language_for(
        session=session, desk=desk, chat_id=press.chat_id, text="", detected=None, hint=press.telegram_language)
    turn = Turn(session=session, desk=desk, now=now, chat_id=press.chat_id, language=language, key=key)
    if citizen is None:
        return turn.answer(toast=turn.text("utter_question_gone"), settled=True)
    if isinstance(button, NewMatter | AddToTicket | MissingAnswer | NotARequest | SendAnyway):
        return await _settle_question(turn, citizen, button)
    if isinstance(button, PickSlot | OtherTime):
        return await _appointment_button(turn, citizen, button)
    return turn.answer(toast=turn.text("utter_question_gone"))


async def _settle_question(turn: Turn, citizen: Citizen, button: messages.QuestionPress) -> Answer:
    question = await questions.get(session=turn.session, question_id=button.question_id)
    if question is None or question.chat_id != turn.chat_id:
        return turn.answer(toast=turn.text("utter_question_gone"), settled=True)
    if question.answered_at is not None:
        return turn.answer(toast=turn.text("utter_question_done"), settled=True)
    return await messages.settle(turn, citizen, question, button)


async def _appointment_button(turn: Turn, citizen: Citizen, button: PickSlot | OtherTime) -> Answer:
    ticket = await service.get_ticket(
        session=turn.session, organisation_id=turn.desk.organisation_id, ticket_id=button.ticket_id
    )
    if ticket is None or ticket.citizen_id != citizen.id or ticket.category != Category.APPOINTMENT_REQUEST \
            or ticket.status != TicketStatus.OPEN:
        return turn.answer(toast=turn.text("utter_question_gone"), settled=True)
    if isinstance(button, OtherTime):
        await ask_other_time(turn, ticket)
        return turn.answer(settled=True)
    return turn.answer(toast=await choose_slot(turn, ticket, button.start), settled=True)


def language_menu(desk: Desk) -> Keyboard:
    """One button per language the desk speaks, each labelled in its own language."""
    return [[Button(desk.texts.render("utter_language_name", code), ChooseLanguage(code))
             for code in citizens.speakable(desk)]]


async def choose_language(*, session: AsyncSession, desk: Desk, chat_id: int, language: str, key: str,
                          now: datetime) -> Answer:
    """The citizen chose a language: store it, confirm in it, and show the commands in it."""
    if language not in citizens.speakable(desk):
        return Answer(duplicate=False, toast=desk.texts.render("utter_question_gone", desk.charter.languages[0]))
    await citizens.choose(
        session=session, organisation_id=desk.organisation_id, chat_id=chat_id, language=language, now=now
    )
    turn = Turn(session=session, desk=desk, now=now, chat_id=chat_id, language=language, key=key)
    await turn.say(turn.text("utter_language_chosen") + "\n\n" + turn.text("utter_help"))
    return turn.answer(settled=True, menu_language=language)
