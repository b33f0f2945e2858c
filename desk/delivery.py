"""The one way promised messages leave: leased outbox rows sent through a transport, each chat in order.

A handler hands over the rows it has just committed and leased, so its answer goes at once; the
scheduler's dispatcher hands over the due rows it claimed. Either way each row is marked "sending"
(committed) before its request leaves, so a process that dies mid-send leaves a row that the next
claim flags as unknown instead of sending it twice. A 429 or a network error holds the chat back
(outbox.record moves its pending rows' `not_before`), a blocked chat has its rows skipped; either
way that chat's later rows are not tried now and are given back, while other chats carry on.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from desk import outbox
from desk.delivery_ledger import Ledger
from desk.sending_thread import SendingThread
from infra.database import Store
from infra.logs import personal

log = logging.getLogger(__name__)

# Requests under way at once; more only slow the HTTP client's pool (its bookkeeping grows with both).
CONCURRENCY = 32


class Pacing(Protocol):
    """A channel's flood limits as waits (Telegram's: bot/ratelimit.py's SendLimiter)."""

    @property
    def slowest(self) -> float:
        """The longest spacing, in seconds, between two messages to one chat."""
        ...

    async def wait(self, chat_id: int) -> None:
        """Return when a message to `chat_id` may be sent."""
        ...

    async def starting(self, chat_id: int) -> None:
        """A request to `chat_id` leaves now."""
        ...


class Deliverer:
    """Sends leased outbox rows through a transport and records each outcome (via a group-commit ledger)."""

    def __init__(
        self,
        store: Store,
        transport: outbox.Transport,
        *,
        clock: Callable[[], datetime],
        lease: timedelta = outbox.LEASE,
        pacing: Pacing | None = None,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.store = store
        self.transport = transport
        self.clock = clock
        self.lease = lease
        self.pacing = pacing
        self.ledger = Ledger(store, clock=clock, lease=lease)
        self.counts: Counter[str] = Counter()
        # Rows handed over and not yet done with (sent, failed or given back).
        self.queued = 0
        self._sending = asyncio.Semaphore(concurrency)
        self._stopping = False
        # Where the rows it takes are marked, sent and recorded, away from this loop's queue (a bot replica's).
        self.thread: SendingThread | None = None

    @property
    def per_chat(self) -> int | None:
        """Rows of one chat worth leasing at once: as many as the pacing lets go in half a lease."""
        slowest = self.pacing.slowest if self.pacing is not None else 0.0
        return None if slowest <= 0 else max(1, int(self.lease.total_seconds() / 2 / slowest))

    async def deliver(self, messages: Sequence[outbox.Outgoing], *, reachable_chat: int | None = None) -> Counter[str]:
        """Send rows leased to the caller (e.g. a handler's just-committed answer); outcome counts.

        `reachable_chat`: a chat known to be reachable, whose citizen has just written (outbox.record_sent)."""
        by_chat: dict[int, list[outbox.Outgoing]] = {}
        for message in messages:
            by_chat.setdefault(message.chat_id, []).append(message)
        results = await asyncio.gather(
            *(self.send_chat(chat_id, queue, reachable=chat_id == reachable_chat) for chat_id, queue in by_chat.items())
        )
        return sum(results, Counter())

    async def send_chat(
        self, chat_id: int, queue: Sequence[outbox.Outgoing], *, reachable: bool = False
    ) -> Counter[str]:
        """Send one chat's leased rows in order; after a retry or a block the rest are given back."""
        counts: Counter[str] = Counter()
        given_back: list[int] = []
        done = 0
        self.queued += len(queue)
        try:
            for message in queue:
                if self.pacing is not None:
                    await self.pacing.wait(chat_id)
                if self._stopping:
                    break
                async with self._sending:
                    delivery = await self._send(chat_id, message, reachable)
                done += 1
                self.queued -= 1
                if delivery is None:
                    # Taken over, held back or skipped meanwhile: the chat's later rows go after it, not now.
                    given_back.append(message.id)
                    break
                counts[delivery.outcome] += 1
                self.counts[delivery.outcome] += 1
                if delivery.outcome == "retry" or delivery.chat_blocked:
                    break  # the chat waits (its rows are held back) or is closed (its rows are skipped)
        except Exception:
            log.exception("outbox: sending to chat %s failed; its rows go back to the queue", personal(chat_id))
        finally:
            rest = [m.id for m in queue[done:]]
            self.queued -= len(rest)
            if given_back or rest:
                await self._release(given_back + rest)
        return counts

    def stop(self) -> None:
        """Start no further send; rows handed over and not sent yet are given back."""
        self._stopping = True

    async def idle(self) -> None:
        """Wait until every outcome is written."""
        await self.ledger.idle()

    async def _send(self, chat_id: int, message: outbox.Outgoing, reachable: bool) -> outbox.Delivery | None:
        # Every wait comes before the mark: from the mark on, a crash leaves the row flagged unknown and never
        # sent again, so the time between the mark and the request leaving is kept to the database's commit.
        if self.pacing is not None:
            await self.pacing.starting(chat_id)
        if self.thread is not None and self.thread.takes(message):
            return await self.thread.send(message, reachable=reachable)
        if not await self.ledger.mark(message.id):
            return None
        delivery = await self.transport.send(message)
        await self.ledger.record(message.id, delivery, reachable=reachable)
        return delivery

    async def _release(self, outbox_ids: list[int]) -> None:
        try:
            async with self.ledger.writing, self.store.unit_of_work() as session:
                await outbox.release(session, outbox_ids)
        except Exception:
            # Their leases run out by themselves; releasing only makes them available sooner.
            log.warning("outbox: could not release %d rows", len(outbox_ids), exc_info=True)
