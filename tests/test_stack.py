"""scripts/stack.sh, the production shape run natively: PostgreSQL + Rasa + bot (webhook) + scheduler.

The sandbox Bot API stands in for Telegram and pushes a citizen's message to the bot's webhook;
the citizen gets the acknowledgement with a ticket number, /metrics counts it, every process logs
JSON lines without the citizen's words, and SIGTERM stops the whole stack. Needs the PostgreSQL
server at 127.0.0.1:5432 (or TEST_DATABASE_URL's): without it these tests skip, or fail under CI=true.
The first run on a machine builds Rasa's venv and model (see README, section Rasa).
"""

import asyncio
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from sandbox import Sandbox
from tests.conftest import ROOT

SERVER_URL = os.environ.get("TEST_DATABASE_URL") or "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
STACK = ROOT / "scripts" / "stack.sh"
CHARTERDESK = Path(sys.executable).with_name("charterdesk")
CITIZEN = 2001
WORDS = "How do I apply for housing support? I am Kovács Anna."
# Generous: a cold machine builds Rasa's venv and trains its model inside the script first
# (26 min of training has been seen on 2 busy cores).
READY_SECONDS = 3600.0
PROGRESS_SECONDS = 60
STOP_SECONDS = 60.0
# Settings of the developer's shell that would change what the stack under test does.
OWN_SETTINGS = (
    "TELEGRAM_",
    "DATABASE_",
    "CHARTER_FILE",
    "RASA_",
    "WEBHOOK_",
    "STACK_",
    "CHARTERDESK_LOG",
    "CHARTERDESK_KEY",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def asyncpg_dsn(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def server():
    """The PostgreSQL server's URL; skip without one, except under CI where that is a failure."""
    url = make_url(SERVER_URL)
    try:
        socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=2).close()
    except OSError as exc:
        reason = f"no PostgreSQL at {url.host}:{url.port or 5432} ({exc}): the native stack needs one"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return url


@pytest.fixture
async def database(server) -> AsyncIterator[str]:
    """A scratch database of its own on that server, dropped afterwards."""
    name = f"charterdesk_stack_{os.getpid()}"
    admin = await asyncpg.connect(asyncpg_dsn(server))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(asyncpg_dsn(server))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """The sandbox Bot API on a free port, in this test's event loop."""
    async with Sandbox() as sandbox:
        yield sandbox


@dataclass
class Stack:
    process: subprocess.Popen
    logs: Path
    output: Path
    web: str
    rasa_port: int
    webhook_port: int

    def tail(self) -> str:
        """The script's own output and each process's log tail, for a failure message."""
        parts = [f"--- stack.sh ---\n{self.output.read_text(errors='replace')[-3000:]}"]
        for log in sorted(self.logs.glob("*.log")):
            parts.append(f"--- {log.name} ---\n{log.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    async def stop(self) -> int:
        """SIGTERM to the script, as a service manager would; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        for _ in range(int(STOP_SECONDS * 10)):
            if self.process.poll() is not None:
                return self.process.returncode
            await asyncio.sleep(0.1)
        self.process.kill()
        self.process.wait()
        pytest.fail(f"stack.sh did not stop within {STOP_SECONDS:.0f} s of SIGTERM\n{self.tail()}")


def stack_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """A clean environment plus the given settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OWN_SETTINGS)}
    return {
        **clean,
        "CHARTERDESK_BIN": str(CHARTERDESK),
        "CHARTER_FILE": str(ROOT / "charter.yml"),
        "CHARTERDESK_KEY_FILE": str(tmp_path / "charterdesk.key"),
        **settings,
    }


def start_stack(tmp_path: Path, env: dict[str, str], *, rasa_port: int, webhook_port: int) -> Stack:
    output = tmp_path / "stack.out"
    with open(output, "wb") as sink:
        process = subprocess.Popen(
            ["bash", str(STACK)],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Stack(
        process,
        Path(env["STACK_LOG_DIR"]),
        output,
        f"http://127.0.0.1:{webhook_port}",
        rasa_port,
        webhook_port,
    )


@pytest.fixture
async def stack(tmp_path, database, sandbox, pytestconfig) -> AsyncIterator[Stack]:
    """The stack in webhook mode, once /healthz says the database and Rasa answer and the webhook is set."""
    rasa_port, webhook_port = free_port(), free_port()
    env = stack_env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=sandbox.token,
        TELEGRAM_API_URL=sandbox.bot_api_url,
        DATABASE_URL=database,
        WEBHOOK_URL=f"http://127.0.0.1:{webhook_port}/telegram",
        WEBHOOK_SECRET=secrets.token_urlsafe(24),
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(webhook_port),
        STACK_RASA_PORT=str(rasa_port),
        STACK_RASA_START_SECONDS=str(int(READY_SECONDS)),
        STACK_LOG_DIR=str(tmp_path / "logs"),
        CHARTERDESK_LOG_FORMAT="json",
        CHARTERDESK_DISPATCH_INTERVAL="0.5",
    )
    running = start_stack(tmp_path, env, rasa_port=rasa_port, webhook_port=webhook_port)
    try:
        await wait_until_ready(running, sandbox, env["WEBHOOK_URL"], say=progress_printer(pytestconfig))
        yield running
    finally:
        await running.stop()


