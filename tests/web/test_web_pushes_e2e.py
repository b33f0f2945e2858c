"""End to end through the real app and the sandbox staff chat: what staff and the scheduler push (an interim
reply with its reason, the final reply, the rating question the dispatcher sends after quiet hours) reaches
a web visitor's open stream in order, and the visitor's rating from the panel's buttons is recorded once."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update

from charterdesk.http_server import HttpServer
from conversation.citizen import surveys
from desk.outbox import OutboxMessage
from desk.surveys import Rating
from tests.bot.citizen_steps import eventually
from tests.bot.test_staff_e2e import staff_says
from tests.web.conftest import new_visitor

INQUIRY_EN = "What documents do I need for the housing benefit?"
REASON = "We are waiting for the district office's records"


async def rating_question_row(store) -> OutboxMessage | None:
    async with store.unit_of_work() as session:
        return await session.scalar(select(OutboxMessage).where(OutboxMessage.key == surveys.survey_key(1)))


async def test_interim_reply_and_rating_reach_the_open_stream_and_the_rating_is_recorded_once(
    live, sandbox, staff_chat, web_app
):
    server = HttpServer(web_app, host="127.0.0.1", port=0)
    base = await server.start()
    lines: list[dict] = []
    listening = asyncio.create_task(asyncio.sleep(0))

    async def listen(client, visitor) -> None:
        async with client.stream("GET", "/web/stream", headers=visitor) as stream:
            async for raw in stream.aiter_lines():
                if raw.startswith("data: "):
                    lines.append(json.loads(raw.removeprefix("data: ")))

    def said(*words: str):
        async def found():
            return [line for line in lines if all(word in line["text"] for word in words)]
        return found

    try:
        async with httpx.AsyncClient(base_url=base, timeout=20) as client:
            visitor = await new_visitor(client)
            listening = asyncio.create_task(listen(client, visitor))
            posted = await client.post("/web/messages", json={"id": 1, "text": INQUIRY_EN, "lang": "en"},
                                       headers=visitor)
            assert posted.status_code == 202 and posted.json()["ticket"] == "I-1001"
            await eventually(said("I-1001"))

            due = live.desk.charter.due_at("inquiry", datetime.now(UTC)) + timedelta(days=10)
            typed = f"{due.astimezone(live.charter.timezone):%Y-%m-%d} 17:00"
            await staff_says(sandbox, 1002, f"/interim I-1001 {REASON} {typed}")
            [interim] = await eventually(said(f"Reason: {REASON}"))

            await staff_says(sandbox, 1002, "/reply I-1001 Bring your ID card to room 3.")
            [final] = await eventually(said("room 3"))
            assert interim["id"] < final["id"]

            # The rating question waits in the outbox a minute past the reply, and past quiet hours, as on Telegram.
            question_row = await eventually(lambda: rating_question_row(live.store))
            assert question_row.not_before == live.charter.quiet_hours_end(question_row.created_at + surveys.ASK_DELAY)
            assert not live.charter.in_quiet_hours(question_row.not_before)
            assert not await said("How satisfied")()
            async with live.store.unit_of_work() as session:  # ...and that time has come: the dispatcher sends it
                await session.execute(update(OutboxMessage).where(OutboxMessage.id == question_row.id)
                                      .values(not_before=datetime.now(UTC)))
            [question] = await eventually(said("How satisfied are you with how we handled I-1001?"))
            assert final["id"] < question["id"]
            scores = {button["text"]: button["data"] for row in question["buttons"] for button in row}
            assert len(scores) == 5

            first, second = list(scores.values())[3], list(scores.values())[0]
            # A press sent twice (the same request id, as after a lost response), then another score pressed.
            for press_id, data in (("p1", first), ("p1", first), ("p2", second)):
                pressed = await client.post("/web/presses", json={"id": press_id, "data": data, "lang": "en"},
                                            headers=visitor)
                assert pressed.status_code == 202, pressed.text
            async with live.store.unit_of_work() as session:
                ratings = list(await session.scalars(select(Rating)))
            assert [(rating.ticket_id, rating.score) for rating in ratings] == [(1, 4)]

            # After a reload the feed shows the same pushes, in the same order.
            reloaded = (await client.get("/web/feed", headers=visitor)).json()["messages"]
            assert [line["id"] for line in reloaded if line["id"] in {interim["id"], final["id"], question["id"]}] \
                == [interim["id"], final["id"], question["id"]]
            assert [line["text"] for line in reloaded if line["id"] > question["id"]] == [
                "Thank you for your rating!", "You have already rated I-1001 (4 of 5). Thank you!"]
    finally:
        listening.cancel()
        await server.stop()
    assert sandbox.bot_messages(1002) == []  # nothing of the visitor's went to Telegram
