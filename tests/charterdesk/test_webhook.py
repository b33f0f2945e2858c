"""Webhook mode in process: the sandbox pushes to the real server; forged requests are refused and write nothing."""

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bot.webhook import SECRET_HEADER, SECRET_PATTERN, Receiver, WebhookError, webhook_secret
from charterdesk.assembly import Components, assemble
from charterdesk.http_server import HttpServer
from charterdesk.processes import serve
from charterdesk.webhook import build_webhook_app
from charterdesk.settings import Settings
from charterdesk.schema import metadata
from infra.database import Store
from sandbox import Sandbox
from tests.charterdesk.test_startup import charterdesk
from tests.conftest import ROOT

SECRET = "test-secret_0123456789"
INQUIRY = "기초생활수급 신청하려면 어떤 서류가 필요한가요?"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def webhook_settings(sandbox: Sandbox, database_url: str, key_file, port: int) -> Settings:
    return Settings(
        TELEGRAM_BOT_TOKEN=sandbox.token,
        TELEGRAM_API_URL=sandbox.bot_api_url,
        DATABASE_URL=database_url,
        CHARTER_FILE=ROOT / "charter.yml",
        CHARTERDESK_KEY_FILE=key_file,
        CHARTERDESK_DISPATCH_INTERVAL=0.2,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=port,
        # Small, so an oversized body still fits the server's read buffer: refused with a 413, not a reset.
        WEBHOOK_MAX_BODY=16384,
    )


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
async def hooked(request, sandbox, database_url, data_keys) -> AsyncIterator[tuple[Components, str]]:
    """The bot in webhook mode (with the scheduler if the test asks: `charterdesk run`); yields the
    components and the server's base URL."""
    port = free_port()
    components = await assemble(webhook_settings(sandbox, database_url, data_keys.path, port))
    stop = asyncio.Event()
    with_scheduler = getattr(request, "param", False)
    running = asyncio.create_task(serve(components, bot=True, scheduler=with_scheduler, stop=stop))
    try:
        await sandbox.world.updates_changed.wait_until(lambda: sandbox.world.webhook or running.done(), 60)
        assert not running.done(), running.exception()
        assert sandbox.world.webhook["secret_token"] == SECRET
        yield components, f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        await running
        await components.close()


def scrape(text: str) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) -> value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def row_counts(store: Store) -> dict[str, int]:
    async with store.unit_of_work() as session:
        return {
            table.name: (await session.execute(select(func.count()).select_from(table))).scalar_one()
            for table in metadata.sorted_tables
        }


