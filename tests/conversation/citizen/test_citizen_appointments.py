"""Appointment requests at the desk level: what is asked, which times are offered, what is noted."""

import asyncio
from datetime import timedelta

from sqlalchemy import select

from conversation.citizen import flows, presses
from conversation.citizen.appointments import lacks_purpose
from desk.tickets.models import Ticket, TicketEntry
from desk.tickets.questions import Question
from tests.conftest import at

RECEIVED = at("2026-11-23T10:15:00+09:00")  # Monday morning, Seoul
CHAT = 600


def seoul(text: str):
    return at(text + "+09:00")


async def take(store, desk, text: str, message_id: int, *, preferred=None, has_time=True, phrase=None,
               intent="appointment_request"):
    message = flows.Inbound(chat_id=CHAT, message_id=message_id, text=text,
                            received_at=RECEIVED + timedelta(minutes=message_id))
    understanding = flows.Understanding(intent=intent, language="en", preferred_at=preferred,
                                        preferred_has_time=has_time, time_phrase=phrase)
    async with store.unit_of_work() as session:
        return await flows.take_message(session=session, desk=desk, inbound=message, understanding=understanding,
                                        now=message.received_at)


async def press(store, desk, data: str, query: str = "q1"):
    async with store.unit_of_work() as session:
        return await flows.press(session=session, desk=desk, now=RECEIVED + timedelta(minutes=30),
                                 press=flows.Press(chat_id=CHAT, query_id=query, data=data, message_id=None))


def buttons(outgoing) -> list[tuple[str, str]]:
    markup = outgoing.reply_markup or []
    return [(b["text"], b["data"]) for row in markup for b in row]


async def the_ticket(store) -> Ticket:
    async with store.unit_of_work() as session:
        return await session.scalar(select(Ticket))


def test_a_request_that_says_what_it_is_for_needs_no_question():
    assert lacks_purpose("I'd like an appointment", None)
    assert lacks_purpose("상담 예약하고 싶어요", None)
    assert lacks_purpose("next Tuesday at 2pm please, an appointment", "next Tuesday at 2pm")
    assert not lacks_purpose("I'd like an appointment to talk about my housing benefit", None)
    assert not lacks_purpose("기초생활수급 신청 상담을 받고 싶어요", None)
    assert not lacks_purpose("Szeretnék időpontot kérni jövő csütörtökre tanácsadásra", "jövő csütörtökre")


async def test_an_open_time_is_offered_and_confirmed(store, desk):
    asked = seoul("2026-11-24T14:00")
    answer = await take(store, desk, "Appointment tomorrow at 2pm about my housing benefit", 1, preferred=asked,
                        phrase="tomorrow at 2pm")
    ack, offer = answer.outgoing
    assert ack.text.startswith("Your appointment request is registered as ticket A-1001")
    assert offer.text == desk.texts.render("utter_appointment_confirm", "en", moment=desk.moment(asked, "en"))
    minutes = int(asked.timestamp()) // 60
    assert [data for _, data in buttons(offer)] == [f"c:ap:1:{minutes}", "c:ap:1:other"]
    noted = await press(store, desk, f"c:ap:1:{minutes}")
    ticket = await the_ticket(store)
    assert ticket.preferred_at == asked and noted.settled
    assert noted.outgoing[0].text.startswith(f"Noted: {desk.moment(asked, 'en')} for A-1001")
    async with store.unit_of_work() as session:
        [question] = (await session.scalars(select(Question))).all()
        [entry] = (await session.scalars(select(TicketEntry))).all()
    assert question.answered_at is not None and entry.kind == "system"


async def test_a_holiday_gets_the_nearest_open_slots(store, desk):
    christmas = seoul("2026-12-25T11:00")
    answer = await take(store, desk, "An appointment on Christmas at 11 about my pension", 1, preferred=christmas)
    offer = answer.outgoing[-1]
    assert offer.text == desk.texts.render("utter_appointment_holiday", "en", moment=desk.moment(christmas, "en"))
    labels = [label for label, _ in buttons(offer)]
    assert labels == ["Thu, Dec 24 11:00", "Mon, Dec 28 10:00", "Mon, Dec 28 11:00", "Another time"]


async def test_a_slot_that_closed_meanwhile_is_offered_again(store, desk):
    answer = await take(store, desk, "An appointment about my pension, tomorrow 2pm", 1,
                        preferred=seoul("2026-11-24T14:00"))
    assert len(answer.outgoing) == 2
    lunch = int(seoul("2026-11-24T12:00").timestamp()) // 60
    again = await press(store, desk, f"c:ap:1:{lunch}")
    assert again.outgoing[0].text.startswith(desk.moment(seoul("2026-11-24T12:00"), "en") + " is outside")
    assert (await the_ticket(store)).preferred_at is None


