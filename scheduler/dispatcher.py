"""The outbox dispatcher: the scheduler's passes over due rows, many chats at once, each chat in order.

`pump()` claims due rows for chats this process is not already serving and hands each chat's rows
to the deliverer (desk/delivery.py, the one way out, with the channel's flood limits as its pacing)
in a task of its own; a chat held back by a 429 or a network error waits in the database until
`not_before` while every other chat carries on. When a chat's task ends the next pass starts at once.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from desk import outbox
from desk.delivery import Deliverer
from infra.database import Store

log = logging.getLogger(__name__)

# How long a stopping dispatcher waits for sends already under way.
CLOSE_GRACE_SECONDS = 20.0


class Dispatcher:
    """Claims due outbox rows and has them delivered; one per process, several per PostgreSQL database."""

    def __init__(
        self,
        store: Store,
        deliverer: Deliverer,
        *,
        clock: Callable[[], datetime],
        batch: int = 200,
        max_in_flight: int = 1000,
        folding: Callable[[AsyncSession, datetime], Awaitable[object]] | None = None,
    ) -> None:
        self.store = store
        self.deliverer = deliverer
        self.clock = clock
        self.batch = batch
        self.max_in_flight = max_in_flight
        # Run before each claim, in its transaction: folds the staff chat's waiting cards into digests.
        self.folding = folding
        self._chats: dict[int, asyncio.Task] = {}
        self._pumping = asyncio.Lock()
        self._closing = False
        self._kicked: asyncio.Task | None = None
        self._kick_again = False

    @property
    def counts(self) -> Counter[str]:
        """Sends by outcome since this dispatcher started."""
        return self.deliverer.counts

    async def pump(self) -> int:
        """Claim what is due for chats not being served and start serving them; returns rows claimed."""
        async with self._pumping:
            room = min(self.batch, self.max_in_flight - self.deliverer.queued)
            if self._closing or room <= 0:
                return 0
            async with self.deliverer.ledger.writing, self.store.unit_of_work() as session:
                now = self.clock()
                if self.folding is not None:
                    await self.folding(session, now)
                messages = await outbox.claim_due(
                    session,
                    now=now,
                    limit=room,
                    lease=self.deliverer.lease,
                    skip_chats=list(self._chats),
                    per_chat=self.deliverer.per_chat,
                )
            by_chat: dict[int, list[outbox.Outgoing]] = {}
            for message in messages:
                by_chat.setdefault(message.chat_id, []).append(message)
            for chat_id, queue in by_chat.items():
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
        self.deliverer.stop()
        if self._chats:
            await asyncio.wait(list(self._chats.values()), timeout=CLOSE_GRACE_SECONDS)
        leftovers = [*self._chats.values(), *([self._kicked] if self._kicked else [])]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)
        await self.deliverer.idle()
        log.info("outbox dispatcher stopped; sends by outcome: %s", dict(self.counts))

    async def _serve(self, chat_id: int, queue: list[outbox.Outgoing]) -> None:
        try:
            await self.deliverer.send_chat(chat_id, queue)
        finally:
            del self._chats[chat_id]
            self._kick()

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
