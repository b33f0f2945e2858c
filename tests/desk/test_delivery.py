"""The one way out: leased rows sent through a transport, outcomes recorded, each chat in order."""

import asyncio
import itertools
import random
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from desk import outbox
from desk.delivery import Deliverer
from desk.outbox import Delivery, OutboxMessage
from infra.database import Store
from tests.conftest import at

NOW = at("2026-11-23T10:00:00+09:00")
BLOCKED = Delivery("undeliverable", reason="Forbidden: bot was blocked by the user", chat_blocked=True)


class RecordingTransport:
    """A transport double: answers with scripted outcomes and remembers what it was asked to send."""

    def __init__(self, *outcomes: Delivery, delay: float = 0.0) -> None:
        self.outcomes = list(outcomes)
        self.delay = delay
        self.sent: list[outbox.Outgoing] = []

    async def send(self, message: outbox.Outgoing) -> Delivery:
        if self.delay:
            await asyncio.sleep(random.uniform(0, self.delay))  # requests finish out of order
        self.sent.append(message)
        return self.outcomes.pop(0) if self.outcomes else Delivery("sent", message_id=len(self.sent))

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [m.text for m in self.sent if chat_id is None or m.chat_id == chat_id]


async def put(store: Store, key: str, chat_id: int = 5, **kw) -> outbox.Outgoing:
    async with store.unit_of_work() as session:
        return await outbox.enqueue(session, key=key, chat_id=chat_id, text=f"text {key}", now=NOW, **kw)


async def statuses(store: Store) -> list[str]:
    async with store.unit_of_work() as session:
        return list((await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id))).all())


async def row(store: Store, outbox_id: int) -> OutboxMessage:
    async with store.unit_of_work() as session:
        return await session.get(OutboxMessage, outbox_id)


async def dispatch(store: Store, transport, now=NOW) -> Counter[str]:
    """One dispatcher pass by the one path: claim what is due, hand it to a deliverer."""
    async with store.unit_of_work() as session:
        messages = await outbox.claim_due(session, now=now)
    deliverer = Deliverer(store, transport, clock=lambda: now)
    counts = await deliverer.deliver(messages)
    await deliverer.idle()
    return counts


async def test_dispatch_sends_each_due_row_once(store: Store):
    for key in ("a", "b", "c"):
        await put(store, key)
    transport = RecordingTransport()
    assert await dispatch(store, transport) == {"sent": 3}
    assert await dispatch(store, transport) == {}
    assert transport.texts() == ["text a", "text b", "text c"]


async def test_a_retried_row_goes_out_when_its_time_comes(store: Store):
    await put(store, "a")
    transport = RecordingTransport(Delivery("retry", retry_after=5))
    assert await dispatch(store, transport) == {"retry": 1}
    assert await dispatch(store, transport, NOW + timedelta(seconds=4)) == {}
    assert await dispatch(store, transport, NOW + timedelta(seconds=5)) == {"sent": 1}


async def test_a_429_then_success(store: Store):
    message = await put(store, "a")
    transport = RecordingTransport(Delivery("retry", retry_after=30, reason="Too Many Requests: retry after 30"))
    assert await dispatch(store, transport) == {"retry": 1}
    waiting = await row(store, message.id)
    assert (waiting.status, waiting.not_before, waiting.lease_until) == ("pending", NOW + timedelta(seconds=30), None)
    assert await dispatch(store, transport, NOW + timedelta(seconds=30)) == {"sent": 1}
    sent = await row(store, message.id)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, None)
    assert transport.texts() == ["text a", "text a"]


async def test_a_blocked_chat_gets_one_attempt_and_its_other_rows_are_skipped(store: Store):
    for key, chat in (("a1", 1), ("a2", 1), ("b1", 2), ("a3", 1)):
        await put(store, key, chat)
    transport = RecordingTransport(BLOCKED)
    assert await dispatch(store, transport) == {"undeliverable": 1, "sent": 1}
    assert transport.texts(1) == ["text a1"]
    assert await statuses(store) == ["blocked", "skipped", "sent", "skipped"]
    assert await dispatch(store, transport, NOW + timedelta(hours=1)) == {}


