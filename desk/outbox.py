"""Promised outgoing messages: enqueue in the caller's transaction, claim with a lease, record the outcome."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from desk.base import Base, UTCDateTime
from desk.store import Store, insert_ignoring_conflicts

# A claim protects a row from other dispatchers this long; past it the row is fair game again.
LEASE = timedelta(seconds=60)
# Back-off for transient failures: 2, 4, 8 ... seconds, capped.
MAX_BACKOFF = timedelta(minutes=10)


class OutboxMessage(Base):
    """One message we promised to send, delivered at least once."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    reply_markup: Mapped[dict | None] = mapped_column(JSON)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # pending -> sent | undeliverable | unknown (the request left but no answer came back)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The dispatcher's query: pending rows whose time has come.
    __table_args__ = (Index("ix_outbox_status_not_before", "status", "not_before"),)


@dataclass(frozen=True)
class Outgoing:
    """What a transport needs to send one outbox row."""

    id: int
    chat_id: int
    text: str
    reply_markup: dict | None


@dataclass(frozen=True)
class Delivery:
    """How one send attempt ended, as the transport classified it."""

    outcome: Literal["sent", "retry", "undeliverable", "unknown"]
    message_id: int | None = None
    retry_after: float | None = None
    reason: str = ""


class Transport(Protocol):
    """Something that can put an outbox row in front of a person (Telegram, in production)."""

    async def send(self, message: Outgoing) -> Delivery: ...


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    chat_id: int,
    text: str,
    now: datetime,
    reply_markup: dict | None = None,
    ticket_id: int | None = None,
    not_before: datetime | None = None,
    claim: bool = False,
) -> Outgoing | None:
    """Add a promised message; None if one with this key exists. `claim` leases it to the caller."""
    values = dict(
        key=key,
        chat_id=chat_id,
        text=text,
        reply_markup=reply_markup,
        ticket_id=ticket_id,
        status="pending",
        not_before=not_before or now,
        lease_until=now + LEASE if claim else None,
        attempts=0,
        created_at=now,
    )
    statement = insert_ignoring_conflicts(session, OutboxMessage, ["key"]).values(**values)
    row_id = (await session.execute(statement.returning(OutboxMessage.id))).scalar_one_or_none()
    if row_id is None:
        return None
    return Outgoing(id=row_id, chat_id=chat_id, text=text, reply_markup=reply_markup)


async def claim_due(session: AsyncSession, *, now: datetime, limit: int = 100) -> list[Outgoing]:
    """Lease up to `limit` pending rows that are due and not leased by someone else."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.not_before <= now,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        # On PostgreSQL several dispatchers share the work without waiting on each other;
        # SQLite ignores this and serialises writers anyway.
        .with_for_update(skip_locked=True)
    )
    rows = (await session.scalars(query)).all()
    for row in rows:
        row.lease_until = now + LEASE
    return [Outgoing(r.id, r.chat_id, r.text, r.reply_markup) for r in rows]


async def record(session: AsyncSession, *, outbox_id: int, delivery: Delivery, now: datetime) -> None:
    """Store the outcome of one send attempt and decide when (or whether) to try again."""
    row = await session.get(OutboxMessage, outbox_id)
    if row is None:
        return
    row.attempts += 1
    row.lease_until = None
    row.last_error = delivery.reason or None
    if delivery.outcome == "sent":
        row.status, row.sent_at, row.telegram_message_id = "sent", now, delivery.message_id
    elif delivery.outcome == "retry":
        wait = timedelta(seconds=delivery.retry_after) if delivery.retry_after else backoff(row.attempts)
        row.not_before = now + wait
    else:
        row.status = delivery.outcome


def backoff(attempts: int) -> timedelta:
    """Exponential wait after the given number of failed attempts."""
    return timedelta(seconds=min(2 ** min(attempts, 30), MAX_BACKOFF.total_seconds()))


async def pending_count(session: AsyncSession) -> int:
    """Rows still waiting to be sent (for health checks and tests)."""
    query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
    return (await session.execute(query)).scalar_one()


async def release(session: AsyncSession, outbox_ids: Sequence[int]) -> None:
    """Give leased rows back, e.g. on shutdown, so another dispatcher may send them at once."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(outbox_ids)).values(lease_until=None)
    )


async def deliver(store: Store, transport: Transport, messages: Sequence[Outgoing], *, clock) -> dict[str, int]:
    """Send leased rows one by one, recording each outcome in its own transaction; counts per outcome."""
    counts: dict[str, int] = {}
    for message in messages:
        delivery = await transport.send(message)
        async with store.unit_of_work() as session:
            await record(session, outbox_id=message.id, delivery=delivery, now=clock())
        counts[delivery.outcome] = counts.get(delivery.outcome, 0) + 1
    return counts


async def dispatch_due(store: Store, transport: Transport, *, clock, limit: int = 100) -> dict[str, int]:
    """One dispatcher pass: claim what is due, send it, record outcomes."""
    async with store.unit_of_work() as session:
        messages = await claim_due(session, now=clock(), limit=limit)
    return await deliver(store, transport, messages, clock=clock)
