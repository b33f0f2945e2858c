"""The outbox dispatcher: many chats at once, each chat's messages in order and within Telegram's limits.

`pump()` claims due rows for chats this process is not already serving and starts one task per
chat; the task sends that chat's rows one after another, each when the limiter allows. A 429 or a
network error holds back only that chat (the row and its successors wait in the database until
`not_before`), a blocked chat ends its task; every other chat carries on meanwhile. Each row is
marked "sending" in the database before its request leaves, so a dispatcher that dies mid-send
leaves a row that the next claim flags as unknown instead of sending it twice.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from desk import outbox
from infra.logs import personal
from bot.ratelimit import SendLimiter
from infra.database import Store
from scheduler.ledger import Ledger

log = logging.getLogger(__name__)

# How long a stopping dispatcher waits for sends already under way.
CLOSE_GRACE_SECONDS = 20.0


class Dispatcher:
    """Sends due outbox rows through a transport; one per process, several per PostgreSQL database."""

    def __init__(
        self,
        store: Store,
        transport: outbox.Transport,
        *,
        clock: Callable[[], datetime],
        limiter: SendLimiter | None = None,
        lease: timedelta = outbox.LEASE,
        batch: int = 200,
        max_in_flight: int = 1000,
        concurrency: int = 32,
    ) -> None:
        self.store = store
        self.transport = transport
        self.clock = clock
        self.limiter = limiter or SendLimiter()
        self.lease = lease
        self.batch = batch
        self.max_in_flight = max_in_flight
        self.counts: Counter[str] = Counter()
        self.ledger = Ledger(store, clock=clock, lease=lease)
        # Requests under way at once; more only slow the HTTP client's pool (its bookkeeping grows with both).
        self._sending = asyncio.Semaphore(concurrency)
        self._chats: dict[int, asyncio.Task] = {}
        self._queued = 0
        self._pumping = asyncio.Lock()
        self._closing = False
        self._kicked: asyncio.Task | None = None
        self._kick_again = False

    @property
    def per_chat(self) -> int | None:
        """Rows of one chat claimed at once: as many as its spacing lets go in half a lease."""
        limits = self.limiter.limits
        slowest = max(limits.chat_interval, 60.0 / limits.group_per_minute)
        return None if slowest <= 0 else max(1, int(self.lease.total_seconds() / 2 / slowest))

    async def pump(self) -> int:
        """Claim what is due for chats not being served and start serving them; returns rows claimed."""
        async with self._pumping:
            room = min(self.batch, self.max_in_flight - self._queued)
            if self._closing or room <= 0:
                return 0
            async with self.ledger.writing, self.store.unit_of_work() as session:
                messages = await outbox.claim_due(
                    session,
                    now=self.clock(),
                    limit=room,
                    lease=self.lease,
                    skip_chats=list(self._chats),
                    per_chat=self.per_chat,
                )
            by_chat: dict[int, list[outbox.Outgoing]] = {}
            for message in messages:
                by_chat.setdefault(message.chat_id, []).append(message)
            for chat_id, queue in by_chat.items():
                self._queued += len(queue)
                self._chats[chat_id] = asyncio.create_task(self._serve(chat_id, queue), name=f"outbox chat {chat_id}")
            return len(messages)

    async def drain(self) -> Counter[str]:
        """Pump until nothing is due now and nothing is under way (tests, benchmarks); outcome counts."""
        while True:
            claimed = await self.pump()
            busy = [*self._chats.values(), *([self._kicked] if self._kicked and not self._kicked.done() else [])]
            if busy:
                await asyncio.wait(busy, return_when=asyncio.FIRST_COMPLETED)
            elif not claimed:
                return self.counts

    async def close(self) -> None:
        """Stop claiming, let sends under way finish, give unsent rows back to the other dispatchers."""
        self._closing = True
        if self._chats:
            await asyncio.wait(list(self._chats.values()), timeout=CLOSE_GRACE_SECONDS)
        leftovers = [*self._chats.values(), *([self._kicked] if self._kicked else [])]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)
        await self.ledger.idle()
        log.info("outbox dispatcher stopped; sends by outcome: %s", dict(self.counts))

    async def _serve(self, chat_id: int, queue: list[outbox.Outgoing]) -> None:
        done = 0
        try:
            for message in queue:
                await self.limiter.wait(chat_id)
                if self._closing:
                    break
                async with self._sending:
                    delivery = await self._send(chat_id, message)
                done += 1
                self._queued -= 1
                if delivery is None:
                    continue
                self.counts[delivery.outcome] += 1
                if delivery.outcome == "retry" or delivery.chat_blocked:
                    break  # the chat waits (its rows are held back) or is closed (its rows are skipped)
        except Exception:
            log.exception("outbox: serving chat %s failed; its rows go back to the queue", personal(chat_id))
        finally:
            rest = [m.id for m in queue[done:]]
            self._queued -= len(rest)
            del self._chats[chat_id]
            if rest:
                await self._release(rest)
            self._kick()

    async def _send(self, chat_id: int, message: outbox.Outgoing) -> outbox.Delivery | None:
        if not await self.ledger.mark(message.id):
            return None  # another dispatcher took it over meanwhile
        await self.limiter.starting(chat_id)
        delivery = await self.transport.send(message)
        await self.ledger.record(message.id, delivery)
        return delivery

    def _kick(self) -> None:
        """Pump soon: a chat just finished, so its next rows (and others') need not wait for the next pass."""
        if self._closing:
            return
        if self._kicked is not None and not self._kicked.done():
            self._kick_again = True
            return
        self._kicked = asyncio.create_task(self._pump_while_kicked(), name="outbox pump")

    async def _pump_while_kicked(self) -> None:
        try:
            while True:
                self._kick_again = False
                await self.pump()
                if not self._kick_again or self._closing:
                    return
        except Exception:
            log.exception("outbox: pump failed; the next pass tries again")

    async def _release(self, outbox_ids: list[int]) -> None:
        try:
            async with self.ledger.writing, self.store.unit_of_work() as session:
                await outbox.release(session, outbox_ids)
        except Exception:
            # Their leases run out by themselves; releasing only makes them available sooner.
            log.warning("outbox: could not release %d rows", len(outbox_ids), exc_info=True)