async def test_an_unknown_outcome_is_flagged_and_never_repeated(store: Store):
    maybe = await put(store, "maybe")
    await put(store, "after")
    transport = RecordingTransport(Delivery("unknown", reason="timed out"))
    assert await dispatch(store, transport) == {"unknown": 1, "sent": 1}
    for later in (NOW, NOW + outbox.LEASE * 2, NOW + timedelta(days=1)):
        assert await dispatch(store, transport, later) == {}
    assert transport.texts() == ["text maybe", "text after"]
    flagged = await row(store, maybe.id)
    assert (flagged.status, flagged.last_error) == ("unknown", "timed out")


async def test_a_failure_holds_the_chat_back_and_other_chats_go_on(store: Store):
    first = await put(store, "a1", 1)
    await put(store, "a2", 1)
    await put(store, "b1", 2)
    transport = RecordingTransport(Delivery("retry", retry_after=7))
    assert await dispatch(store, transport) == {"retry": 1, "sent": 1}
    # a2 was handed over with a1 but not tried: it waits with a1, given back to the next pass.
    assert transport.texts(1) == ["text a1"] and transport.texts(2) == ["text b1"]
    held = [await row(store, first.id + 1)]
    assert [(r.not_before, r.lease_until) for r in held] == [(NOW + timedelta(seconds=7), None)]
    assert await dispatch(store, transport, NOW + timedelta(seconds=6)) == {}
    assert await dispatch(store, transport, NOW + timedelta(seconds=7)) == {"sent": 2}
    assert transport.texts(1) == ["text a1", "text a1", "text a2"]


async def test_a_row_written_while_its_chat_is_held_back_waits_too(store: Store):
    await put(store, "push", 1)
    transport = RecordingTransport(Delivery("retry", retry_after=5))
    assert await dispatch(store, transport) == {"retry": 1}
    answer = await put(store, "ack", 1, claim=True)  # a handler's answer, written after the failure
    other = await put(store, "other", 2, claim=True)
    assert await Deliverer(store, transport, clock=lambda: NOW).deliver([answer, other]) == {"sent": 1}
    assert await dispatch(store, transport, NOW + timedelta(seconds=4)) == {}
    assert await dispatch(store, transport, NOW + timedelta(seconds=5)) == {"sent": 2}
    assert transport.texts(1) == ["text push", "text push", "text ack"]


async def test_a_handlers_rows_go_at_once_and_a_chat_stops_at_its_first_failure(store: Store):
    # A handler's answer: rows committed with a lease, handed straight to the deliverer.
    rows = [await put(store, key, chat, claim=True) for key, chat in (("a1", 1), ("s1", 2), ("a2", 1))]
    transport = RecordingTransport(Delivery("retry", retry_after=3))
    deliverer = Deliverer(store, transport, clock=lambda: NOW)
    assert await deliverer.deliver(rows) == {"retry": 1, "sent": 1}
    assert transport.texts() == ["text a1", "text s1"]
    # The rest of chat 1 is given back at once (no need to wait for the handler's lease to run out).
    assert await dispatch(store, transport, NOW + timedelta(seconds=3)) == {"sent": 2}
    assert transport.texts(1) == ["text a1", "text a1", "text a2"]


async def test_each_chat_stays_in_order_under_concurrent_passes(store: Store):
    chats = range(1, 11)
    for n in range(100):
        await put(store, f"m{n}", chats[n % 10])
    transport = RecordingTransport(*[Delivery("retry", retry_after=1)] * 3, delay=0.01)
    now = NOW
    for _ in range(20):  # a few rounds of four dispatchers at once, time moving on between rounds
        await asyncio.gather(*(dispatch(store, transport, now) for _ in range(4)))
        now += timedelta(seconds=1)
    assert Counter(await statuses(store)) == {"sent": 100}
    for chat in chats:
        expected = [f"text m{n}" for n in range(chat - 1, 100, 10)]
        # A retried row is tried again before anything after it: each row once, but for its retries.
        assert [text for text, _ in itertools.groupby(transport.texts(chat))] == expected