@pytest.mark.parametrize("hooked", [True], indirect=True, ids=["run"])
async def test_a_citizen_message_pushed_to_the_webhook_gets_its_ticket_and_metrics_count_it(sandbox, hooked):
    components, base = hooked
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        before = scrape((await http.get("/metrics")).text)
        for user in (701, 702, 703):
            sandbox.user(user, f"Citizen {user}", language_code="ko")
            await sandbox.send_text(user, INQUIRY)
        for user in (701, 702, 703):
            [ack] = await sandbox.wait_for_bot_messages(user, timeout=30)
            assert ack["text"].startswith("문의가 접수되었습니다"), ack["text"]
        # Handling ends after the acknowledgement is sent: wait for the intake to be empty.
        for _ in range(100):
            after = scrape((await http.get("/metrics")).text)
            if after[("charterdesk_intake_backlog", ())] == 0 and after.get(
                ("charterdesk_updates_handled_total", (("outcome", "handled"),)), 0
            ) - before.get(("charterdesk_updates_handled_total", (("outcome", "handled"),)), 0) == 3:
                break
            await asyncio.sleep(0.1)
        health = await http.get("/healthz")
        page = await http.get("/compliance", params={"lang": "en"})

    def delta(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert delta("charterdesk_updates_received_total", source="webhook") == 3
    assert delta("charterdesk_updates_handled_total", outcome="handled") == 3
    assert delta("charterdesk_intake_latency_seconds_count") == 3
    assert after[("charterdesk_tickets_open", (("category", "inquiry"),))] == 3
    assert after[("charterdesk_tickets_open", (("category", "complaint"),))] == 0
    assert after[("charterdesk_tickets_due_within_24h", ())] + after[("charterdesk_tickets_breached", ())] <= 3
    assert after[("charterdesk_database_up", ())] == 1
    assert delta("charterdesk_webhook_refused_total", reason="secret") == 0
    assert health.status_code == 200 and health.json() == {"status": "ok", "checks": {"database": True, "nlu": True}}
    assert page.status_code == 200 and "<html" in page.text
    async with components.store.unit_of_work() as session:
        from bot.inbox import IntakeUpdate

        payloads = (await session.execute(select(IntakeUpdate.payload))).scalars().all()
    assert payloads == [None, None, None]  # handled: the personal data in the raw updates is gone


@pytest.mark.stress
async def test_forged_and_oversized_requests_are_refused_and_write_nothing(sandbox, hooked):
    components, base = hooked
    sandbox.user(801, "Real", language_code="en")
    await sandbox.send_text(801, "How can I apply for home care for my mother?")
    await sandbox.wait_for_bot_messages(801, timeout=30)
    await asyncio.sleep(0.5)  # the acknowledgement's bookkeeping ends just after it is sent
    before = await row_counts(components.store)
    update = json.dumps({"update_id": 99_000_001, "message": {
        "message_id": 1, "date": 0, "chat": {"id": 802, "type": "private"},
        "from": {"id": 802, "is_bot": False, "first_name": "Forger"}, "text": "forged complaint"}})
    host, port = base.removeprefix("http://").split(":")

    async def raw(secret: str, *, chunked: bool) -> int:
        """An oversized request on a socket of its own; returns the status. Only part of the body is sent
        (a declared 2 MB, or chunks just past the limit), so a server that stops reading cannot reset us."""
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            length = "Transfer-Encoding: chunked" if chunked else "Content-Length: 2000000"
            writer.write(f"POST /telegram HTTP/1.1\r\nHost: {host}\r\n{SECRET_HEADER}: {secret}\r\n"
                         f"Content-Type: application/json\r\n{length}\r\n\r\n".encode())
            if chunked:
                for _ in range(3):  # 18,000 bytes > WEBHOOK_MAX_BODY
                    writer.write(b"1770\r\n" + b"x" * 6000 + b"\r\n")
            else:
                writer.write(b'{"update_id": 99000002, "pad": "' + b"x" * 1000)
            await writer.drain()
            status_line = await reader.readline()
            return int(status_line.split()[1])
        finally:
            writer.close()

    async def forged(http, headers: dict) -> int:
        return (await http.post("/telegram", content=update, headers=headers)).status_code

    kinds = {
        "missing": (2000, lambda http: forged(http, {})),
        "wrong": (1000, lambda http: forged(http, {SECRET_HEADER: SECRET[:-1] + "X"})),
        "prefix": (1000, lambda http: forged(http, {SECRET_HEADER: SECRET[:-1]})),
        "longer": (1000, lambda http: forged(http, {SECRET_HEADER: SECRET + "0"})),
        "empty": (1000, lambda http: forged(http, {SECRET_HEADER: ""})),
        "oversized": (2000, lambda http: raw(SECRET, chunked=False)),
        "oversized_forged": (1000, lambda http: raw("nope", chunked=False)),
        "streamed_oversized": (1000, lambda http: raw(SECRET, chunked=True)),
    }
    plan = [kind for kind, (count, _) in kinds.items() for _ in range(count)]
    statuses: dict[str, list[int]] = {kind: [] for kind in kinds}
    limit = asyncio.Semaphore(32)

    async def one(http, kind):
        async with limit:
            statuses[kind].append(await kinds[kind][1](http))

    async with httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=32)) as http:
        await asyncio.gather(*(one(http, kind) for kind in plan))
        bad_json = await http.post("/telegram", content=b"{not json", headers={SECRET_HEADER: SECRET})
        not_update = await http.post("/telegram", content=b'{"update_id": "7"}', headers={SECRET_HEADER: SECRET})
    after = await row_counts(components.store)

    assert sum(len(codes) for codes in statuses.values()) == 10_000
    for kind, codes in statuses.items():
        expected = 413 if kind in ("oversized", "streamed_oversized") else 403
        assert set(codes) == {expected}, (kind, sorted(set(codes)))
    assert bad_json.status_code == 400 and not_update.status_code == 400
    assert after == before, {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert sandbox.bot_messages(802) == []


async def test_health_is_503_and_updates_are_not_acknowledged_when_the_database_is_down(tmp_path, charter, desk):
    # A database file in a directory that does not exist: every connection fails.
    down = Store(f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'charterdesk.db'}")
    settings = Settings(DATABASE_URL=str(down.engine.url), CHARTER_FILE=ROOT / "charter.yml")
    components = Components(settings, charter, desk, down, classifier=object())

    class Idle:
        wakes = 0

        def wake(self):
            self.wakes += 1

    worker = Idle()
    receiver = Receiver(down, worker, secret=SECRET, max_body=65536)
    server = HttpServer(build_webhook_app(components, receiver), host="127.0.0.1", port=0)
    base = await server.start()
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            health = await http.get("/healthz")
            push = await http.post("/telegram", json={"update_id": 1}, headers={SECRET_HEADER: SECRET})
            metrics = await http.get("/metrics")
            receiver.draining = True
            draining = await http.post("/telegram", json={"update_id": 2}, headers={SECRET_HEADER: SECRET})
    finally:
        await server.stop()
        await down.dispose()
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "checks": {"database": False, "nlu": True}}
    assert push.status_code == 503 and worker.wakes == 0  # not stored, so Telegram must deliver it again
    assert scrape(metrics.text)[("charterdesk_database_up", ())] == 0
    assert draining.status_code == 503


