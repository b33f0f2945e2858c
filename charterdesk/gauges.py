"""Figures for monitoring, read at scrape time: open tickets, deadlines close or missed, backlogs."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import inbox
from desk.outbox import OutboxMessage
from desk.tickets.models import CATEGORY_LETTERS, Ticket

SOON = timedelta(hours=24)


@dataclass
class Gauges:
    """What /metrics reports from the database."""

    open_by_category: dict[str, int] = field(default_factory=dict)
    due_soon: int = 0
    overdue: int = 0
    breaches: int = 0
    outbox_backlog: int = 0
    outbox_oldest_age: float = 0.0
    intake_backlog: int = 0
    intake_oldest_age: float = 0.0


async def read(session: AsyncSession, *, now: datetime) -> Gauges:
    """Every gauge, in one transaction (each query is served by an index or a small table)."""
    by_category = dict(
        (await session.execute(
            select(Ticket.category, func.count()).where(Ticket.status == "open").group_by(Ticket.category)
        )).all()
    )
    due_soon = await _count(session, Ticket.status == "open", Ticket.due_at >= now, Ticket.due_at < now + SOON)
    overdue = await _count(session, Ticket.status == "open", Ticket.due_at < now)
    breaches = await _count(session, Ticket.breached_at.is_not(None))
    backlog, oldest = (
        await session.execute(
            select(func.count(), func.min(OutboxMessage.not_before)).where(OutboxMessage.status == "pending")
        )
    ).one()
    intake_backlog, intake_age = await inbox.backlog(session, now=now)
    return Gauges(
        open_by_category={category: by_category.get(category, 0) for category in CATEGORY_LETTERS},
        due_soon=due_soon,
        overdue=overdue,
        breaches=breaches,
        outbox_backlog=backlog,
        # A row scheduled for later (quiet hours, back-off) is not late until its time has come.
        outbox_oldest_age=0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0),
        intake_backlog=intake_backlog,
        intake_oldest_age=intake_age,
    )


async def _count(session: AsyncSession, *conditions) -> int:
    return (await session.execute(select(func.count()).select_from(Ticket).where(*conditions))).scalar_one()
