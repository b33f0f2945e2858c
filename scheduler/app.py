"""APScheduler wiring: a few fixed sweeps, never a job per ticket."""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from infra.sealing import Sealer
from infra.database import Store
from conversation.citizen.flows import Desk
from conversation.staff.queue_summary import REFRESH_SECONDS, SummaryKeeper
from scheduler import sweeps
from scheduler.dispatcher import Dispatcher

PURGE_INTERVAL_SECONDS = 24 * 3600
# How long stopping waits for a pass under way before cutting it off.
STOP_GRACE_SECONDS = 30.0


@dataclass
class Jobs:
    """The APScheduler scheduler and the passes it is running right now."""

    scheduler: AsyncIOScheduler
    running: set[asyncio.Task] = field(default_factory=set)

    def start(self) -> None:
        """Run the passes from now on, the first ones at once."""
        self.scheduler.start()

    async def stop(self) -> None:
        """Start no new pass and let the ones under way finish.

        APScheduler's asyncio executor cancels running jobs on shutdown; a sweep cancelled inside a
        transaction can leave its SQLite connection's close waiting forever (aiosqlite), which hangs
        the event loop's own shutdown.
        """
        self.scheduler.pause()
        if self.running:
            await asyncio.wait(set(self.running), timeout=STOP_GRACE_SECONDS)
        self.scheduler.shutdown(wait=False)

    def tracked(self, sweep):
        """`sweep` as a job whose task is known while it runs."""

        async def job(*args):
            task = asyncio.current_task()
            self.running.add(task)
            try:
                return await sweep(*args)
            finally:
                self.running.discard(task)

        job.__name__ = sweep.__name__
        return job


def build_scheduler(
    *,
    store: Store,
    desk: Desk,
    dispatcher: Dispatcher,
    clock: Callable[[], datetime],
    dispatch_interval: float,
    sweep_interval: float,
    sealer: Sealer | None = None,
    summary: SummaryKeeper | None = None,
    others: Sequence[tuple[Desk, SummaryKeeper | None]] = (),
) -> Jobs:
    """The scheduler's jobs (not started): every sweep at its interval, the first time at once; `desk`'s, and
    each of `others`' (further organisations: their own sweeps, each scoped to its organisation)."""
    jobs = Jobs(AsyncIOScheduler(timezone="UTC"))
    # A slow pass must not pile up behind itself, and a late one is still worth running: the next
    # one picks up whatever is left, so passes never run twice at once and are never skipped as missed.
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None, "next_run_time": datetime.now(UTC)}

    def every(seconds: float, sweep, *args, suffix: str = "") -> None:
        jobs.scheduler.add_job(jobs.tracked(sweep), "interval", seconds=seconds, args=args,
                               id=sweep.__name__ + suffix, **common)

    # One dispatcher for every organisation: each row names the bot it leaves through.
    every(dispatch_interval, sweeps.dispatch_outbox, dispatcher)
    for n, (each, keeper) in enumerate([(desk, summary), *others]):
        # Organisation 1's jobs keep their ids; a further one's carry its organisation id.
        suffix = "" if n == 0 else f":{each.organisation_id}"
        every(sweep_interval, sweeps.sweep_deadlines, store, each, clock, dispatcher, suffix=suffix)
        # The charter's retention, once a day (and at start, so a process restarted daily still purges).
        every(PURGE_INTERVAL_SECONDS, sweeps.purge_expired, store, each, clock, suffix=suffix)
        if sealer is not None:  # without the key nobody can open a sealed channel, so there is nothing to push
            every(sweep_interval, sweeps.push_anonymous_answers, store, each, clock, sealer, dispatcher, suffix=suffix)
        if keeper is not None:  # the live queue summary in the staff chat (issue 18 digests)
            every(REFRESH_SECONDS, sweeps.refresh_queue_summary, keeper, suffix=suffix)
    return jobs
