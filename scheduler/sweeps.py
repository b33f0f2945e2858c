"""The scheduler's periodic passes over the database; each is a loop of calls into desk/."""

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from desk import deadlines, notices
from desk.store import Store
from desk.tickets.flows import Desk
from scheduler.dispatcher import Dispatcher

log = logging.getLogger(__name__)

# Breaches first: a ticket found past due needs no reminder any more.
DEADLINE_STEPS = {
    "breached": deadlines.handle_breaches,
    "reminded": deadlines.remind_staff,
    "appointments": deadlines.remind_appointments,
    "reported": notices.report_failed_sends,
}


async def dispatch_outbox(dispatcher: Dispatcher) -> int:
    """Start sending every promised message that is due and not in someone else's hands."""
    before = dict(dispatcher.counts)
    claimed = await dispatcher.pump()
    done = {k: v - before.get(k, 0) for k, v in dispatcher.counts.items() if v != before.get(k, 0)}
    if claimed or done:
        log.info("outbox dispatch: claimed %d; since last pass %s", claimed, done)
    return claimed


async def sweep_deadlines(
    store: Store, desk: Desk, clock: Callable[[], datetime], dispatcher: Dispatcher | None = None
) -> Counter[str]:
    """One deadline sweep: every step in batches, each batch one transaction; then dispatch at once."""
    counts: Counter[str] = Counter()
    for name, step in DEADLINE_STEPS.items():
        while True:
            async with store.unit_of_work() as session:
                handled = await step(session=session, desk=desk, now=clock())
            counts[name] += handled
            if handled < deadlines.BATCH:
                break
    counts = +counts  # only what happened
    if counts:
        log.info("deadline sweep: %s", dict(counts))
        if dispatcher is not None:
            await dispatcher.pump()
    return counts
