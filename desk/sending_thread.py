"""Mark → send → record on a thread with its own event loop, database engine and HTTP client.

From the moment a row's "sending" mark is committed, a crash leaves it flagged unknown and never
sent again (desk/outbox.py), so its request must leave right after the commit. On the process's main
loop it leaves only after several loop turns (the commit's answer, the waiting send, the HTTP client's
own awaits), each as long as whatever handler step runs meanwhile: under a burst, tens of
milliseconds, in which a SIGKILL loses acknowledgements. Here the loop does nothing but sends, so the
request follows the commit within microseconds (the GIL is switched at least every 5 ms).
"""

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta

from desk import outbox
from desk.delivery_ledger import Ledger
from infra.database import Store

log = logging.getLogger(__name__)

# Seconds to wait for the thread's engine and HTTP client to open or close.
SETTLE_SECONDS = 60


class SendingThread:
    """A thread that runs mark → send → record for the rows `takes` accepts; start() before use, close() after."""

    def __init__(
        self,
        open_store: Callable[[], Store],
        open_transport: Callable[[], AbstractAsyncContextManager[outbox.Transport]],
        *,
        clock: Callable[[], datetime],
        lease: timedelta = outbox.LEASE,
        takes: Callable[[outbox.Outgoing], bool] = lambda message: True,
    ) -> None:
        self._open_store, self._open_transport = open_store, open_transport
        self.clock, self.lease, self.takes = clock, lease, takes
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ledger: Ledger | None = None
        self._transport: outbox.Transport | None = None
        self._closing: asyncio.Event | None = None

    async def start(self) -> None:
        """Open the thread's engine and transport; raises what opening them raised."""
        ready: Future = Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="outbox sender", daemon=True)
        self._thread.start()
        await asyncio.wait_for(asyncio.wrap_future(ready), SETTLE_SECONDS)

    async def send(self, message: outbox.Outgoing, *, reachable: bool = False) -> outbox.Delivery | None:
        """Mark the row, send it, record the outcome; None if another sender holds it (see Ledger.mark)."""
        if self._loop is None:
            raise RuntimeError("the sending thread is not running")
        return await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(self._send(message, reachable), self._loop)
        )

    async def close(self) -> None:
        """Let the sends under way finish, close the engine and the transport, end the thread."""
        loop, self._loop = self._loop, None
        if loop is None or self._thread is None:
            return
        if self._thread.is_alive():  # a thread that failed has closed its loop already
            loop.call_soon_threadsafe(self._closing.set)
            await asyncio.to_thread(self._thread.join, SETTLE_SECONDS)

    async def _send(self, message: outbox.Outgoing, reachable: bool) -> outbox.Delivery | None:
        if not await self._ledger.mark(message.id):
            return None
        delivery = await self._transport.send(message)
        await self._ledger.record(message.id, delivery, reachable=reachable)
        return delivery

    def _run(self, ready: Future) -> None:
        try:
            asyncio.run(self._serve(ready))
        except Exception as exc:  # noqa: BLE001 - told to the starter, or logged if it was already told
            if not ready.done():
                ready.set_exception(exc)
            else:
                log.exception("outbox sender thread failed")

    async def _serve(self, ready: Future) -> None:
        async with self._opened() as (ledger, transport):
            self._ledger, self._transport = ledger, transport
            self._closing = asyncio.Event()
            self._loop = asyncio.get_running_loop()
            ready.set_result(None)
            await self._closing.wait()
            # Sends handed over before close() was called run to their end (their callers await them).
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            await asyncio.gather(*others, return_exceptions=True)
            await ledger.idle()

    @contextlib.asynccontextmanager
    async def _opened(self) -> AsyncIterator[tuple[Ledger, outbox.Transport]]:
        store = self._open_store()
        try:
            async with self._open_transport() as transport:
                yield Ledger(store, clock=self.clock, lease=self.lease), transport
        finally:
            await store.dispose()