async def test_a_day_without_a_time_offers_times_that_day(store, desk):
    tuesday = seoul("2026-11-24T00:00")
    answer = await take(store, desk, "Can I come on Tuesday about my pension?", 1, preferred=tuesday,
                        has_time=False, phrase="Tuesday")
    offer = answer.outgoing[-1]
    assert offer.text == "Which time on Tue, Nov 24, 2026 suits you?"
    assert [label for label, _ in buttons(offer)] == ["Tue, Nov 24 09:00", "Tue, Nov 24 13:00", "Tue, Nov 24 17:00",
                                                      "Another time"]


async def test_what_is_missing_is_asked_and_answers_join_the_ticket(store, desk):
    _, purpose, when = (await take(store, desk, "I'd like an appointment", 1)).outgoing
    assert purpose.text == desk.texts.render("utter_appointment_ask_purpose", "en")
    assert when.text == desk.texts.render("utter_appointment_ask_time", "en") and len(buttons(when)) == 3
    # "About my application" sounds like a status question to the classifier; here it is the answer.
    [still_when] = (await take(store, desk, "About my housing benefit application", 2, intent="check_status")).outgoing
    assert still_when.text == desk.texts.render("utter_appointment_ask_time", "en")
    [unread] = (await take(store, desk, "whenever you like", 3, intent="out_of_scope")).outgoing
    assert unread.text == desk.texts.render("utter_appointment_no_date", "en")
    [given_up] = (await take(store, desk, "really, any time", 4, intent="out_of_scope")).outgoing
    assert given_up.text.startswith("A member of staff will agree a time with you for A-1001")
    async with store.unit_of_work() as session:
        entries = (await session.scalars(select(TicketEntry).order_by(TicketEntry.id))).all()
    assert [e.text for e in entries] == ["About my housing benefit application", "whenever you like",
                                         "really, any time"]
    # The question is closed: the next message is an ordinary one again.
    assert (await take(store, desk, "Hello", 5, intent="greet")).outgoing[0].text.startswith("Hello!")


async def test_a_new_complaint_is_not_taken_for_an_answer(store, desk):
    await take(store, desk, "I'd like an appointment about my pension", 1)
    complaint = await take(store, desk, "The staff were rude to me yesterday", 2, intent="complaint")
    assert complaint.ticket_number == "C-1002"


async def test_another_time_reopens_the_question(store, desk):
    answer = await take(store, desk, "Appointment about my pension tomorrow 2pm", 1,
                        preferred=seoul("2026-11-24T14:00"))
    write = await press(store, desk, "c:ap:1:other")
    assert write.outgoing[0].text == desk.texts.render("utter_appointment_write_time", "en")
    later = seoul("2026-11-25T10:00")
    offer = (await take(store, desk, "Wednesday 10am then", 2, preferred=later)).outgoing[0]
    assert offer.text == desk.texts.render("utter_appointment_confirm", "en", moment=desk.moment(later, "en"))
    assert answer.ticket_number == "A-1001"


async def test_a_slot_pressed_twice_at_once_is_noted_once_and_said_once(store, desk, monkeypatch):
    """Issue 18: two presses of the same slot (a double tap: two callback queries) at the same moment."""
    asked = seoul("2026-11-24T14:00")
    await take(store, desk, "Appointment tomorrow at 2pm about my housing benefit", 1, preferred=asked,
               phrase="tomorrow at 2pm")
    data = f"c:ap:1:{int(asked.timestamp()) // 60}"
    # Both presses read the ticket before either writes (PostgreSQL; SQLite runs one transaction at a time,
    # so there the second waits for the first and the barrier gives up).
    both_read, read = asyncio.Barrier(2), presses.service.get_ticket

    async def get_ticket_together(**options):
        ticket = await read(**options)
        try:
            await asyncio.wait_for(both_read.wait(), timeout=2)
        except (TimeoutError, asyncio.BrokenBarrierError):
            pass
        return ticket

    monkeypatch.setattr(presses.service, "get_ticket", get_ticket_together)
    first, second = await asyncio.gather(press(store, desk, data, "q1"), press(store, desk, data, "q2"))
    said = [m.text for answer in (first, second) for m in answer.outgoing]
    assert len(said) == 1 and said[0].startswith("Noted:")
    assert [a.toast for a in (first, second) if not a.outgoing] == [desk.texts.render("utter_question_done", "en")]
    async with store.unit_of_work() as session:
        entries = (await session.scalars(select(TicketEntry).where(TicketEntry.kind == "system"))).all()
    assert len(entries) == 1
