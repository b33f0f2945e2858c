"""End to end, per language: /status lists open and recent tickets; /status NUMBER shows one in full,
a long answer split into several messages in order."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from desk.tickets.models import Ticket, TicketEntry
from conversation.replies import MESSAGE_LIMIT, split_text
from tests.bot.citizen_steps import say

LANGUAGES = ["ko", "en", "hu"]
INQUIRY = {
    "ko": "기초생활수급 신청하려면 어떤 서류가 필요한가요?",
    "en": "How do I apply for the housing benefit?",
    "hu": "Milyen iratok kellenek a lakhatási támogatás igényléséhez?",
}
STATUS_QUESTION = {"ko": "처리 현황 알려주세요", "en": "what is the status of my request?", "hu": "Hol tart az ügyem?"}


def long_answer(language: str) -> str:
    paragraph = {"ko": "필요한 서류는 신분증, 통장 사본, 임대차 계약서입니다. ",
                 "en": "You need your ID, a copy of your bank book and your lease. ",
                 "hu": "Szükséges a személyi igazolvány, a bankszámla-kivonat és a bérleti szerződés. "}[language]
    return "\n\n".join(f"{n}. " + (paragraph * 12).strip() for n in range(1, 12))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_status_lists_tickets_and_shows_a_long_answer_in_order(sandbox, live, language):
    user = 920_000 + LANGUAGES.index(language)
    sandbox.user(user, "Citizen", language_code=language)
    texts, desk = live.desk.texts, live.desk
    [none] = await say(sandbox, user, "/status")
    assert none["text"] == texts.render("utter_status_none", language)
    await say(sandbox, user, INQUIRY[language])
    answer = long_answer(language)
    assert len(answer) > MESSAGE_LIMIT
    # Staff answer the ticket (what the console's /reply leaves behind).
    async with live.store.unit_of_work() as session:
        ticket = await session.scalar(select(Ticket))
        answered_at = ticket.received_at + timedelta(hours=2)
        ticket.status, ticket.answered_at = "answered", answered_at
        session.add(TicketEntry(ticket_id=ticket.id, kind="staff_reply", author_id=1001, text=answer,
                                created_at=answered_at))

    [listing] = await say(sandbox, user, "/status")
    lines = listing["text"].split("\n")
    assert lines[0] == texts.render("utter_status_header", language)
    assert lines[1] == texts.render("utter_status_line_answered", language, number="I-1001",
                                    when=desk.moment(answered_at, language))
    assert lines[2].endswith("…") and len(lines[2]) < 400  # the start of the answer only
    [by_question] = await say(sandbox, user, STATUS_QUESTION[language])
    assert by_question["text"] == listing["text"]

    expected = "\n\n".join([
        texts.render("utter_status_detail", language, number="I-1001",
                     state=texts.render("utter_state_answered", language),
                     received=desk.moment(ticket.received_at, language)),
        texts.render("utter_status_line_answered", language, number="I-1001", when=desk.moment(answered_at, language)),
        texts.render("utter_status_reply", language, when=desk.moment(answered_at, language), text=answer),
    ])
    count = len(split_text(expected))
    assert count > 1
    parts = await say(sandbox, user, "/status I-1001", expect=count)
    assert all(len(p["text"]) <= MESSAGE_LIMIT for p in parts)
    # In order, nothing lost: the parts put back together are the whole text (cut at a paragraph).
    assert "\n\n".join(p["text"] for p in parts) == expected
