"""The staff chat's live queue summary in figures: new, open and due-soon tickets, and the latest one."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.tickets.enums import TicketStatus
from desk.tickets.models import Ticket


@dataclass(frozen=True)
class QueueCounts:
    """Open tickets nobody has taken, all open tickets, those due within `soon`, and the newest ticket."""

    new: int
    open: int
    due_soon: int
    latest: Ticket | None


async def count(
    session: AsyncSession, *, organisation_id: int, now: datetime, soon: timedelta
) -> QueueCounts:
    """The organisation's figures as of `now`, in one query over its open tickets and one for its newest ticket."""
    is_new = case((Ticket.assigned_to.is_(None), 1), else_=0)
    is_soon = case((Ticket.due_at <= now + soon, 1), else_=0)
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(is_new), 0), func.coalesce(func.sum(is_soon), 0)).where(
                Ticket.organisation_id == organisation_id, Ticket.status == TicketStatus.OPEN
            )
        )
    ).one()
    latest = (
        await session.scalars(
            select(Ticket)
            .where(Ticket.organisation_id == organisation_id)
            .order_by(Ticket.id.desc())
            .limit(1)
        )
    ).first()
    return QueueCounts(new=int(row[1]), open=int(row[0]), due_soon=int(row[2]), latest=latest)
