"""Which tickets are waiting for staff: the query behind /queue."""

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.charter.calendar import BusinessCalendar
from desk.charter.model import CATEGORIES
from desk.tickets.enums import TicketStatus
from desk.tickets.models import Ticket

FILTERS = ("mine", "overdue", "due-today", *CATEGORIES)


async def waiting(
    *, session: AsyncSession, organisation_id: int, which: str | None, staff_id: int,
    calendar: BusinessCalendar, now: datetime, limit: int,
) -> tuple[list[Ticket], int]:
    """The organisation's open tickets matching `which` (None: all), soonest due first: up to `limit`, and how many."""
    conditions = [Ticket.organisation_id == organisation_id, Ticket.status == TicketStatus.OPEN]
    if which == "mine":
        conditions.append(Ticket.assigned_to == staff_id)
    elif which == "overdue":
        conditions.append(Ticket.due_at < now)
    elif which == "due-today":
        today = calendar.local_date(now)
        conditions.append(Ticket.due_at < calendar.wall_time(today + timedelta(days=1), 0))
        conditions.append(Ticket.due_at >= calendar.wall_time(today, 0))
    elif which is not None:
        conditions.append(Ticket.category == which)
    query = select(Ticket).where(*conditions).order_by(Ticket.due_at, Ticket.id).limit(limit)
    total = select(func.count()).select_from(Ticket).where(*conditions)
    return list((await session.scalars(query)).all()), (await session.execute(total)).scalar_one()
