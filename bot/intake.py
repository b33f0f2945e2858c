"""From the intake table to the handlers: stored updates are handled in order, then marked done.

Webhook and polling both only store updates (bot/inbox.py) and wake the worker; the worker reads
what is waiting, oldest first, and feeds it to the Application through its update processor (which
keeps each chat's updates in order). An update is marked done only after its handling ended, so a
crash at any point leaves it waiting for the next start; handling one twice is harmless, because
inbound messages are idempotent (same chat and message id changes nothing, and an answer is keyed by
the message it answers, so a citizen never gets a second acknowledgement).

In webhook mode any number of bot processes (replicas behind one load balancer) share the table:
each worker claims what it takes with a lease under its own replica id (bot/inbox.py keeps a chat's
updates with one replica at a time), renews the lease while handling runs, marks done only its own
claims, and gives back what it did not finish when it stops. A replica that dies leaves its claims
to the others once the lease runs out. Updates stored by another replica are seen at the idle look,
or sooner when the replica holding their chat finishes the chat's earlier update. Polling stays one
process per token (Telegram allows one poller), but its worker claims the same way.
"""

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot import inbox, metrics
from bot.deps import KEY
from desk import outbox
from desk.organisations.models import FIRST_ORGANISATION
from infra.database import Store

log = logging.getLogger(__name__)

# Updates being handled at once; the update processor's own limit and per-chat order apply inside this.
MAX_IN_FLIGHT = 64
# How often the worker looks at the table unwoken (updates stored by a run that stopped too soon).
IDLE_LOOK_SECONDS = 2.0
# How long stopping waits for handling under way; what is cut off stays waiting for the next start.
DRAIN_SECONDS = 15.0
RETRY_SECONDS = (0.5, 1, 2, 5, 10, 30)
# Updates the poller has already parsed, kept for the worker (at most this many; older ones are parsed again).
PARSED_KEPT = 1000
PURGE_EVERY_SECONDS = 3600.0


