"""`charterdesk bot` killed (-9) and stopped (SIGTERM) during a burst of 1,000 updates: nothing lost, nothing twice.

The sandbox Bot API runs in the test; the bot is a real process, in webhook mode (the sandbox pushes
each update until it is answered 2xx) or polling (an update is offered until its offset is confirmed).
"""

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import distinct, func, select

from bot.inbox import IntakeUpdate
from desk.tickets.models import InboundMessage, Ticket
from sandbox import Sandbox
from tests.charterdesk.test_webhook import INQUIRY, SECRET, free_port, scrape
from tests.conftest import ROOT

BURST = 1000
FIRST_USER = 10_000
STOP_WITHIN_SECONDS = 30


class BotProcess:
    """`python -m charterdesk bot` with the given environment; its output goes to a log file per start."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self.starts = 0
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.starts += 1
        log = open(self.workdir / f"bot-{self.starts}.log", "wb")  # noqa: SIM115, ASYNC230 (a moment, before the child starts)
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "charterdesk", "bot", env=self.env, cwd=self.workdir, stdout=log, stderr=log,
        )
        log.close()

    def logs(self) -> str:
        return "\n".join(
            f"--- bot-{n}.log ---\n" + (self.workdir / f"bot-{n}.log").read_text(errors="replace")[-3000:]
            for n in range(1, self.starts + 1)
        )

    async def stop(self, sig: int) -> float:
        """Send `sig`, wait for the exit; returns the seconds it took."""
        began = time.monotonic()
        self.process.send_signal(sig)
        await asyncio.wait_for(self.process.wait(), 60)
        return time.monotonic() - began


async def until(condition, *, timeout: float, what: str, bot: BotProcess) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if bot.process.returncode is not None:
            raise AssertionError(f"the bot exited ({bot.process.returncode}) waiting for {what}\n{bot.logs()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}\n{bot.logs()}")
        await asyncio.sleep(0.2)


async def counts(store) -> dict[str, int]:
    async with store.unit_of_work() as session:
        async def one(query):
            return (await session.execute(query)).scalar_one()

        return {
            "tickets": await one(select(func.count()).select_from(Ticket)),
            "citizens_with_tickets": await one(select(func.count(distinct(Ticket.citizen_id)))),
            "inbound": await one(select(func.count()).select_from(InboundMessage)),
            "stored": await one(select(func.count()).select_from(IntakeUpdate)),
            "waiting": await one(select(func.count()).select_from(IntakeUpdate).where(IntakeUpdate.done_at.is_(None))),
        }


@pytest.mark.stress
@pytest.mark.parametrize("mode", ["webhook", "polling"])
async def test_kill_and_sigterm_during_a_burst_lose_nothing_and_repeat_nothing(
    mode, store, database_url, data_keys, tmp_path
):
    async with Sandbox() as sandbox:
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": sandbox.token,
            "TELEGRAM_API_URL": sandbox.bot_api_url,
            "DATABASE_URL": database_url,
            "CHARTER_FILE": str(ROOT / "charter.yml"),
            "CHARTERDESK_KEY_FILE": str(data_keys.path),
            # The sandbox has no flood limit; the bot's own limiter would make the burst last a minute.
            "TELEGRAM_OVERALL_RATE": "10000",
        }
        if mode == "webhook":
            env.update(WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram", WEBHOOK_SECRET=SECRET,
                       WEBHOOK_LISTEN="127.0.0.1", WEBHOOK_PORT=str(port))
        bot = BotProcess(env, tmp_path)

        def taken() -> int:
            """Updates Telegram (the sandbox) counts as delivered: answered 2xx, or offset confirmed."""
            return sandbox.webhook.deliveries if mode == "webhook" else BURST - len(sandbox.world.pending)

        async def started() -> None:
            sandbox.world.webhook = None  # set again by the new process once it listens
            calls = sandbox.calls["getUpdates"]
            await bot.start()

            async def ready():
                return sandbox.world.webhook is not None if mode == "webhook" else sandbox.calls["getUpdates"] > calls

            await until(ready, timeout=120, what="the bot to start", bot=bot)

        await started()
        for n in range(BURST):
            sandbox.user(FIRST_USER + n, f"Citizen {n}", language_code="ko")
            await sandbox.send_text(FIRST_USER + n, INQUIRY)

        async def passed(count):
            async def check():
                return taken() >= count
            return check

        await until(await passed(250), timeout=120, what="250 updates taken", bot=bot)
        bot.process.send_signal(signal.SIGKILL)
        await bot.process.wait()
        killed_at = taken()
        after_kill = await counts(store)
        await started()
        await until(await passed(killed_at + 250), timeout=120, what="250 more updates taken", bot=bot)
        stopping_took = await bot.stop(signal.SIGTERM)
        stopped_rc = bot.process.returncode
        after_term = await counts(store)
        # For the record (pytest -s): stored-but-unhandled updates at each stop are what the restart picks up.
        print(f"\n{mode}: killed after {killed_at} taken, {after_kill}; SIGTERM took {stopping_took:.1f}s, {after_term}")
        await started()

        async def all_handled():
            now = await counts(store)
            return not sandbox.world.pending and now["waiting"] == 0 and now["tickets"] >= BURST

        await until(all_handled, timeout=300, what="every update handled", bot=bot)
        final = await counts(store)
        if mode == "webhook":
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                figures = scrape((await http.get("/metrics")).text)
        await bot.stop(signal.SIGTERM)

    assert stopping_took < STOP_WITHIN_SECONDS and stopped_rc == 0, (stopping_took, stopped_rc, bot.logs())
    assert final == {"tickets": BURST, "citizens_with_tickets": BURST, "inbound": BURST, "stored": BURST,
                     "waiting": 0}, bot.logs()
    if mode == "webhook":
        assert figures[("charterdesk_tickets_open", (("category", "inquiry"),))] == BURST
        assert figures[("charterdesk_intake_backlog", ())] == 0
        # This last process took what the other two had not stored.
        assert 0 < figures[("charterdesk_updates_received_total", (("source", "webhook"),))] < BURST