def test_the_webhook_secret_is_checked_or_made_up():
    made = {webhook_secret(None), webhook_secret("")}
    assert len(made) == 2 and all(SECRET_PATTERN.match(secret) and len(secret) >= 32 for secret in made)
    assert webhook_secret(SECRET) == SECRET
    for bad in ("has space", "ümlaut", "x" * 257, "semi;colon"):
        with pytest.raises(WebhookError, match="WEBHOOK_SECRET"):
            webhook_secret(bad)


def test_a_webhook_url_telegram_cannot_use_stops_start_up(tmp_path):
    env = {"TELEGRAM_BOT_TOKEN": "1:x", "CHARTER_FILE": str(ROOT / "charter.yml"), "WEBHOOK_URL": "ftp://desk.example.org/telegram"}
    result = charterdesk("bot", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "WEBHOOK_URL must be an https:// URL" in result.stderr


@contextlib.asynccontextmanager
async def serving_without_webhook(sandbox, database_url, data_keys, *, bot: bool, scheduler: bool):
    """`serve` with CHARTERDESK_METRICS_PORT and no WEBHOOK_URL; yields a client once /healthz answers, and its answer."""
    port = free_port()
    settings = webhook_settings(sandbox, database_url, data_keys.path, free_port()).model_copy(
        update={"webhook_url": None, "metrics_port": port}
    )
    components = await assemble(settings)
    stop = asyncio.Event()
    running = asyncio.create_task(serve(components, bot=bot, scheduler=scheduler, stop=stop))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(300):
                try:
                    health = await http.get("/healthz")
                    break
                except httpx.ConnectError:
                    assert not running.done(), running.exception()
                    await asyncio.sleep(0.1)
            yield http, health
    finally:
        stop.set()
        await running
        await components.close()


async def test_a_scheduler_alone_serves_health_and_metrics_when_asked(sandbox, database_url, data_keys):
    async with serving_without_webhook(sandbox, database_url, data_keys, bot=False, scheduler=True) as (http, health):
        figures = scrape((await http.get("/metrics")).text)
        telegram = await http.post("/telegram", json={"update_id": 1}, headers={SECRET_HEADER: SECRET})
    assert health.status_code == 200
    assert figures[("charterdesk_outbox_backlog", ())] == 0 and figures[("charterdesk_database_up", ())] == 1
    assert telegram.status_code == 404  # no bot here: nothing takes updates


async def test_a_polling_bot_serves_the_web_chat_beside_health_and_metrics(sandbox, database_url, data_keys):
    async with serving_without_webhook(sandbox, database_url, data_keys, bot=True, scheduler=False) as (http, health):
        visitor = await http.post("/web/visitors")
        headers = {"Authorization": f"Bearer {visitor.json()['token']}"}
        written = await http.post("/web/messages", headers=headers, json={
            "id": 1, "text": "What documents do I need for the housing benefit?", "lang": "en"})
        widget = await http.get("/widget.js")
    assert health.status_code == 200
    assert visitor.status_code == 201
    assert written.status_code == 202 and written.json()["ticket"] == "I-1001"
    assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]