def replica_id() -> str:
    """This process's name on its claims: host, pid and a random part (a restarted pid is another replica)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def dead_on_this_host(claimant: str, me: str) -> bool:
    """A claimant that was an earlier run on this host (a container keeps its host name across restarts):
    its process is gone, or its pid is ours now (containers start their process under the same pid)."""
    parts, mine = claimant.rsplit(":", 2), me.rsplit(":", 2)
    if claimant == me or len(parts) != 3 or parts[0] != mine[0] or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


class IntakeWorker:
    """Handles stored updates, each chat's in order, and marks them done."""

    def __init__(
        self,
        application: Application,
        store: Store,
        *,
        clock: Callable[[], datetime],
        max_in_flight: int = MAX_IN_FLIGHT,
        lease: timedelta = inbox.LEASE,
        claimant: str | None = None,
        organisation_id: int = FIRST_ORGANISATION,
    ) -> None:
        self.application = application
        # The organisation whose bot `application` is: it takes that bot's stored updates only.
        self.organisation_id = organisation_id
        self.store = store
        self.clock = clock
        self.max_in_flight = max_in_flight
        self.lease = lease
        self.claimant = claimant or replica_id()
        # Claimed and not yet recorded as done: never taken again meanwhile, and its lease kept alive.
        self._in_flight: set[int] = set()
        self._renewed_at: datetime | None = None
        self._finished: list[int] = []
        self._handling: set[asyncio.Task] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._last_purge: datetime | None = None
        self._looked_for_takeovers: datetime | None = None
        # update_id -> the Update the poller parsed from getUpdates (keep_parsed, from DurablePoller).
        self._parsed: dict[int, Update] = {}

    def start(self) -> None:
        """Begin with whatever an earlier run left waiting."""
        self._task = asyncio.create_task(self._run(), name="intake worker")

    def wake(self) -> None:
        """Something was stored: look now."""
        self._wake.set()

    def keep_parsed(self, updates: list[Update]) -> None:
        """Updates just stored, as PTB parsed them: their handling need not parse their stored JSON again
        (2-3% of a polling bot's CPU). Only an optimisation: an update not kept here is parsed as before."""
        for update in updates:
            self._parsed[update.update_id] = update
        while len(self._parsed) > PARSED_KEPT:
            del self._parsed[next(iter(self._parsed))]

    async def stop(self, *, grace: float = DRAIN_SECONDS) -> None:
        """Take nothing new, let handling under way finish (up to `grace` s), record what finished."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
        claimed = set(self._in_flight)  # a cut-off handler forgets its id; the claim is still to give back
        if self._handling:
            _, cut_off = await asyncio.wait(set(self._handling), timeout=grace)
            for task in cut_off:
                task.cancel()
            await asyncio.gather(*cut_off, return_exceptions=True)
            if cut_off:
                log.warning("intake: %d updates cut off by shutdown; they are handled at the next start", len(cut_off))
        await self._record_finished()
        await self._release_unfinished(claimed | self._in_flight)

    async def _run(self) -> None:
        failures = 0
        recovered = False
        while not self._stopping:
            try:
                if not recovered:
                    await self._take_back_from_an_earlier_run()
                    recovered = True
                await self._purge_now_and_then()
                await self._renew_now_and_then()
                await self._take_over_now_and_then()
                await self._take()
                failures = 0
            except Exception:
                delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                log.warning("intake: reading stored updates failed; again in %s s", delay, exc_info=True)
                await self._pause(delay)
                continue
            await self._pause(IDLE_LOOK_SECONDS)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def _take(self) -> None:
        while not self._stopping:
            # What finished is marked done in the transaction that claims the next updates: one commit per
            # round instead of two (handlers finish in groups, each finish wakes this loop).
            room = self.max_in_flight - len(self._in_flight) + len(self._finished)
            if room <= 0:
                return
            finished, self._finished = self._finished, []
            try:
                async with self.store.unit_of_work() as session:
                    marked = await inbox.mark_done(session, finished, now=self.clock(), claimant=self.claimant,
                                                   organisation_id=self.organisation_id)
                    rows = await inbox.claim(
                        session, claimant=self.claimant, limit=room, now=self.clock(), lease=self.lease,
                        organisation_id=self.organisation_id,
                    )
            except Exception:
                self._finished.extend(finished)  # still in flight, so nobody takes them again meanwhile
                raise
            self._done_with(finished, marked)
            # A claim of ours that lapsed and came back to us is still being handled here.
            rows = [row for row in rows if row.update_id not in self._in_flight]
            for row in rows:
                self._in_flight.add(row.update_id)
                task = asyncio.create_task(self._handle(row), name=f"update {row.update_id}")
                self._handling.add(task)
                task.add_done_callback(self._handling.discard)
            if len(rows) < room:
                return

    async def _take_over_now_and_then(self) -> None:
        """Claim updates whose chat's previous claimant died leaving an answer unsent
        (inbox.claim_taken_over): each is handled only after that answer went, so the chat's answers keep
        their order. Looked for at most every IDLE_LOOK_SECONDS: a takeover comes a lease after a crash."""
        now = self.clock()
        room = self.max_in_flight - len(self._in_flight)
        last = self._looked_for_takeovers
        if room <= 0 or (last is not None and (now - last).total_seconds() < IDLE_LOOK_SECONDS):
            return
        self._looked_for_takeovers = now
        async with self.store.unit_of_work() as session:
            rows = await inbox.claim_taken_over(
                session, claimant=self.claimant, limit=room, now=now, lease=self.lease,
                organisation_id=self.organisation_id,
            )
        for row in rows:
            update_id = row.waiting.update_id
            if update_id in self._in_flight:
                continue
            self._in_flight.add(update_id)
            task = asyncio.create_task(self._handle_taken_over(row), name=f"update {update_id} taken over")
            self._handling.add(task)
            task.add_done_callback(self._handling.discard)

    async def _handle_taken_over(self, row: inbox.TakenOver) -> None:
        try:
            async with self.store.unit_of_work() as session:
                owed = await outbox.take_over_chat(
                    session, chat_hash=row.chat_hash, written_until=row.old_claim_ended, now=self.clock(),
                    lease=self.lease, organisation_id=self.organisation_id,
                )
            if owed:
                log.info("intake: update %s taken over; %d answers its chat was owed go first",
                         row.waiting.update_id, len(owed))
                await self.application.bot_data[KEY].deliverer.deliver(owed)
        except asyncio.CancelledError:
            self._in_flight.discard(row.waiting.update_id)
            raise
        except Exception:  # noqa: BLE001 - the answers stay pending for the dispatcher; the update still goes
            log.exception("intake: sending the answers owed before update %s failed", row.waiting.update_id)
        await self._handle(row.waiting)

    async def _handle(self, row: inbox.Waiting) -> None:
        outcome = "handled"
        try:
            parsed = self._parsed.pop(row.update_id, None)
            if row.data is None:
                outcome = "unreadable"
                log.error("intake: update %s does not decrypt with the data keys; dropped", row.update_id)
            else:
                update = parsed or Update.de_json(row.data, self.application.bot)
                # The same path as PTB's own fetcher: the processor keeps each chat's updates in order.
                await self.application.update_processor.process_update(
                    update, self.application.process_update(update)
                )
        except asyncio.CancelledError:
            self._in_flight.discard(row.update_id)
            raise
        except Exception:
            # A handler's own errors go to the error handler; this is an update PTB cannot read.
            outcome = "failed"
            log.exception("intake: update %s could not be handled; dropped", row.update_id)
        metrics.UPDATES_HANDLED.labels(outcome).inc()
        metrics.INTAKE_LATENCY.observe(max((self.clock() - row.received_at).total_seconds(), 0.0))
        self._finished.append(row.update_id)
        self._wake.set()

    async def _record_finished(self) -> None:
        if not self._finished:
            return
        finished, self._finished = self._finished, []
        try:
            async with self.store.unit_of_work() as session:
                marked = await inbox.mark_done(session, finished, now=self.clock(), claimant=self.claimant,
                                               organisation_id=self.organisation_id)
        except Exception:
            self._finished.extend(finished)  # still in flight, so nobody takes them again meanwhile
            raise
        self._done_with(finished, marked)

    def _done_with(self, finished: list[int], marked: set[int]) -> None:
        self._in_flight.difference_update(finished)
        if len(marked) < len(finished):
            # Our lease lapsed and another replica took these over; it records them (handling is idempotent).
            log.warning("intake: %d updates were taken over by another replica before we finished", len(finished) - len(marked))

    async def _renew_now_and_then(self) -> None:
        """Keep the leases of what is being handled alive: renewed at a third of the lease, so one
        missed renewal (a slow database) does not yet let another replica take them over."""
        now = self.clock()
        if not self._in_flight or (self._renewed_at is not None and now - self._renewed_at < self.lease / 3):
            return
        held = set(self._in_flight)
        async with self.store.unit_of_work() as session:
            ours = await inbox.renew(session, held, claimant=self.claimant, now=now, lease=self.lease,
                                     organisation_id=self.organisation_id)
        self._renewed_at = now
        lost = held - ours - set(self._finished)
        if lost:
            log.warning("intake: %d claims lapsed and were taken over by another replica", len(lost))

    async def _release_unfinished(self, claimed: set[int]) -> None:
        # Those recorded done are left as they are by the release itself.
        unfinished = claimed - set(self._finished)
        if not unfinished:
            return
        try:
            async with self.store.unit_of_work() as session:
                await inbox.release(session, unfinished, claimant=self.claimant, now=self.clock(),
                                    organisation_id=self.organisation_id)
        except Exception:  # noqa: BLE001 - the lease runs out by itself; stopping goes on
            log.warning("intake: giving back %d unfinished claims failed; they wait out the lease", len(unfinished))

    async def _take_back_from_an_earlier_run(self) -> None:
        """A run on this host killed before it finished: its claims are free at once, not after the lease
        (a lone bot restarted after a crash picks up where it stopped, as before replicas)."""
        async with self.store.unit_of_work() as session:
            dead = {c for c in await inbox.claimants(session) if dead_on_this_host(c, self.claimant)}
            freed = await inbox.release_all(session, claimants=dead, now=self.clock())
        if freed:
            log.info("intake: %d updates an earlier run on this host had claimed are taken up again", freed)

    async def _purge_now_and_then(self) -> None:
        now = self.clock()
        if self._last_purge is not None and (now - self._last_purge).total_seconds() < PURGE_EVERY_SECONDS:
            return
        async with self.store.unit_of_work() as session:
            await inbox.purge_done(session, now=now)
        self._last_purge = now


async def store_updates(
    store: Store, updates: list[dict], *, source: str, clock: Callable[[], datetime],
    organisation_id: int = FIRST_ORGANISATION,
) -> int:
    """Store raw updates of an organisation's bot in one transaction and count them; returns how many were new."""
    async with store.unit_of_work() as session:
        new = await inbox.store(session, updates, now=clock(), organisation_id=organisation_id)
    metrics.UPDATES_RECEIVED.labels(source).inc(new)
    if len(updates) > new:
        metrics.UPDATES_REPEATED.labels(source).inc(len(updates) - new)
    return new


