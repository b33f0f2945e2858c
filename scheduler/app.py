"""APScheduler wiring: a few fixed sweeps, never a job per ticket."""

from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from desk.outbox import Transport
from desk.store import Store
from scheduler import sweeps


def build_scheduler(
    *, store: Store, transport: Transport, clock: Callable[[], datetime], dispatch_interval: float
) -> AsyncIOScheduler:
    """A scheduler (not started) running every sweep at its interval."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        sweeps.dispatch_outbox,
        "interval",
        seconds=dispatch_interval,
        args=(store, transport, clock),
        id="dispatch_outbox",
        # A slow pass must not pile up behind itself; the next one picks up what is left.
        max_instances=1,
        coalesce=True,
    )
    return scheduler