def progress_printer(pytestconfig):
    """Print a line past pytest's capture: a cold run waits minutes for Rasa and should say so."""
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")

    def say(line: str) -> None:
        with capture.global_and_fixture_disabled():
            print(f"[stack] {line}", flush=True)

    return say


def last_line(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").replace("\r", "\n").strip().splitlines()
    except OSError:
        return ""
    return lines[-1][-200:] if lines else ""


async def wait_until_ready(stack: Stack, sandbox: Sandbox, webhook_url: str, *, say=None) -> None:
    """Until /healthz answers 200 and the bot has set its webhook at the sandbox."""
    async with httpx.AsyncClient(timeout=5) as http:
        for tick in range(int(READY_SECONDS * 2)):
            if say and tick and tick % (PROGRESS_SECONDS * 2) == 0:
                say(
                    f"waiting {tick // 2} s; {last_line(stack.output)} | rasa: {last_line(stack.logs / 'rasa.log')}"
                )
            if stack.process.poll() is not None:
                pytest.fail(
                    f"stack.sh exited with {stack.process.returncode} before it was ready\n{stack.tail()}"
                )
            try:
                healthy = (await http.get(f"{stack.web}/healthz")).status_code == 200
            except httpx.HTTPError:
                healthy = False
            hook = sandbox.world.webhook
            if healthy and hook and hook["url"] == webhook_url:
                return
            await asyncio.sleep(0.5)
    pytest.fail(f"the stack was not ready within {READY_SECONDS:.0f} s\n{stack.tail()}")


def samples(exposition: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a Prometheus text exposition: (name, sorted labels) -> value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


async def test_a_citizen_message_pushed_to_the_webhook_gets_its_ticket_and_is_counted(
    stack, sandbox, tmp_path
):
    async with httpx.AsyncClient(timeout=10) as http:
        health = (await http.get(f"{stack.web}/healthz")).json()
        assert health["checks"] == {"database": True, "nlu": True}
        assert port_open(stack.rasa_port), "Rasa is not serving on the port the script gave it"

        sent = await sandbox.send_text(CITIZEN, WORDS)
        reply = await sandbox.wait_for_bot_messages(CITIZEN, after_message_id=sent["message_id"], timeout=60)
        assert re.search(r"\bI-\d{4,}\b", reply[0]["text"]), reply[0]["text"]
        # It came by webhook push, not by polling.
        assert sandbox.webhook.deliveries >= 1
        assert sandbox.calls["getUpdates"] == 0
        assert not sandbox.world.webhook.get("last_error_message")

        figures = samples((await http.get(f"{stack.web}/metrics")).text)
    assert figures[("charterdesk_updates_received_total", (("source", "webhook"),))] >= 1
    assert figures[("charterdesk_tickets_open", (("category", "inquiry"),))] == 1
    other = [
        value
        for (name, labels), value in figures.items()
        if name == "charterdesk_tickets_open" and labels != (("category", "inquiry"),)
    ]
    assert sum(other) == 0

    assert await stack.stop() == 0, stack.tail()
    assert not port_open(stack.webhook_port) and not port_open(stack.rasa_port), (
        "a process outlived the stack"
    )
    for name in ("bot", "scheduler"):
        text = (stack.logs / f"{name}.log").read_text(encoding="utf-8")
        entries = [json.loads(line) for line in text.splitlines()]  # raises on any line that is not JSON
        assert entries and all({"time", "level", "logger", "message"} <= set(entry) for entry in entries), (
            name
        )
        assert "Kovács" not in text and "housing" not in text, f"{name}.log holds what the citizen wrote"


async def test_the_stack_stops_everything_when_a_process_dies(tmp_path, database):
    # Without a token the bot and scheduler refuse to start; the script must not keep half a stack up.
    env = stack_env(
        tmp_path, DATABASE_URL=database, RASA_URL="http://127.0.0.1:9", STACK_LOG_DIR=str(tmp_path / "logs")
    )
    stack = start_stack(tmp_path, env, rasa_port=0, webhook_port=0)
    for _ in range(1200):
        if stack.process.poll() is not None:
            break
        await asyncio.sleep(0.1)
    assert stack.process.poll() == 1, stack.tail()
    assert "TELEGRAM_BOT_TOKEN is not set" in (stack.logs / "bot.log").read_text()
    assert "stopping the others" in stack.output.read_text()


async def test_failed_migrations_stop_the_stack_before_anything_serves(tmp_path, server):
    missing = server.set(database=f"charterdesk_absent_{os.getpid()}").render_as_string(hide_password=False)
    env = stack_env(
        tmp_path, DATABASE_URL=missing, RASA_URL="http://127.0.0.1:9", STACK_LOG_DIR=str(tmp_path / "logs")
    )
    stack = start_stack(tmp_path, env, rasa_port=0, webhook_port=0)
    for _ in range(1200):
        if stack.process.poll() is not None:
            break
        await asyncio.sleep(0.1)
    output = stack.output.read_text()
    assert stack.process.poll() == 1, output
    assert "migrations failed" in output and "cannot start" in output
    assert "started bot" not in output
