"""The audit log: who did what to which ticket, and when. Rows are only ever added.

The migration puts a trigger on the table that rejects UPDATE and DELETE on SQLite and PostgreSQL,
so not even a bug (or a command) in this code base can rewrite history.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from desk.organisations.models import organisation_column
from infra.columns import Base, UTCDateTime

DONE = "done"
REFUSED = "refused"


class AuditEntry(Base):
    """One staff action, one display of personal data, or one refused attempt."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The organisation whose desk the action was tried at (a refused one included): its log, not a ticket's,
    # since an entry outlives its ticket and a refusal may name another organisation's ticket.
    organisation_id: Mapped[int] = organisation_column(index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The Telegram user id of a staff member who acted or tried to; None for the system itself and
    # for anyone else, who is named by actor_hash instead (a citizen's id is personal data).
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_hash: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(16))  # None: not staff
    action: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))  # done | refused
    # No foreign key: the log must outlive a ticket erased under the retention rule.
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)  # where the command came from
    detail: Mapped[str | None] = mapped_column(Text)  # never a citizen's personal data

    __table_args__ = (
        Index("ix_audit_log_ticket_id_id", "ticket_id", "id"),
        Index("ix_audit_log_actor_id_at", "actor_id", "at"),
        Index("ix_audit_log_actor_hash_at", "actor_hash", "at"),
    )


async def record(
    session: AsyncSession, *, organisation_id: int, action: str, actor_id: int | None, actor_role: str | None,
    now: datetime, ticket_id: int | None = None, chat_id: int | None = None, detail: str | None = None,
    outcome: str = DONE, actor_hash: str | None = None,
) -> None:
    """Append one row, in the caller's transaction (so it exists exactly when the action does)."""
    session.add(
        AuditEntry(
            organisation_id=organisation_id, at=now, actor_id=actor_id, actor_hash=actor_hash,
            actor_role=actor_role, action=action, outcome=outcome, ticket_id=ticket_id, chat_id=chat_id,
            detail=detail,
        )
    )
    await session.flush()


async def for_ticket(
    session: AsyncSession, *, organisation_id: int, ticket_id: int, limit: int = 30
) -> list[AuditEntry]:
    """The latest `limit` rows of the organisation's log about a ticket, oldest first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.organisation_id == organisation_id, AuditEntry.ticket_id == ticket_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(reversed((await session.scalars(query)).all()))


async def refused_since(
    session: AsyncSession, *, actor_id: int | None, actor_hash: str | None, chat_id: int | None, since: datetime
) -> bool:
    """Whether this person (staff by id, anyone else by hash) had an attempt refused in this chat since `since`."""
    who = AuditEntry.actor_id == actor_id if actor_id is not None else AuditEntry.actor_hash == actor_hash
    query = select(AuditEntry.id).where(
        who,
        AuditEntry.at >= since,
        AuditEntry.chat_id == chat_id,
        AuditEntry.outcome == REFUSED,
    )
    return (await session.scalar(query.limit(1))) is not None


async def count(session: AsyncSession, *, outcome: str | None = None, action: str | None = None) -> int:
    """How many rows there are (with this outcome / action, if given)."""
    query = select(func.count()).select_from(AuditEntry)
    if outcome is not None:
        query = query.where(AuditEntry.outcome == outcome)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return (await session.execute(query)).scalar_one()
