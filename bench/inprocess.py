"""In-process intake: updates fed to the Application directly, Bot API calls answered without HTTP.

This separates Charterdesk's own cost (handlers, classifier, database) from HTTP's: the same
Application as `charterdesk run` (bot/app.py, PerChatOrder, rate limiter), but its HTTP client is
replaced by FakeBotApi, which answers every Bot API call at once, and updates are put straight on
the update queue instead of being long-polled. Run in a child process so CPU and memory are its own:

    python -m bench.inprocess --database URL --messages 500 --rate 100 [--profile FILE.html]
prints one JSON object (a bench.load.Result) on stdout.
"""

import argparse
import asyncio
import dataclasses
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bench.load import FLAT_OUT, ROOT, Message, Scenario, Timings, offer, summarise, workload
from bench.procstat import memory_mb
from bench.queries import QueryCounter

BOT_ID = 4242
WARM_UP_CHAT = 99_999
API_URL = "http://bot-api.invalid/bot"
# Telegram's 30 msg/s cap would hide our own cost; both bots get the same raised limit.
RATE = 100_000.0
WARM_UP = ("hello", "기초생활수급 신청은 어떻게 하나요?", "Szeretnék időpontot kérni csütörtökre")


class FakeBotApi(BaseRequest):
    """Answers every Bot API call at once, as Telegram would, and tells `on_send` about each message sent."""

    def __init__(self, on_send: Callable[[int, float], None]) -> None:
        self.on_send = on_send
        self.calls: dict[str, int] = {}
        self._message_id = 0

    @property
    def read_timeout(self) -> float | None:
        """No long polling here: updates are put on the queue directly."""
        return 1.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None, *_, **__):
        """The Bot API's answer to one call, as (status, JSON body)."""
        name = url.rsplit("/", 1)[-1]
        self.calls[name] = self.calls.get(name, 0) + 1
        params = request_data.parameters if request_data else {}
        result: object = True
        if name == "getMe":
            result = {"id": BOT_ID, "is_bot": True, "first_name": "Charterdesk", "username": "charterdesk_bot"}
        elif name == "getUpdates":
            await asyncio.sleep(0.5)  # never called while updates are fed directly; keep it from spinning
            result = []
        elif name in ("sendMessage", "editMessageText"):
            self._message_id += 1
            chat_id = int(params["chat_id"])
            result = {
                "message_id": self._message_id, "date": int(time.time()), "text": params.get("text", ""),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup", "first_name": "C"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Charterdesk"},
            }
            self.on_send(chat_id, time.perf_counter())
        return 200, json.dumps({"ok": True, "result": result}).encode()


class ErrorCount(logging.Handler):
    """Counts what the bot logs at ERROR or worse: an answer that is an apology is not an acknowledgement."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            self.first = record.getMessage() + (f" ({record.exc_info[1]!r})" if record.exc_info else "")


def update_of(update_id: int, message_id: int, message: Message) -> dict:
    """A Bot API update carrying a citizen's private message, as Telegram sends it."""
    user = {"id": message.chat_id, "is_bot": False, "first_name": "Citizen"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id, "date": int(datetime.now(UTC).timestamp()), "text": message.text,
            "chat": {"id": message.chat_id, "type": "private", "first_name": "Citizen"}, "from": user,
        },
    }


async def run(
    scenario: Scenario, database_url: str, *, progress: Callable[[int], None] = lambda n: None, profiler=None,
    statements: list[str] | None = None,
) -> dict:
    """Assemble Charterdesk as `charterdesk run` does, feed it the workload, and measure."""
    timings = Timings()
    api = FakeBotApi(timings.on_answer)
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    async with _application(scenario, database_url, api) as (application, engine):
        counter = QueryCounter(engine, log=statements) if engine is not None else None
        ids = iter(range(1, 10_000_000))

        async def send(message: Message) -> None:
            number = next(ids)
            await application.update_queue.put(Update.de_json(update_of(number, number, message), application.bot))

        # The first messages set the command menus and warm the classifier: not measured.
        for number, text in enumerate(WARM_UP, start=1):
            warm = Message(WARM_UP_CHAT, text, "-")
            timings.on_sent(warm, time.perf_counter())
            await send(warm)
            await _wait(lambda n=number: timings.count() >= n, 120)
        timings = _fresh(api)
        messages = workload(scenario.messages, scenario.chats)
        if counter is not None:
            counter.reset()
        if profiler is not None:
            profiler.start()
        cpu_before = time.process_time()
        started = await offer(messages, scenario.rate, send,
                              timings.on_sent, tick=lambda: progress(timings.count()))
        await _wait(lambda: progress(timings.count()) or timings.count() >= scenario.messages,
                    max(120, scenario.messages / 5))
        if counter is not None:
            await _settle(counter)  # the last messages' sends are recorded after their acknowledgement
        cpu = time.process_time() - cpu_before
        if profiler is not None:
            profiler.stop()
        queries = counter.per_message(scenario.messages) if counter is not None else {}
    if errors.count:
        raise RuntimeError(f"the bot logged {errors.count} errors, the first: {errors.first}")
    rss, peak = memory_mb("self")
    result = summarise(scenario, timings, started, cpu_seconds=cpu, rss_mb=rss, peak_rss_mb=peak, queries=queries)
    return dataclasses.asdict(result)


