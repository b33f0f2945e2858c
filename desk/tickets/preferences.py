"""The appointment time a citizen chose, written with a conditional update so a double press counts once."""

from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from desk.tickets.models import Ticket


async def prefer(*, session: AsyncSession, ticket: Ticket, start: datetime) -> bool:
    """Note `start` as the ticket's preferred time; False if it was noted already.

    One UPDATE whose condition is re-read under the row lock: of two presses of the same slot at once
    (PostgreSQL runs them concurrently; SQLite one after the other), only one changes the row."""
    statement = (
        update(Ticket)
        .where(Ticket.id == ticket.id, or_(Ticket.preferred_at.is_(None), Ticket.preferred_at != start))
        .values(preferred_at=start)
        .execution_options(synchronize_session="fetch")
    )
    return (await session.execute(statement)).rowcount == 1
