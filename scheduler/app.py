"""APScheduler wiring: a few fixed sweeps, never a job per ticket."""

from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from desk.store import Store
from desk.tickets.flows import Desk
from scheduler import sweeps
from scheduler.dispatcher import Dispatcher


def build_scheduler(
    *,
    store: Store,
    desk: Desk,
    dispatcher: Dispatcher,
    clock: Callable[[], datetime],
    dispatch_interval: float,
    sweep_interval: float,
) -> AsyncIOScheduler:
    """A scheduler (not started) running every sweep at its interval, the first time at once."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    # A slow pass must not pile up behind itself, and a late one is still worth running: the next
    # one picks up whatever is left, so passes never run twice at once and are never skipped as missed.
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None, "next_run_time": datetime.now(UTC)}
    scheduler.add_job(
        sweeps.sweep_deadlines,
        "interval",
        seconds=sweep_interval,
        args=(store, desk, clock, dispatcher),
        id="sweep_deadlines",
        **common,
    )
    scheduler.add_job(
        sweeps.dispatch_outbox, "interval", seconds=dispatch_interval, args=(dispatcher,), id="dispatch_outbox", **common
    )
    return scheduler
