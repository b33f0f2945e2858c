"""The panel's other doors: the ticket number and code on another device, /status, /anonymous and /forget as
shortcuts, and the staff card of an anonymous complaint from the web."""

import json
import re

from sqlalchemy import func, select

from desk.outbox import OutboxMessage
from desk.tickets.models import Citizen, Ticket
from tests.bot.citizen_steps import eventually
from tests.web.conftest import STAFF_CHAT, new_visitor
from web.feed import FeedMessage

INQUIRY_EN = "What documents do I need for the housing benefit?"
CODE = re.compile(r"\d{4} \d{4} \d{4} \d{4}")


async def feed_of(client, headers) -> list[dict]:
    return (await client.get("/web/feed", headers=headers)).json()["messages"]


async def write(client, headers, text: str, message_id: int = 1) -> dict:
    response = await client.post("/web/messages", json={"id": message_id, "text": text, "lang": "en"}, headers=headers)
    assert response.status_code == 202, response.text
    return response.json()


async def test_another_device_reads_the_answer_with_the_number_and_code(live, sandbox, staff_chat, client):
    first = await new_visitor(client)
    await write(client, first, INQUIRY_EN)
    [code] = [CODE.search(line["text"])[0] for line in await feed_of(client, first) if CODE.search(line["text"])]
    await sandbox.send_text(1002, "/reply I-1001 Bring your ID card to room 3.", chat_id=STAFF_CHAT)

    async def replied():
        return [line for line in await feed_of(client, first) if "room 3" in line["text"]]

    assert await eventually(replied)
    other = await new_visitor(client)
    response = await client.post("/web/lookup", json={"id": 5, "number": "i-1001", "code": code, "lang": "en"},
                                 headers=other)
    assert response.status_code == 202
    [shown] = await feed_of(client, other)
    assert "I-1001" in shown["text"] and "room 3" in shown["text"]


async def test_a_wrong_code_or_another_tickets_number_shows_nothing(live, client):
    first = await new_visitor(client)
    await write(client, first, INQUIRY_EN)
    await write(client, first, "I want to complain about the rude guard at the entrance.", message_id=2)
    codes = [CODE.search(line["text"])[0] for line in await feed_of(client, first) if CODE.search(line["text"])]
    assert len(codes) == 2
    other = await new_visitor(client)
    tries = [("I-1001", codes[1]), ("I-1001", "0000 0000 0000 0000"), ("C-1001", codes[0])]
    for n, (number, code) in enumerate(tries, start=1):
        response = await client.post("/web/lookup", json={"id": n, "number": number, "code": code, "lang": "en"},
                                     headers=other)
        assert response.status_code == 202
    lines = await feed_of(client, other)
    assert [line["text"] for line in lines] == ["That receipt code is not right. Please check the 16 digits."] * 3
    bad = await client.post("/web/lookup", json={"id": 9, "number": "1001", "code": codes[0]}, headers=other)
    assert bad.status_code == 400 and "I-1001" in bad.json()["error"]


async def test_status_lists_the_visitors_tickets(live, client):
    visitor = await new_visitor(client)
    response = await client.post("/web/commands", json={"id": 1, "name": "status", "lang": "en"}, headers=visitor)
    assert response.status_code == 202
    assert "no open tickets" in (await feed_of(client, visitor))[-1]["text"]
    await write(client, visitor, INQUIRY_EN, message_id=2)
    await client.post("/web/commands", json={"id": 3, "name": "status", "lang": "en"}, headers=visitor)
    assert "I-1001" in (await feed_of(client, visitor))[-1]["text"]
    unknown = await client.post("/web/commands", json={"id": 4, "name": "mydata; drop", "lang": "en"}, headers=visitor)
    assert unknown.status_code == 400


