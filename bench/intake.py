"""Intake benchmark: the whole pipeline against a bare python-telegram-bot handler, same harness.

Each scenario starts a sandbox Bot API in this process and the bot under test in its own process
(so its CPU and memory are its own), waits until it answers, then offers N messages from M chats
(mixed languages and intents, from nlu/data/test.yml) at a fixed rate or flat out, and times each
message from the moment its update exists to the moment the bot's answer reaches the Bot API.

    python -m bench.intake [--quick] [--postgres URL]
"""

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress

from bench.procstat import cpu_seconds, memory_mb
from bench.report import write_section
from nlu.classifier import load_examples
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
CHATS = 500
WARM_UP_CHAT = 99_999
FLAT_OUT = 0.0


@dataclass(frozen=True)
class Scenario:
    """One measured run."""

    bot: str  # "charterdesk" | "bare"
    database: str  # "sqlite" | "postgresql" | "-"
    rate: float  # offered messages per second; FLAT_OUT = all at once
    messages: int


@dataclass(frozen=True)
class Result:
    """What one run measured."""

    scenario: Scenario
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cpu_seconds: float
    rss_mb: float
    peak_rss_mb: float
    answered: int


def workload(count: int) -> list[str]:
    """Citizens' messages of every intent and language, repeated to `count`."""
    texts = [e.text for e in load_examples(ROOT / "nlu" / "data" / "test.yml")]
    return [texts[i % len(texts)] for i in range(count)]


def bot_command(scenario: Scenario) -> list[str]:
    """How to start the bot under test."""
    if scenario.bot == "bare":
        return [sys.executable, "-m", "bench.bare_bot"]
    return [sys.executable, "-m", "charterdesk", "run"]


async def run(scenario: Scenario, database_url: str | None, progress: Progress) -> Result:
    """Start the bot, offer the load, collect timings, stop the bot."""
    sent: dict[int, list[float]] = defaultdict(list)
    answered: dict[int, list[float]] = defaultdict(list)
    async with Sandbox() as sandbox:

        def on_message(message: dict) -> None:
            if message["from"]["is_bot"]:
                answered[message["chat"]["id"]].append(time.perf_counter())

        sandbox.world.message_listeners.append(on_message)
        with tempfile.TemporaryDirectory() as workdir:
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": sandbox.token,
                "TELEGRAM_API_URL": sandbox.bot_api_url,
                "TELEGRAM_OVERALL_RATE": "100000",
                "CHARTER_FILE": str(ROOT / "charter.yml"),
                "DATABASE_URL": database_url or f"sqlite+aiosqlite:///{workdir}/bench.db",
                "PYTHONPATH": str(ROOT),
            }
            log = open(Path(workdir) / "bot.log", "wb")  # noqa: SIM115 - closed below
            process = await asyncio.create_subprocess_exec(
                *bot_command(scenario), env=env, cwd=workdir, stdout=log, stderr=log
            )
            try:
                await sandbox.send_text(WARM_UP_CHAT, "hello")
                await sandbox.wait_for_bot_messages(WARM_UP_CHAT, timeout=120)
                result = await offer(sandbox, process.pid, scenario, sent, answered, progress)
            finally:
                process.send_signal(signal.SIGINT)
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                log.close()
    return result


