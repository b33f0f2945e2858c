"""The web chat's server killed (-9) and restarted while visitors write and wait, as a separate OS process.

`charterdesk run` (bot in webhook mode, web chat and scheduler in one process) serves VISITORS visitors, each
writing PER_VISITOR messages one after another and holding a stream open. The process is SIGKILLed twice
while they write and started again at once. A post that fails (refused connection, reset, or an error page)
is sent again under the same id, as the widget does (which shows utter_web_error_unreached meanwhile, in the
visitor's language: tests/web/test_widget_browser.py); an error the desk itself answers must be one of its
own, in Korean; a post answered 2xx is never lost. Then every visitor's stream, reconnected with
Last-Event-ID, must show each of the desk's answers exactly once: 0 lost, 0 duplicated. Delayed answers (not in the feed when their post returned, delivered later by the
restarted process's dispatcher) are counted and printed, not judged.
"""

import asyncio
import json
import os
import signal
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import func, select

from desk.channels import web_chat_id
from desk.outbox import OutboxMessage
from desk.tickets.models import InboundMessage
from infra.encrypted import chat_hash_of
from sandbox import Sandbox
from tests.charterdesk.test_replicas import Process, until
from tests.charterdesk.test_webhook import SECRET, free_port
from tests.conftest import ROOT
from web.feed import FeedMessage

VISITORS = int(os.environ.get("WEB_RESTART_VISITORS", "24"))
PER_VISITOR = 4
KILL_AT = (0.3, 0.7)  # of all posts answered 2xx
LEASE_SECONDS = 5  # the dead process's leases run out within the test
# Each message of a visitor gets these many lines from the desk: the first opens a ticket (its number and
# the code to read it elsewhere), each later one is asked whether it belongs to that ticket.
EXPECTED_LINES = 2 + (PER_VISITOR - 1)
TEXTS = ["기초생활수급 신청하려면 어떤 서류가 필요한가요?", "주차 요금은 얼마인가요?",
         "장애인 주차 허가는 어떻게 신청하나요?", "복지관 운영 시간이 어떻게 되나요?"]
# What a client sees of a server that is down or dies mid-request.
DOWN = (httpx.NetworkError, httpx.RemoteProtocolError, httpx.TimeoutException)


@dataclass
class Visitor:
    """One browser: its own address (the per-address limits), token, and what its stream showed."""

    number: int
    token: str = ""
    streamed: list[dict] = field(default_factory=list)
    delayed: int = 0

    @property
    def address(self) -> str:
        return f"127.0.0.{10 + self.number}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def visitor_chats() -> list[str]:
    return [chat_hash_of(web_chat_id(n)) for n in range(1, VISITORS + 1)]


async def none_pending(store) -> bool:
    async with store.unit_of_work() as session:
        return not await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.chat_hash.in_(visitor_chats()), OutboxMessage.status == "pending"))


