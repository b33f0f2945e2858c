"""What every intake run shares: the workload, the offered-load pacing, and the arithmetic of timings."""

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from nlu.classifier import load_examples

ROOT = Path(__file__).resolve().parent.parent
FLAT_OUT = 0.0
# Chats get messages in turn (message i from chat FIRST_CHAT + i % chats): most citizens write a few times.
FIRST_CHAT = 1_000


@dataclass(frozen=True)
class Scenario:
    """One measured run."""

    bot: str  # "charterdesk" | "bare"
    database: str  # "sqlite" | "postgresql" | "-"
    rate: float  # offered messages per second; FLAT_OUT = as fast as they can be written
    messages: int
    chats: int = 500
    transport: str = "http"  # "http": the sandbox Bot API over loopback; "in-process": no HTTP at all


@dataclass
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
    queries: dict[str, float] = field(default_factory=dict)  # statements per message, by kind (in-process)

    @property
    def cpu_ms_per_message(self) -> float:
        """CPU time of the bot process per message, in milliseconds."""
        return 1000 * self.cpu_seconds / max(self.scenario.messages, 1)


@dataclass(frozen=True)
class Message:
    """One citizen message of the workload."""

    chat_id: int
    text: str
    language: str


def workload(count: int, chats: int) -> list[Message]:
    """Citizens' messages of every intent and language (ko/en/hu, nlu/data/test.yml), `count` of them."""
    groups: dict[tuple[str, str], list] = {}
    for example in load_examples(ROOT / "nlu" / "data" / "test.yml"):
        groups.setdefault((example.language, example.intent), []).append(example)
    # Round robin over (language, intent), so every stretch of the run is mixed as the whole is.
    ordered = list(groups.values())
    picked = [ordered[i % len(ordered)][(i // len(ordered)) % len(ordered[i % len(ordered)])] for i in range(count)]
    return [Message(FIRST_CHAT + i % chats, e.text, e.language) for i, e in enumerate(picked)]


async def offer(
    messages: list[Message], rate: float, send: Callable[[Message], Awaitable[None]],
    on_sent: Callable[[Message, float], None], tick: Callable[[], None] = lambda: None,
) -> float:
    """Send each message at its moment under the offered rate (or at once, flat out); returns the start."""
    started = time.perf_counter()
    for i, message in enumerate(messages):
        if rate:
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        on_sent(message, time.perf_counter())
        await send(message)
        tick()
    return started


class Timings:
    """When each message was offered and when the bot's first answer to it reached its chat.

    A chat's updates are handled one by one and each handler delivers its answers before the next
    starts, so a chat's answers come in message order: a message's acknowledgement is the first answer
    of its chat that arrives after it was sent and was not taken by an earlier message. (A message
    answered with two texts leaves its second to be skipped by this rule unless the chat's next message
    was already sent; the workload spaces a chat's messages `chats / rate` seconds apart.)
    """

    def __init__(self) -> None:
        self.sent: dict[int, list[float]] = {}
        self._matched: dict[int, int] = {}
        self.pairs: list[tuple[float, float]] = []

    def on_sent(self, message: Message, at: float) -> None:
        """Note a message leaving the harness."""
        self.sent.setdefault(message.chat_id, []).append(at)

    def on_answer(self, chat_id: int, at: float) -> None:
        """Note a bot message arriving in a chat."""
        sent = self.sent.get(chat_id, ())
        index = self._matched.get(chat_id, 0)
        if index < len(sent) and sent[index] <= at:
            self.pairs.append((sent[index], at))
            self._matched[chat_id] = index + 1

    def count(self) -> int:
        """Messages acknowledged so far."""
        return len(self.pairs)


def summarise(scenario: Scenario, timings: Timings, started: float, *, cpu_seconds: float, rss_mb: float,
              peak_rss_mb: float, queries: dict[str, float] | None = None) -> Result:
    """Throughput and latency percentiles of one finished run."""
    pairs = timings.pairs
    latencies = sorted((a - s) * 1000 for s, a in pairs)
    finished = max((a for _, a in pairs), default=started)
    return Result(
        scenario=scenario,
        throughput=len(pairs) / (finished - started) if finished > started else 0.0,
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        p99_ms=percentile(latencies, 99),
        cpu_seconds=cpu_seconds,
        rss_mb=rss_mb,
        peak_rss_mb=peak_rss_mb,
        answered=len(latencies),
        queries=queries or {},
    )


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile of sorted values (inclusive method); nan when there are none."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def label(scenario: Scenario) -> str:
    """Short human name of a scenario."""
    rate = "flat out" if scenario.rate == FLAT_OUT else f"{scenario.rate:g} msg/s"
    where = "" if scenario.transport == "http" else f" {scenario.transport}"
    return f"{scenario.bot}{where} {scenario.database} {rate}"