@asynccontextmanager
async def _application(scenario: Scenario, database_url: str, api: FakeBotApi):
    """A started Application (Charterdesk's, as `charterdesk run` builds it, or the bare one) and its engine."""
    if scenario.bot == "bare":
        from bench.bare_bot import build

        application = build("4242:bench", API_URL, RATE, request=api)
        async with application:
            await application.start()
            yield application, None
            await application.stop()
        return
    from bot.app import build_application
    from charterdesk.assembly import assemble, bot_config, bot_deps
    from charterdesk.settings import Settings

    with tempfile.TemporaryDirectory() as workdir:
        settings = Settings(
            TELEGRAM_BOT_TOKEN="4242:bench", TELEGRAM_API_URL=API_URL, DATABASE_URL=database_url,
            CHARTER_FILE=ROOT / "charter.yml", TELEGRAM_OVERALL_RATE=RATE,
            CHARTERDESK_KEY_FILE=Path(workdir) / "bench.key",
        )
        components = await assemble(settings)
        try:
            application = build_application(bot_config(settings), bot_deps(components), request=api)
            async with application:
                await application.start()
                yield application, components.store.engine
                await application.stop()
        finally:
            await components.close()


def _fresh(api: FakeBotApi) -> Timings:
    timings = Timings()
    api.on_send = timings.on_answer
    return timings


async def _settle(counter: QueryCounter, quiet: float = 0.3, limit: float = 10.0) -> None:
    """Wait until the database has been quiet for `quiet` seconds (or `limit` has passed)."""
    deadline = time.monotonic() + limit
    last = -1
    while time.monotonic() < deadline:
        total = sum(counter.counts.values())
        if total == last:
            return
        last = total
        await asyncio.sleep(quiet)


async def _wait(done: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the bot stopped answering")
        await asyncio.sleep(0.005)


def main(argv: list[str] | None = None) -> int:
    """Run one in-process scenario and print its Result as JSON (progress as 'n' lines on stderr)."""
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__.splitlines()[0])
    parser.add_argument("--bot", choices=("charterdesk", "bare"), default="charterdesk")
    parser.add_argument("--database", default="", help="DATABASE_URL (sqlite+aiosqlite or postgresql+asyncpg)")
    parser.add_argument("--database-name", default="sqlite", help="label: sqlite | postgresql")
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--rate", type=float, default=FLAT_OUT, help="offered msg/s; 0 = flat out")
    parser.add_argument("--profile", help="write a pyinstrument HTML profile of the measured part here")
    parser.add_argument("--log-queries", help="write every SQL statement of the measured part to this file")
    args = parser.parse_args(argv)
    scenario = Scenario(args.bot, args.database_name if args.bot == "charterdesk" else "-", args.rate, args.messages, args.chats, "in-process")
    last = [0]

    def progress(count: int) -> None:
        if count != last[0]:
            last[0] = count
            print(count, file=sys.stderr, flush=True)

    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="disabled", interval=0.0005)
    statements: list[str] | None = [] if args.log_queries else None
    result = asyncio.run(run(scenario, args.database, progress=progress, profiler=profiler, statements=statements))
    if statements is not None:
        Path(args.log_queries).write_text("\n".join(statements) + "\n", encoding="utf-8")
    if profiler is not None:
        Path(args.profile).write_text(profiler.output_html(), encoding="utf-8")
        profiler.last_session.save(str(Path(args.profile).with_suffix(".pyisession")))
        Path(args.profile).with_suffix(".txt").write_text(
            profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