@pytest.mark.stress
async def test_a_killed_and_restarted_server_loses_and_repeats_no_web_answer(store, database_url, data_keys,
                                                                             tmp_path, desk):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    refusals = {desk.render(name, "ko", limit=0) for name in desk.texts.templates if name.startswith("utter_web_error")}
    async with Sandbox() as sandbox:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": sandbox.token,
            "TELEGRAM_API_URL": sandbox.bot_api_url,
            "DATABASE_URL": database_url,
            "CHARTER_FILE": str(ROOT / "charter.yml"),
            "CHARTERDESK_KEY_FILE": str(data_keys.path),
            "CHARTERDESK_LEASE_SECONDS": str(LEASE_SECONDS),
            "CHARTERDESK_DISPATCH_INTERVAL": "0.5",
            "WEBHOOK_URL": f"{base}/telegram", "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port),
        }
        server = Process("run", "run", env, tmp_path, port)
        visitors = [Visitor(n) for n in range(VISITORS)]
        clients = {v.number: httpx.AsyncClient(base_url=base, timeout=30,
                                               transport=httpx.AsyncHTTPTransport(local_address=v.address))
                   for v in visitors}
        counts: Counter[str] = Counter()
        answered = 0
        kills: list[asyncio.Task] = []

        async def restart() -> None:
            server.process.send_signal(signal.SIGKILL)
            await server.process.wait()
            counts["kills"] += 1
            await server.start()

        async def healthy() -> bool:
            return await server.healthy(clients[0])

        async def posted(visitor: Visitor, path: str, body: dict | None) -> httpx.Response:
            """The post answered 2xx, sent again under the same id after every failure (as the widget does)."""
            deadline = time.monotonic() + 120
            while True:
                assert time.monotonic() < deadline, f"{path} of visitor {visitor.number} never taken: {counts}"
                try:
                    response = await clients[visitor.number].post(path, json=body, headers=visitor.headers)
                except DOWN:
                    counts["unreached"] += 1  # the widget shows `unreached` in the visitor's language
                    await asyncio.sleep(0.2)
                    continue
                if response.is_success:
                    return response
                counts[f"refused {response.status_code}"] += 1
                if response.headers.get("content-type", "").startswith("application/json"):
                    assert response.json()["error"] in refusals, response.text  # the desk's words, in Korean
                await asyncio.sleep(0.2)

        async def feed_lines(visitor: Visitor) -> list[dict]:
            while True:
                try:
                    response = await clients[visitor.number].get("/web/feed", headers=visitor.headers)
                    if response.is_success:
                        return response.json()["messages"]
                except DOWN:
                    pass
                await asyncio.sleep(0.2)

        async def listen(visitor: Visitor) -> None:
            """The panel's stream, reconnected after each drop with the last line it saw (Last-Event-ID)."""
            while True:
                last = visitor.streamed[-1]["id"] if visitor.streamed else 0
                try:
                    async with clients[visitor.number].stream(
                            "GET", "/web/stream", headers={**visitor.headers, "Last-Event-ID": str(last)}) as stream:
                        async for raw in stream.aiter_lines():
                            if raw.startswith("data: "):
                                visitor.streamed.append(json.loads(raw.removeprefix("data: ")))
                except DOWN:
                    counts["stream reconnects"] += 1
                await asyncio.sleep(0.5)

        async def write(visitor: Visitor) -> None:
            nonlocal answered
            visitor.token = (await posted(visitor, "/web/visitors", None)).json()["token"]
            listening = asyncio.create_task(listen(visitor))
            try:
                for k, text in enumerate(TEXTS[:PER_VISITOR], start=1):
                    await posted(visitor, "/web/messages", {"id": k, "text": text, "lang": "ko"})
                    answered += 1
                    for share in KILL_AT:
                        if answered == int(share * VISITORS * PER_VISITOR):
                            kills.append(asyncio.create_task(restart()))
                    desk_lines = [line for line in await feed_lines(visitor) if line["author"] == "desk"]
                    visitor.delayed += len(desk_lines) < 2 + (k - 1)
                await until(lambda: has_all(visitor), timeout=180, what=f"visitor {visitor.number}'s answers",
                            processes=[server])
            finally:
                listening.cancel()

        async def has_all(visitor: Visitor) -> bool:
            return sum(line["author"] == "desk" for line in visitor.streamed) >= EXPECTED_LINES

        try:
            await server.start()
            await until(healthy, timeout=300, what="charterdesk run to start", processes=[server])
            began = time.monotonic()
            await asyncio.gather(*(write(visitor) for visitor in visitors))
            await asyncio.gather(*kills)
            await until(healthy, timeout=300, what="charterdesk run to start again", processes=[server])
            # Rows the killed process marked and never recorded go again once their lease runs out ...
            await until(lambda: none_pending(store), timeout=120, what="every answer recorded", processes=[server])
            # ... and whatever would come twice comes within a lease and a dispatch.
            await asyncio.sleep(LEASE_SECONDS + 2)
            finals = {visitor.number: await feed_lines(visitor) for visitor in visitors}
            took = time.monotonic() - began
        finally:
            if server.alive:
                server.process.send_signal(signal.SIGTERM)
                await server.process.wait()
            for client in clients.values():
                await client.aclose()

    lost = duplicated = 0
    for visitor in visitors:
        final = finals[visitor.number]
        desk_lines = [line for line in final if line["author"] == "desk"]
        lost += max(0, EXPECTED_LINES - len(desk_lines))
        duplicated += max(0, len(desk_lines) - EXPECTED_LINES)
        streamed_ids = [line["id"] for line in visitor.streamed]
        duplicated += len(streamed_ids) - len(set(streamed_ids))  # a line the stream showed twice
        lost += len({line["id"] for line in final} - set(streamed_ids))  # in the feed, never streamed
    async with store.unit_of_work() as session:
        chats = visitor_chats()
        inbound = await session.scalar(select(func.count()).select_from(InboundMessage)
                                       .where(InboundMessage.chat_hash.in_(chats)))
        outcomes = Counter(dict((await session.execute(
            select(OutboxMessage.status, func.count()).where(OutboxMessage.chat_hash.in_(chats))
            .group_by(OutboxMessage.status))).all()))
        fed = await session.scalar(select(func.count()).select_from(FeedMessage).where(FeedMessage.author == "desk"))
    delayed = sum(visitor.delayed for visitor in visitors)
    print(f"\nweb restart: {VISITORS} visitors x {PER_VISITOR} posts, {counts['kills']} kills, {took:.1f}s; "
          f"answers lost {lost}, duplicated {duplicated}, delayed {delayed}; posts unreached {counts['unreached']}, "
          f"refused {sum(n for k, n in counts.items() if k.startswith('refused'))}, "
          f"stream reconnects {counts['stream reconnects']}; outbox {dict(outcomes)}")
    assert counts["kills"] == len(KILL_AT)
    assert (lost, duplicated) == (0, 0)
    assert inbound == VISITORS * PER_VISITOR  # every message taken once
    assert outcomes == {"sent": VISITORS * EXPECTED_LINES} and fed == VISITORS * EXPECTED_LINES
