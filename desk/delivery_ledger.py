"""Group commit for the deliverer: the marks and outcomes of many chats written in one transaction.

Every send needs two writes (marked "sending" before the request, its outcome after). Done one
transaction each, fifty chats in flight make fifty writers queue for SQLite's single write lock,
and PostgreSQL pays a commit round trip per write. Here whatever is waiting is written together:
callers still wait until their own write is committed, so a mark is durable before the request leaves.
"""

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from desk import outbox
from infra.database import Store

# Writes taken into one transaction at most.
MAX_GROUP = 500


class Ledger:
    """Queues mark/record writes and commits them in groups; one writer task at a time."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime], lease: timedelta) -> None:
        self.store, self.clock, self.lease = store, clock, lease
        # SQLite has one writer at a time: the deliverer's transactions queue here rather than in
        # SQLite's busy wait (which sleeps in steps of up to 100 ms). PostgreSQL needs no such queue.
        self.writing = asyncio.Lock() if store.dialect == "sqlite" else contextlib.nullcontext()
        self._marks: list[tuple[int, asyncio.Future]] = []
        # (outbox id, outcome, whether its chat is known reachable (outbox.record_sent), future)
        self._records: list[tuple[int, outbox.Delivery, bool, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def mark(self, outbox_id: int) -> bool:
        """outbox.mark_sending for one row, committed before this returns."""
        future = self._future()
        self._marks.append((outbox_id, future))
        return await self._written(future)

    async def record(self, outbox_id: int, delivery: outbox.Delivery, *, reachable: bool = False) -> None:
        """outbox.record, committed before this returns (`reachable`: see outbox.record_sent)."""
        future = self._future()
        self._records.append((outbox_id, delivery, reachable, future))
        await self._written(future)

    async def idle(self) -> None:
        """Wait until every queued write is committed (or failed)."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    def _future(self) -> asyncio.Future:
        return asyncio.get_running_loop().create_future()

    async def _written(self, future: asyncio.Future):
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="outbox ledger")
        return await future

    async def _write_all(self) -> None:
        while self._marks or self._records:
            marks, self._marks = self._marks[:MAX_GROUP], self._marks[MAX_GROUP:]
            records, self._records = self._records[:MAX_GROUP], self._records[MAX_GROUP:]
            futures = [f for _, f in marks] + [f for *_, f in records]
            try:
                async with self.writing, self.store.unit_of_work() as session:
                    marked = await self._write(session, marks, records)
            except Exception as exc:  # noqa: BLE001 - handed to every waiting caller, none is lost
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for outbox_id, future in marks:
                if not future.done():
                    future.set_result(outbox_id in marked)
            for *_, future in records:
                if not future.done():
                    future.set_result(None)

    async def _write(self, session, marks, records) -> set[int]:
        now = self.clock()
        sent = {i: d.message_id for i, d, _, _ in records if d.outcome == "sent"}
        if sent:
            reachable = {i for i, d, known, _ in records if known and d.outcome == "sent"}
            await outbox.record_sent(session, message_ids=sent, now=now, reachable=reachable)
        for outbox_id, delivery, _, _ in records:
            if delivery.outcome != "sent":
                await outbox.record(session, outbox_id=outbox_id, delivery=delivery, now=now)
        if not marks:
            return set()
        return await outbox.mark_sending(session, outbox_ids=[i for i, _ in marks], now=now, lease=self.lease)