async def test_an_anonymous_complaint_keeps_no_link_to_the_visitor(live, sandbox, staff_chat, client):
    visitor = await new_visitor(client)
    await client.post("/web/commands", json={"id": 1, "name": "anonymous", "lang": "en"}, headers=visitor)
    complaint = "The staff member at the desk shouted at my mother."
    posted = await write(client, visitor, complaint, message_id=2)
    assert posted["kept"] is False and posted["ticket"] == "C-1001"
    lines = await feed_of(client, visitor)
    assert complaint not in [line["text"] for line in lines]
    assert CODE.search(lines[-1]["text"]) and "C-1001" in lines[-1]["text"]
    [card] = await sandbox.wait_for_bot_messages(STAFF_CHAT)
    assert "anonymous" in card["text"].lower() or "익명" in card["text"]
    assert "웹 채팅" not in card["text"]  # nothing about where it came from either
    async with live.store.unit_of_work() as session:
        ticket = await session.get(Ticket, 1)
        assert ticket.anonymous and ticket.citizen_id is None
        assert await session.scalar(select(func.count()).select_from(Citizen)) == 0


async def test_forget_erases_the_visitors_conversation_too(live, client):
    visitor = await new_visitor(client)
    await write(client, visitor, INQUIRY_EN)
    await client.post("/web/commands", json={"id": 2, "name": "forget", "lang": "en"}, headers=visitor)
    question = (await feed_of(client, visitor))[-1]
    yes = question["buttons"][0][0]
    assert "Erase your personal data" in question["text"]
    pressed = await client.post("/web/presses", json={"id": "p1", "data": yes["data"], "lang": "en"}, headers=visitor)
    assert pressed.status_code == 202
    lines = await feed_of(client, visitor)
    assert [line["text"][:5] for line in lines] == ["Done."]
    async with live.store.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(FeedMessage)) == 1
        ticket = await session.get(Ticket, 1)
        assert ticket.erased_at is not None


async def test_mydata_hands_the_visitors_data_to_the_browser_and_keeps_no_copy(live, client):
    visitor = await new_visitor(client)
    nothing = await client.post("/web/mydata", json={"id": 1, "lang": "en"}, headers=visitor)
    assert nothing.status_code == 204
    await write(client, visitor, INQUIRY_EN, message_id=2)
    response = await client.post("/web/mydata", json={"id": 3, "lang": "en"}, headers=visitor)
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith('attachment; filename="mydata-')
    data = response.json()
    assert INQUIRY_EN in json.dumps(data, ensure_ascii=False)
    async with live.store.unit_of_work() as session:
        kept = [line.text for line in await session.scalars(select(FeedMessage))]
        outbox = [row.text for row in await session.scalars(select(OutboxMessage))]
    assert not any(text.lstrip().startswith("{") for text in kept + outbox)  # the file itself went nowhere else


async def test_status_typed_as_on_telegram_answers_in_the_visitors_language(live, client):
    visitor = await new_visitor(client)
    typed = {"id": 1, "text": "/status I-990002", "lang": "ko"}
    for _ in range(2):  # a retried post under the same id is answered once
        assert (await client.post("/web/messages", json=typed, headers=visitor)).status_code == 202
    lines = await feed_of(client, visitor)
    assert [(line["author"], line["text"]) for line in lines] == [
        ("visitor", "/status I-990002"), ("desk", "I-990002 민원을 찾을 수 없습니다. 접수번호를 확인해 주세요."),
    ]

    await write(client, visitor, INQUIRY_EN, message_id=2)
    await client.post("/web/messages", json={"id": 3, "text": "/STATUS i-1001", "lang": "en"}, headers=visitor)
    assert "I-1001" in (await feed_of(client, visitor))[-1]["text"]
    # A malformed receipt code is told the code's format, not taken as words.
    await client.post("/web/messages", json={"id": 4, "text": "/status 1234 5678", "lang": "en"}, headers=visitor)
    last = (await feed_of(client, visitor))[-1]["text"]
    assert "16 digits" in last


async def test_words_that_merely_start_with_a_slash_command_name_are_intake(live, client):
    visitor = await new_visitor(client)
    await write(client, visitor, "/statusquo of my housing benefit application, please?")
    lines = await feed_of(client, visitor)
    assert lines[0]["text"].startswith("/statusquo")
    assert not any("no open tickets" in line["text"] for line in lines)  # not the /status overview
