"""Counting outbox rows by status, for tests' assertions."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.outbox import OutboxMessage


async def pending_count(session: AsyncSession) -> int:
    """Rows still waiting to be sent."""
    query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
    return (await session.execute(query)).scalar_one()


async def status_counts(session: AsyncSession) -> dict[str, int]:
    """Rows per status."""
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    return {status: count for status, count in (await session.execute(query)).all()}
