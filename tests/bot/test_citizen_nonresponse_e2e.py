"""End to end, per language: a complaint that a promised answer never came, while a ticket is overdue:
confirmed with a button, linked to the late ticket on its own clock, escalated."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from desk.tickets.models import Ticket, TicketEntry
from tests.bot.citizen_steps import buttons, press, say

LANGUAGES = ["ko", "en", "hu"]
INQUIRY = {
    "ko": "기초생활수급 신청하려면 어떤 서류가 필요한가요?",
    "en": "How do I apply for the housing benefit?",
    "hu": "Milyen iratok kellenek a lakhatási támogatás igényléséhez?",
}
NO_ANSWER = {
    "ko": "답변을 약속한 날짜가 지났는데 아직도 연락이 없습니다",
    "en": "You promised an answer by last week and I still have not heard anything",
    "hu": "Megígérték, hogy válaszolnak, de azóta sem kaptam választ",
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_non_response_complaint_is_linked_on_its_own_clock_and_escalated(sandbox, live, language):
    user = 930_000 + LANGUAGES.index(language)
    charter, texts, desk = live.charter, live.desk.texts, live.desk
    sandbox.user(user, "Citizen", language_code=language)
    sandbox.group(charter.staff_chat_id, "Staff")
    for member in charter.staff:
        sandbox.user(member.telegram_id, member.name, language_code="ko")
    [first_ack] = await say(sandbox, user, INQUIRY[language])
    # The promise passed days ago; the deadline sweep already recorded the breach.
    async with live.store.unit_of_work() as session:
        original = await session.scalar(select(Ticket))
        original.due_at = original.received_at - timedelta(days=1)
        original.breached_at = original.received_at
    # A complaint may be about the late answer or about something else: the bot asks.
    [asked] = await say(sandbox, user, NO_ANSWER[language])
    assert asked["text"] == texts.render("utter_ask_non_response", language, number="I-1001",
                                         due=desk.moment(original.due_at, language))
    assert buttons(asked)[0] == (texts.render("utter_button_missing_answer", language, number="I-1001"),
                                 "c:q:1:r:1")
    [ack] = await press(sandbox, user, asked, "c:q:1:r:1")

    async with live.store.unit_of_work() as session:
        complaint = await session.scalar(select(Ticket).where(Ticket.category == "non_response_complaint"))
        notes = (await session.scalars(select(TicketEntry).where(TicketEntry.ticket_id == original.id))).all()
    assert complaint.parent_id == original.id and complaint.number == "N-1002"
    assert complaint.due_at == charter.due_at("non_response_complaint", complaint.received_at)
    assert complaint.assigned_to == charter.officers[0].telegram_id
    assert ack["text"] == texts.render("utter_ticket_opened_non_response_complaint", language, number="N-1002",
                                       due=desk.moment(complaint.due_at, language))
    staff_language = charter.languages[0]
    alert = texts.render(
        "utter_staff_escalation_non_response", staff_language, number="I-1001", complaint="N-1002",
        due=desk.moment(original.due_at, staff_language),
        complaint_due=desk.moment(complaint.due_at, staff_language),
        officers=", ".join(m.name for m in charter.officers),
    )
    for chat in (charter.staff_chat_id, charter.officers[0].telegram_id):
        await sandbox.wait_for(lambda chat=chat: any(m.get("text") == alert for m in sandbox.bot_messages(chat)),
                               what=f"the escalation in chat {chat}")
    assert [n.kind for n in notes] == ["escalation"] and "N-1002" in notes[0].text
    # Said again in reply to the late ticket's message: no question, it joins the same complaint.
    [again] = await say(sandbox, user, NO_ANSWER[language] + "!!", reply_to_message_id=first_ack["message_id"])
    assert again["text"].startswith(texts.render("utter_followup_added", language, number="N-1002",
                                                 due=desk.moment(complaint.due_at, language)))
    async with live.store.unit_of_work() as session:
        assert len((await session.scalars(select(Ticket))).all()) == 2
