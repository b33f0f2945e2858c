"""End to end, per language: appointment requests checked against office hours and holidays, slots offered,
the citizen's choice noted on the ticket."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from desk.tickets import slots
from conversation.buttons import decode
from desk.tickets.models import Ticket
from nlu.dates import find_preferred_time
from tests.bot.citizen_steps import buttons, press, say

LANGUAGES = ["ko", "en", "hu"]
ON_TUESDAY = {
    "ko": "다음 주 화요일 오후 2시에 기초생활수급 신청 상담을 받고 싶어요",
    "en": "I would like to book an appointment next Tuesday at 2pm to talk about my housing benefit",
    "hu": "Szeretnék időpontot kérni jövő kedden 14 órakor a lakhatási támogatásom ügyében",
}
ON_SATURDAY = {
    "ko": "토요일 오전 11시에 기초생활수급 신청 상담을 받고 싶어요",
    "en": "Can I book an appointment on Saturday at 11am about my housing benefit?",
    "hu": "Szeretnék időpontot kérni szombaton 11 órakor a lakhatási támogatásom ügyében",
}
BARE = {"ko": "상담 예약하고 싶어요", "en": "I would like to make an appointment", "hu": "Szeretnék időpontot foglalni"}
PURPOSE = {"ko": "기초생활수급 신청 때문에요", "en": "To talk about my housing benefit application",
           "hu": "A lakhatási támogatás igénylése miatt"}
WHEN = {"ko": "내일 오전 10시요", "en": "tomorrow at 10am please", "hu": "holnap délelőtt 10-kor"}


def user_of(base: int, language: str) -> int:
    return base + LANGUAGES.index(language)


async def the_ticket(store) -> Ticket:
    async with store.unit_of_work() as session:
        [ticket] = (await session.scalars(select(Ticket))).all()
    return ticket


def asked_for(live, text: str, sent: dict, language: str):
    """What the bot will make of the time in `text` (the same reader the bot uses)."""
    received = datetime.fromtimestamp(sent["date"], UTC)
    found = find_preferred_time(text, now=received, timezone=live.charter.timezone, language=language)
    return found.at, slots.verdict(live.charter.calendar, found.at, now=received)


async def choose_first_slot(sandbox, live, user: int, offer: dict, language: str) -> datetime:
    """Press the first offered time; check the answer and the ticket; return the time."""
    data = buttons(offer)[0][1]
    start = decode(data).start
    [noted] = await press(sandbox, user, offer, data)
    ticket = await the_ticket(live.store)
    assert noted["text"] == live.desk.texts.render(
        "utter_appointment_noted", language, moment=live.desk.moment(start, language), number=ticket.number,
        due=live.desk.moment(ticket.due_at, language),
    )
    assert ticket.preferred_at == start and slots.fits(live.charter.calendar, start)
    return start


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_open_time_is_offered_for_confirmation(sandbox, live, language):
    user = user_of(910_000, language)
    sandbox.user(user, "Citizen", language_code=language)
    texts = live.desk.texts
    sent = await sandbox.send_text(user, ON_TUESDAY[language])
    ack, offer = await sandbox.wait_for_bot_messages(user, 2, after_message_id=sent["message_id"])
    assert ack["text"].startswith(texts.render("utter_ticket_opened_appointment_request", language,
                                               number="A-1001", due="")[:8])
    at, verdict = asked_for(live, ON_TUESDAY[language], sent, language)
    assert live.charter.calendar.local(at).weekday() == 1 and live.charter.calendar.local(at).hour == 14
    if verdict == "open":
        assert offer["text"] == texts.render("utter_appointment_confirm", language, moment=live.desk.moment(at, language))
        assert [label for label, _ in buttons(offer)][1] == texts.render("utter_button_other_time", language)
    else:  # next Tuesday happens to be a holiday: the nearest open slots instead
        assert offer["text"].startswith(texts.render(f"utter_appointment_{verdict}", language,
                                                     moment=live.desk.moment(at, language))[:6])
    start = await choose_first_slot(sandbox, live, user, offer, language)
    assert start == at or verdict != "open"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_closed_time_gets_the_nearest_open_slots_and_another_time_can_be_written(sandbox, live, language):
    user = user_of(910_100, language)
    sandbox.user(user, "Citizen", language_code=language)
    texts = live.desk.texts
    sent = await sandbox.send_text(user, ON_SATURDAY[language])
    _, offer = await sandbox.wait_for_bot_messages(user, 2, after_message_id=sent["message_id"])
    at, verdict = asked_for(live, ON_SATURDAY[language], sent, language)
    assert verdict in ("closed_day", "holiday")
    assert offer["text"] == texts.render(f"utter_appointment_{verdict}", language,
                                         moment=live.desk.moment(at, language))
    offered = [decode(data).start for _, data in buttons(offer)[:-1]]
    assert len(offered) == 3 and all(slots.fits(live.charter.calendar, start) for start in offered)
    assert buttons(offer)[-1] == (texts.render("utter_button_other_time", language), "c:ap:1:other")
    # None of them suits: the citizen writes another time.
    [write] = await press(sandbox, user, offer, "c:ap:1:other")
    assert write["text"] == texts.render("utter_appointment_write_time", language)
    [again] = await say(sandbox, user, ON_TUESDAY[language])
    await choose_first_slot(sandbox, live, user, again, language)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_what_is_missing_is_asked_for(sandbox, live, language):
    user = user_of(910_200, language)
    sandbox.user(user, "Citizen", language_code=language)
    texts = live.desk.texts
    ack, purpose, when = await say(sandbox, user, BARE[language], expect=3)
    assert "A-1001" in ack["text"]
    assert purpose["text"] == texts.render("utter_appointment_ask_purpose", language)
    assert when["text"] == texts.render("utter_appointment_ask_time", language) and len(buttons(when)) == 3
    [still_when] = await say(sandbox, user, PURPOSE[language])
    assert still_when["text"] == texts.render("utter_appointment_ask_time", language)
    sent = await sandbox.send_text(user, WHEN[language])
    [offer] = await sandbox.wait_for_bot_messages(user, after_message_id=sent["message_id"])
    at, verdict = asked_for(live, WHEN[language], sent, language)
    assert live.charter.calendar.local(at).hour == 10
    expected = "utter_appointment_confirm" if verdict == "open" else f"utter_appointment_{verdict}"
    assert offer["text"] == texts.render(expected, language, moment=live.desk.moment(at, language))
    await choose_first_slot(sandbox, live, user, offer, language)
    ticket = await the_ticket(live.store)
    assert ticket.text == BARE[language]
