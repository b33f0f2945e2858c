"""Ticket numbers: each organisation counts its own from 1001, gap-free, safe under concurrent openings."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from desk.organisations.models import Organisation


async def allocate(*, session: AsyncSession, organisation_id: int, count: int = 1) -> int:
    """Take `count` consecutive numbers of the organisation's tickets; the first of them.

    One UPDATE ... RETURNING on the organisation's row: on PostgreSQL it locks the row until the
    transaction ends, so a concurrent opening waits for this one's commit (or rollback, which gives the
    numbers back) and reads the counter after it; no two tickets share a number and none is skipped.
    SQLite has one writer at a time, so the same statement is safe there too."""
    if count < 1:
        raise ValueError(f"cannot allocate {count} ticket numbers")
    statement = (
        update(Organisation)
        .where(Organisation.id == organisation_id)
        .values(next_ticket_number=Organisation.next_ticket_number + count)
        .returning(Organisation.next_ticket_number)
    )
    following = (await session.execute(statement, execution_options={"synchronize_session": False})).scalar_one_or_none()
    if following is None:
        raise LookupError(f"no organisation {organisation_id}")
    return following - count
