"""1,000 forged or oversized posts to the web chat store nothing, and a visitor writing meanwhile is served;
a restart of the web server while a visitor waits loses nothing (the answer is read after it)."""

import json
import random

import httpx
from sqlalchemy import func, select

from charterdesk.web import build_web_app
from desk.outbox import OutboxMessage
from desk.tickets.models import InboundMessage, Ticket
from tests.bot.citizen_steps import eventually
from tests.web.conftest import STAFF_CHAT, new_visitor
from web.feed import FeedMessage
from web.limits import Limiter, WebLimits
from web.visitors import WebVisitor

FORGERIES = 1000


def forgery(rng: random.Random, real_token: str) -> tuple[str, dict[str, str], bytes]:
    """One bad request: a guessed token, no token, a foreign origin, a body too big or not a message."""
    kind = rng.randrange(6)
    guessed = {"Authorization": f"Bearer {rng.randbytes(32).hex()[:43]}"}
    real = {"Authorization": f"Bearer {real_token}"}
    body = json.dumps({"id": rng.randrange(1, 2**40), "text": "forged"}).encode()
    if kind == 0:
        return "/web/messages", guessed, body
    if kind == 1:
        return "/web/messages", {}, body
    if kind == 2:
        return "/web/messages", real | {"Origin": "https://evil.example"}, body
    if kind == 3:
        return "/web/messages", real, json.dumps({"id": 1, "text": "x" * 40_000}).encode()
    if kind == 4:
        return "/web/presses", guessed, json.dumps({"id": "p", "data": "c:lang:ko"}).encode()
    return "/web/messages", real, rng.randbytes(rng.randrange(1, 300))


async def counts(store) -> dict[str, int]:
    async with store.unit_of_work() as session:
        return {table.__name__: await session.scalar(select(func.count()).select_from(table))
                for table in (InboundMessage, Ticket, FeedMessage, OutboxMessage, WebVisitor)}


async def test_a_thousand_forged_or_oversized_posts_store_nothing(live, web_app, client):
    # The limits are lifted so every forgery reaches the checks behind them.
    web_app.state.web.limiter = Limiter(WebLimits(per_visitor="100000/minute", per_address="100000/minute"))
    rng = random.Random(19)
    real = await new_visitor(client)
    token = real["Authorization"].split()[1]
    before = await counts(live.store)
    statuses = []
    for _ in range(FORGERIES):
        path, headers, body = forgery(rng, token)
        statuses.append((await client.post(path, content=body, headers=headers)).status_code)
    assert set(statuses) <= {400, 401, 403, 413}
    assert await counts(live.store) == before
    honest = await client.post("/web/messages", json={"id": 1, "text": "Where do I apply for housing support?"},
                               headers=real)
    assert honest.status_code == 202 and honest.json()["ticket"] == "I-1001"


async def test_a_restart_while_a_visitor_waits_loses_nothing(live, sandbox, staff_chat, web_app):
    transport = httpx.ASGITransport(app=web_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://desk.test") as client:
        visitor = await new_visitor(client)
        await client.post("/web/messages", json={"id": 1, "text": "Where do I apply for housing support?"},
                          headers=visitor)
        seen = [line["id"] for line in (await client.get("/web/feed", headers=visitor)).json()["messages"]]
    # The web server goes away (the visitor's panel waits); the staff reply is delivered meanwhile.
    await sandbox.send_text(1002, "/reply I-1001 Apply at the district office, desk 4.", chat_id=STAFF_CHAT)
    async def delivered():
        async with live.store.unit_of_work() as session:
            return [line for line in await session.scalars(select(FeedMessage)) if "desk 4" in line.text]

    assert await eventually(delivered)
    restarted = build_web_app(live)  # a new server process's app: nothing carried over in memory
    transport = httpx.ASGITransport(app=restarted)
    async with httpx.AsyncClient(transport=transport, base_url="http://desk.test") as client:
        after = (await client.get("/web/feed", params={"after": seen[-1]}, headers=visitor)).json()["messages"]
    # The reply is there for the panel's next read (Last-Event-ID / after), and nothing it had seen comes twice.
    assert any("Apply at the district office, desk 4." in line["text"] for line in after)
    assert not {line["id"] for line in after} & set(seen)
