"""The scheduler's periodic passes over the database; each is a loop of calls into desk/."""

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from desk.anonymous import traces
from conversation.citizen import anonymous, surveys
from conversation.promises import deadlines, notices
from desk.privacy import retention
from conversation.promises.weekly import weekly_report_due
from infra.sealing import Sealer
from infra.database import Store
from conversation.citizen.flows import Desk
from conversation.staff.queue_summary import SummaryKeeper
from scheduler.dispatcher import Dispatcher

log = logging.getLogger(__name__)



async def ask_after_appointments(*, session, desk: Desk, now: datetime) -> int:
    """Rating questions for confirmed appointments whose date has passed."""
    return len(await surveys.due_appointment_surveys(session=session, desk=desk, now=now))


async def push_weekly_reports(*, session, desk: Desk, now: datetime) -> int:
    """The officers' weekly report, once its moment in the charter has come."""
    return len(await weekly_report_due(session=session, desk=desk, now=now))


# Breaches first: a ticket found past due needs no reminder any more.
DEADLINE_STEPS = {
    "breached": deadlines.handle_breaches,
    "reminded": deadlines.remind_staff,
    "appointments": deadlines.remind_appointments,
    "reported": notices.report_failed_sends,
    "surveyed": ask_after_appointments,
    "weekly_reports": push_weekly_reports,
}


async def dispatch_outbox(dispatcher: Dispatcher) -> int:
    """Start sending every promised message that is due and not in someone else's hands."""
    before = dict(dispatcher.counts)
    claimed = await dispatcher.pump()
    done = {k: v - before.get(k, 0) for k, v in dispatcher.counts.items() if v != before.get(k, 0)}
    if claimed or done:
        log.info("outbox dispatch: claimed %d; since last pass %s", claimed, done)
    return claimed


async def refresh_queue_summary(keeper: SummaryKeeper) -> bool:
    """Edit the staff chat's live queue summary if its figures changed."""
    return await keeper.refresh()


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
            if handled < deadlines.BATCH or name == "weekly_reports":
                break
    counts = +counts  # only what happened
    if counts:
        log.info("deadline sweep: %s", dict(counts))
        if dispatcher is not None:
            await dispatcher.pump()
    return counts


async def push_anonymous_answers(
    store: Store, desk: Desk, clock: Callable[[], datetime], sealer: Sealer, dispatcher: Dispatcher | None = None
) -> int:
    """Answers of anonymous tickets to the sealed chats their senders chose; then delete what went."""
    pushed = 0
    while True:
        async with store.unit_of_work() as session:
            batch = await anonymous.push_sealed_answers(session=session, desk=desk, sealer=sealer, now=clock())
        pushed += len(batch)
        if not batch:
            break
    if pushed and dispatcher is not None:
        await dispatcher.pump()
    async with store.unit_of_work() as session:
        scrubbed = await traces.scrub_delivered(session=session)
    if pushed or scrubbed:
        # Counts only: these rows must leave no trace of who was told what.
        log.info("anonymous channel: %d pushed, %d delivered rows deleted", pushed, scrubbed)
    return pushed


async def purge_expired(store: Store, desk: Desk, clock: Callable[[], datetime]) -> Counter[str]:
    """The daily retention pass: every step of desk.privacy.retention in batches, one transaction each."""
    counts: Counter[str] = Counter()
    for name, step in retention.STEPS.items():
        while True:
            async with store.unit_of_work() as session:
                handled = await step(session=session, desk=desk, now=clock())
            counts[name] += handled
            if handled < retention.BATCH:
                break
    counts = +counts
    if counts:
        log.info("retention purge: %s", dict(counts))  # counts only: nothing about whom
    return counts