async def offer(sandbox, pid, scenario, sent, answered, progress) -> Result:
    """Send the messages on schedule and wait for every answer."""
    texts = workload(scenario.messages)
    cpu_before = cpu_seconds(pid)
    task = progress.add_task(label(scenario), total=scenario.messages)
    started = time.perf_counter()
    for i, text in enumerate(texts):
        if scenario.rate:
            delay = started + i / scenario.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        chat = 1_000 + i % CHATS
        sent[chat].append(time.perf_counter())
        await sandbox.send_text(chat, text)

    def done() -> int:
        count = sum(min(len(answered[c]), len(sent[c])) for c in sent)
        progress.update(task, completed=count)
        return count >= scenario.messages

    await sandbox.wait_for(done, timeout=max(120, scenario.messages / 5), what="every answer")
    finished = max(max(answered[c][: len(sent[c])]) for c in sent)
    latencies = sorted((a - s) * 1000 for c in sent for s, a in zip(sent[c], answered[c], strict=False))
    rss, peak = memory_mb(pid)
    progress.remove_task(task)
    return Result(
        scenario=scenario,
        throughput=scenario.messages / (finished - started),
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        p99_ms=percentile(latencies, 99),
        cpu_seconds=cpu_seconds(pid) - cpu_before,
        rss_mb=rss,
        peak_rss_mb=peak,
        answered=len(latencies),
    )


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile of sorted values (nearest rank on the inclusive method)."""
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]


def label(scenario: Scenario) -> str:
    """Short human name of a scenario."""
    rate = "flat out" if scenario.rate == FLAT_OUT else f"{scenario.rate:g} msg/s"
    return f"{scenario.bot} {scenario.database} {rate}"


def scenarios(*, quick: bool, postgres: bool) -> list[Scenario]:
    """Every load for the baseline and for the pipeline on each database."""
    loads = [(10, 100 if quick else 300), (100, 300 if quick else 1500), (500, 500 if quick else 2500), (FLAT_OUT, 500 if quick else 2500)]
    databases = ["sqlite"] + (["postgresql"] if postgres else [])
    result = []
    for rate, count in loads:
        result.append(Scenario("bare", "-", rate, count))
        result += [Scenario("charterdesk", db, rate, count) for db in databases]
    return result


async def reset_postgres(url: str) -> None:
    """Empty the benchmark database so each run starts from nothing."""
    from sqlalchemy import text

    from desk.schema import metadata
    from desk.store import Store

    store = Store(url)
    async with store.engine.begin() as connection:
        await connection.run_sync(metadata.drop_all)
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await store.dispose()


def table(results: list[Result]) -> str:
    """Markdown table of the results, with the pipeline's throughput relative to the bare handler's."""
    bare = {r.scenario.rate: r for r in results if r.scenario.bot == "bare"}
    lines = [
        "| bot | database | offered | msgs | throughput msg/s | vs bare | p50 ms | p95 ms | p99 ms | CPU ms/msg | RSS MB (peak) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s = r.scenario
        ratio = r.throughput / bare[s.rate].throughput if s.rate in bare else float("nan")
        offered = "flat out" if s.rate == FLAT_OUT else f"{s.rate:g}/s"
        lines.append(
            f"| {s.bot} | {s.database} | {offered} | {r.answered} | {r.throughput:.1f} | {ratio:.0%} | "
            f"{r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.p99_ms:.1f} | {1000 * r.cpu_seconds / s.messages:.2f} | "
            f"{r.rss_mb:.0f} ({r.peak_rss_mb:.0f}) |"
        )
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> None:
    """Run every scenario and rewrite the intake section of docs/benchmarks.md."""
    parser = argparse.ArgumentParser(prog="python -m bench.intake", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages per load")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL"), help="PostgreSQL URL (asyncpg)")
    args = parser.parse_args(argv)
    results = []
    with Progress() as progress:
        for scenario in scenarios(quick=args.quick, postgres=bool(args.postgres)):
            url = args.postgres if scenario.database == "postgresql" else None
            if url:
                await reset_postgres(url)
            results.append(await run(scenario, url, progress))
            progress.console.print(table([r for r in results if r.scenario.rate == scenario.rate]).splitlines()[-1])
    body = INTRO + "\n" + table(results)
    command = "python -m bench.intake" + (" --quick" if args.quick else "") + (" --postgres URL" if args.postgres else "")
    print(write_section("intake", "## Intake: full pipeline vs a bare python-telegram-bot handler\n\n" + body, command=command))


INTRO = """Both bots poll the same in-process sandbox Bot API over HTTP, with the same rate limiter (raised
to 100,000 msg/s so Telegram's 30 msg/s cap does not hide our own cost) and the same long polling.
Latency is from the moment the update exists in the sandbox to the moment the bot's answer arrives
there. The bare handler answers "ok"; Charterdesk classifies, stores the message, opens a ticket or
answers, writes the promised reply to the outbox and delivers it. Messages come from 500 chats, mixed
languages and intents (nlu/data/test.yml). CPU and memory are the bot process's own.
"""

if __name__ == "__main__":
    asyncio.run(main())
