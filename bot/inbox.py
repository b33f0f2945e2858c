"""Durable intake: every Telegram update is stored (encrypted) before Telegram is told it arrived.

A row is written in the transaction that acknowledges the update (webhook 200, polling offset), then
processed from here; a crash after the acknowledgement loses nothing. The update id is the key, so
an update delivered twice is stored once. Once processed, the payload (personal data) is dropped;
the bare id is kept a day so a late redelivery is still recognised, then purged.
"""

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Index, Text, delete, func, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from infra.columns import Base, UTCDateTime
from infra.encrypted import EncryptedText
from infra.keyring import KeyringError
from infra.database import insert_ignoring_conflicts

# Telegram keeps an unconfirmed update about a day; a redelivery later than that cannot happen.
KEEP_DONE = timedelta(days=1)


class IntakeUpdate(Base):
    """One raw update as Telegram sent it, encrypted, until it has been handled."""

    __tablename__ = "intake_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # The update's JSON, encrypted; None once handled (it holds the message text and the sender's identity).
    payload: Mapped[str | None] = mapped_column(EncryptedText("intake_updates.payload"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The worker's question, "what is waiting, oldest first", and the purge's, "what is long done".
    __table_args__ = (Index("ix_intake_updates_done_at_update_id", "done_at", "update_id"),)


@dataclass(frozen=True)
class Waiting:
    """A stored update not yet handled."""

    update_id: int
    data: dict | None  # None when the payload does not open (a changed key): nothing to handle
    received_at: datetime


async def store(session: AsyncSession, updates: Sequence[dict], *, now: datetime) -> int:
    """Store raw updates (each a dict with an int update_id); returns how many were new."""
    if not updates:
        return 0
    rows = [
        {
            "update_id": update["update_id"],
            "payload": json.dumps(update, ensure_ascii=False, separators=(",", ":")),
            "received_at": now,
        }
        for update in updates
    ]
    statement = insert_ignoring_conflicts(session, IntakeUpdate, ["update_id"]).values(rows)
    return len((await session.execute(statement.returning(IntakeUpdate.update_id))).all())


async def waiting(session: AsyncSession, *, limit: int, skip: Collection[int] = ()) -> list[Waiting]:
    """Unhandled updates in update-id order, leaving out those in `skip` (already being handled)."""
    # The ciphertext is read as is and opened row by row: one row that does not open must not stop the rest.
    query = (
        select(IntakeUpdate.update_id, type_coerce(IntakeUpdate.payload, Text), IntakeUpdate.received_at)
        .where(IntakeUpdate.done_at.is_(None))
        .order_by(IntakeUpdate.update_id)
        .limit(limit)
    )
    if skip:
        query = query.where(IntakeUpdate.update_id.not_in(list(skip)))
    dialect = session.get_bind().dialect
    return [
        Waiting(update_id, _open(payload, dialect), received_at)
        for update_id, payload, received_at in (await session.execute(query)).all()
    ]


async def mark_done(session: AsyncSession, update_ids: Collection[int], *, now: datetime) -> None:
    """Handled: drop the payloads, keep the ids for recognising redeliveries."""
    if update_ids:
        table = IntakeUpdate.__table__  # a Core update: the ORM's session sync would compare the encrypted column
        await session.execute(
            update(table).where(table.c.update_id.in_(list(update_ids))).values(payload=None, done_at=now)
        )


async def purge_done(session: AsyncSession, *, now: datetime, keep: timedelta = KEEP_DONE) -> int:
    """Forget ids handled longer ago than `keep`; returns how many."""
    result = await session.execute(
        delete(IntakeUpdate).where(IntakeUpdate.done_at.is_not(None), IntakeUpdate.done_at < now - keep)
    )
    return result.rowcount or 0


async def backlog(session: AsyncSession, *, now: datetime) -> tuple[int, float]:
    """Updates waiting to be handled, and the age in seconds of the oldest (0 when none)."""
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(IntakeUpdate.received_at)).where(IntakeUpdate.done_at.is_(None))
        )
    ).one()
    return count, 0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0)


def _open(ciphertext: str | None, dialect) -> dict | None:
    if ciphertext is None:
        return None
    try:
        return json.loads(IntakeUpdate.payload.type.process_result_value(ciphertext, dialect))
    except (KeyringError, ValueError):  # a key that is gone, an altered value: it cannot be handled
        return None