async def test_a_handlers_row_and_a_dispatcher_pass_never_send_it_twice(store: Store):
    transport = RecordingTransport(delay=0.05)
    late = NOW + outbox.LEASE + timedelta(seconds=1)
    # Within the handler's lease no pass claims its row.
    first = await put(store, "ack1", claim=True)
    assert await dispatch(store, transport) == {}
    assert await Deliverer(store, transport, clock=lambda: NOW).deliver([first]) == {"sent": 1}
    # A handler so slow that its lease ran out: a pass claims the row, and both go for it at once.
    second = await put(store, "ack2", claim=True)
    async with store.unit_of_work() as session:
        assert [m.id for m in await outbox.claim_due(session, now=late)] == [second.id]
    handler = Deliverer(store, transport, clock=lambda: NOW)
    dispatcher = Deliverer(store, transport, clock=lambda: late)
    counts = await asyncio.gather(handler.deliver([second]), dispatcher.deliver([second]))
    assert sum(counts, Counter()) == {"sent": 1}
    assert transport.texts() == ["text ack1", "text ack2"]
    assert await statuses(store) == ["sent", "sent"]


async def test_a_row_whose_handler_died_mid_send_is_flagged_not_sent_by_a_pass(store: Store):
    released = asyncio.Event()

    class StallingTransport(RecordingTransport):
        async def send(self, message):
            await released.wait()
            return await super().send(message)

    transport = StallingTransport()
    answer = await put(store, "ack", claim=True)
    handler = asyncio.create_task(Deliverer(store, transport, clock=lambda: NOW).deliver([answer]))
    await asyncio.sleep(0.1)  # marked "sending", its request under way and its lease about to run out
    assert await dispatch(store, transport, NOW + outbox.LEASE + timedelta(seconds=1)) == {}
    assert (await row(store, answer.id)).status == "unknown"
    released.set()
    assert await handler == {"sent": 1}  # the late answer wins over "unknown"
    assert transport.texts() == ["text ack"]
    assert (await row(store, answer.id)).status == "sent"


async def test_a_row_another_sender_marked_first_stops_its_chat_so_nothing_overtakes_it(store: Store):
    first, second = await put(store, "a1", claim=True), await put(store, "a2", claim=True)
    async with store.unit_of_work() as session:
        await outbox.mark_sending(session, outbox_ids=[first.id], now=NOW)  # another sender is sending it
    transport = RecordingTransport()
    deliverer = Deliverer(store, transport, clock=lambda: NOW)
    assert await deliverer.deliver([first, second]) == {}
    await deliverer.idle()
    assert transport.sent == []
    assert (await row(store, second.id)).lease_until is None  # given back for the next pass, after a1


class MarkNotingPacing:
    """Pacing that notes, each time it is asked, whether the one row it paces is marked "sending" yet."""

    slowest = 0.0

    def __init__(self, store: Store, outbox_id: int, events: list[str]) -> None:
        self.store, self.outbox_id, self.events = store, outbox_id, events

    async def _note(self, what: str) -> None:
        marked = (await row(self.store, self.outbox_id)).sending_since is not None
        self.events.append(f"{what} {'after' if marked else 'before'} the mark")

    async def wait(self, chat_id: int) -> None:
        await self._note("wait")

    async def starting(self, chat_id: int) -> None:
        await self._note("cap")


async def test_every_pacing_wait_comes_before_the_send_mark(store: Store):
    """A crash after the mark leaves the row flagged unknown, never resent: no wait may fall in between."""
    message = await put(store, "a", claim=True)
    events: list[str] = []
    pacing = MarkNotingPacing(store, message.id, events)
    deliverer = Deliverer(store, RecordingTransport(), clock=lambda: NOW, pacing=pacing)
    assert await deliverer.deliver([message]) == {"sent": 1}
    assert events == ["wait before the mark", "cap before the mark"]
