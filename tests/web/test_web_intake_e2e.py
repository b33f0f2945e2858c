"""End to end: a web visitor writes, gets the ticket number and promised date in the feed, staff see a card
that says "from the web" in the Telegram staff chat, and the staff reply reaches the visitor's feed."""

import asyncio

from sqlalchemy import func, select

from desk.tickets.models import Ticket
from tests.bot.citizen_steps import eventually
from tests.web.conftest import STAFF_CHAT, new_visitor
from web.feed import FeedMessage
from web.visitors import WebVisitor

INQUIRY_KO = "기초생활수급 신청하려면 어떤 서류가 필요한가요?"


async def feed_of(client, headers, after: int = 0) -> list[dict]:
    response = await client.get("/web/feed", params={"after": after}, headers=headers)
    assert response.status_code == 200
    return response.json()["messages"]


async def test_a_korean_inquiry_gets_its_number_and_date_and_the_staff_reply_comes_back(
    live, sandbox, staff_chat, client
):
    visitor = await new_visitor(client)
    posted = await client.post("/web/messages", json={"id": 1, "text": INQUIRY_KO, "lang": "ko"}, headers=visitor)
    assert posted.status_code == 202
    assert posted.json()["ticket"] == "I-1001" and posted.json()["due"]

    lines = await feed_of(client, visitor)
    assert [line["author"] for line in lines] == ["visitor", "desk", "desk"]
    assert lines[0]["text"] == INQUIRY_KO
    acknowledgement, code = lines[1]["text"], lines[2]["text"]
    assert "I-1001" in acknowledgement and "답변" in acknowledgement
    assert "I-1001" in code and "확인 코드" in code

    [card] = await sandbox.wait_for_bot_messages(STAFF_CHAT)
    assert "홈페이지 웹 채팅" in card["text"] and "I-1001" in card["text"] and INQUIRY_KO in card["text"]

    await sandbox.send_text(1002, "/reply I-1001 신분증과 임대차계약서를 가져오세요.", chat_id=STAFF_CHAT)

    async def reply_arrived():
        return [line for line in await feed_of(client, visitor, after=lines[-1]["id"])
                if "임대차계약서" in line["text"]]

    [reply] = await eventually(reply_arrived)
    assert reply["author"] == "desk"
    # Telegram never saw the visitor: the only chat the bot wrote to is the staff chat.
    assert {chat for chat in list(sandbox.world.chats) if sandbox.bot_messages(chat)} == {STAFF_CHAT}


async def test_a_repeated_post_is_answered_once(live, client):
    visitor = await new_visitor(client)
    for _ in range(2):
        posted = await client.post("/web/messages", json={"id": 7, "text": INQUIRY_KO}, headers=visitor)
        assert posted.status_code == 202
    assert posted.json()["duplicate"] is True
    assert [line["author"] for line in await feed_of(client, visitor)] == ["visitor", "desk", "desk"]
    async with live.store.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 1


async def test_two_visitors_never_see_each_others_lines(live, client):
    first, second = await new_visitor(client), await new_visitor(client)
    await client.post("/web/messages", json={"id": 1, "text": INQUIRY_KO}, headers=first)
    assert await feed_of(client, second) == []
    async with live.store.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(WebVisitor)) == 2
        owners = set(await session.scalars(select(FeedMessage.visitor_id)))
    assert len(owners) == 1


async def test_the_stream_pushes_a_line_as_it_is_delivered(live, web_app):
    from charterdesk.http_server import HttpServer
    import httpx

    server = HttpServer(web_app, host="127.0.0.1", port=0)
    base = await server.start()
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            visitor = await new_visitor(client)
            async with client.stream("GET", "/web/stream", headers=visitor) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                posting = asyncio.create_task(
                    client.post("/web/messages", json={"id": 3, "text": INQUIRY_KO}, headers=visitor))
                events = []
                async for line in stream.aiter_lines():
                    if line.startswith("data: "):
                        events.append(line)
                        if len(events) == 2:
                            break
                assert (await posting).status_code == 202
        assert INQUIRY_KO in events[0] and "I-1001" in events[1]
    finally:
        await server.stop()