class DurablePoller:
    """getUpdates that confirms an offset only after the updates below it are stored."""

    def __init__(
        self,
        application: Application,
        store: Store,
        worker: IntakeWorker,
        *,
        clock: Callable[[], datetime],
        timeout: float = 10,
    ) -> None:
        self.bot = application.bot
        self.store = store
        self.worker = worker
        self.clock = clock
        self.timeout = timeout
        self._offset: int | None = None
        self._stopping = False
        self._waiting_on_telegram = False
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Leave webhook mode if an earlier run was in it (getUpdates is refused otherwise), then poll."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.create_task(self._run(), name="intake poller")

    async def stop(self) -> None:
        """Stop asking; updates already stored stay stored, those not stored are asked for again next start."""
        self._stopping = True
        if self._task is None:
            return
        if self._waiting_on_telegram:
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self._offset is not None:
            # Confirm what is stored, so the next run is not handed it again (it would be ignored anyway).
            with contextlib.suppress(TelegramError):
                await self.bot.get_updates(offset=self._offset, timeout=0, limit=1)

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                self._waiting_on_telegram = True
                try:
                    updates = await self.bot.get_updates(offset=self._offset, timeout=self.timeout)
                finally:
                    self._waiting_on_telegram = False
                if updates:
                    await store_updates(self.store, [u.to_dict() for u in updates], source="polling", clock=self.clock,
                                        organisation_id=self.worker.organisation_id)
                    # Only now may Telegram forget them: the next getUpdates confirms this offset.
                    self._offset = updates[-1].update_id + 1
                    self.worker.keep_parsed(updates)
                    self.worker.wake()
                failures = 0
            except InvalidToken:
                log.error("intake: Telegram refuses the bot token; polling stopped")
                return
            except Exception as exc:  # noqa: BLE001 - whatever failed, the offset stays and the batch comes again
                delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                log.warning("intake: polling failed (%s); again in %s s", type(exc).__name__, delay)
                await asyncio.sleep(delay)
