"""Durable intake: every Telegram update is stored (encrypted) before Telegram is told it arrived.

A row is written in the transaction that acknowledges the update (webhook 200, polling offset), then
processed from here; a crash after the acknowledgement loses nothing. The update id is the key, so
an update delivered twice is stored once. Once processed, the payload (personal data) is dropped;
the bare id is kept a day so a late redelivery is still recognised, then purged.

Any number of bot replicas share the table (bot/intake.py's workers, one per `charterdesk bot`
process). A replica claims rows with a lease: `claimed_by` names it, `lease_until` says how long the
claim holds (renewed while handling runs long). A claim is a SELECT ... FOR UPDATE SKIP LOCKED on
PostgreSQL and an UPDATE of the rows it locked, so replicas claiming at the same moment never wait
on each other nor take the same row; SQLite has one writer at a time, so the same statements without
the lock clause are enough there. A chat's updates go in order across replicas: a row may be claimed only when every
earlier unfinished row of its chat is already the claimant's own under a live lease; a row held by
another replica, or waiting behind one, stays where it is, so a chat is handled by one replica at a
time. A crashed replica's rows are free again once its lease runs out. Only the claimant marks a row
done, so a replica that stalled past its lease cannot finish what another took over. An update taken
over while an answer to its chat written under the old claim is still to leave is not claimed as usual:
`claim_taken_over` leases it to a replica that first sends that answer (the crashed replica wrote it and
did not send it; outbox.take_over_chat), then handles the update, which finds its message already
recorded and answers nothing twice; so a later answer cannot overtake it, and no dispatcher is needed.
Giving claims back (stopping, or a restarted process freeing its dead predecessor's) ends the lease and
keeps the claimant's name, so the same rule applies.

The chat is known by `chat_hash`, the same keyed hash every other table looks chats up by
(infra/encrypted.py): the intake table names no chat in clear, and drops the hash with the payload
once the update is handled. Rows stored before this column
existed have none and are claimed without the per-chat rule (upgrade with one replica running).
Leases are compared with the claimant's clock: replicas' clocks must agree to well within LEASE (NTP).
"""

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger, ForeignKey, Index, String, Text, and_, delete, exists, func, or_, select, type_coerce, update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from infra.columns import Base, UTCDateTime
from infra.encrypted import EncryptedText, chat_hash_of, chat_hash_type
from infra.keyring import KeyringError
from desk.organisations.models import FIRST_ORGANISATION
from desk.outbox import OutboxMessage
from infra.database import insert_ignoring_conflicts

# Telegram keeps an unconfirmed update about a day; a redelivery later than that cannot happen.
KEEP_DONE = timedelta(days=1)
# A claim holds this long unless renewed; a crashed replica's updates wait about this long for another.
LEASE = timedelta(seconds=60)
# Update kinds whose object carries the chat it happened in (a callback query's is its message's).
_CHAT_CARRIERS = ("message", "edited_message", "channel_post", "edited_channel_post", "business_message",
                  "edited_business_message", "my_chat_member", "chat_member", "chat_join_request",
                  "message_reaction", "message_reaction_count", "chat_boost", "removed_chat_boost")


class IntakeUpdate(Base):
    """One raw update as Telegram sent it, encrypted, until it has been handled."""

    __tablename__ = "intake_updates"

    # Update ids are per bot: the organisation whose bot received it is part of the key.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # The update's JSON, encrypted; None once handled (it holds the message text and the sender's identity).
    payload: Mapped[str | None] = mapped_column(EncryptedText("intake_updates.payload", transport=True))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The chat's lookup hash, for keeping a chat's updates in order across replicas; None for chatless updates.
    chat_hash: Mapped[str | None] = mapped_column(chat_hash_type())
    # The replica handling it, and until when its claim holds.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The worker's question, "what is waiting, oldest first", and the purge's, "what is long done";
    # the claim's, "is an earlier update of this chat unfinished".
    __table_args__ = (
        Index("ix_intake_updates_done_at_update_id", "done_at", "update_id"),
        Index("ix_intake_updates_chat_hash_update_id", "chat_hash", "update_id"),
    )


@dataclass(frozen=True)
class Waiting:
    """A stored update not yet handled."""

    update_id: int
    data: dict | None  # None when the payload does not open (a changed key): nothing to handle
    received_at: datetime


@dataclass(frozen=True)
class TakenOver:
    """A stored update taken over from a claimant that left an answer to its chat unsent."""

    waiting: Waiting
    chat_hash: str
    # When the old claim ended: the answers owed are those written until then.
    old_claim_ended: datetime


async def store(
    session: AsyncSession, updates: Sequence[dict], *, now: datetime, organisation_id: int = FIRST_ORGANISATION
) -> int:
    """Store raw updates (each a dict with an int update_id) of an organisation's bot; returns how many were new."""
    if not updates:
        return 0
    rows = [
        {
            "organisation_id": organisation_id,
            "update_id": update["update_id"],
            "payload": json.dumps(update, ensure_ascii=False, separators=(",", ":")),
            "received_at": now,
            "chat_hash": None if (chat := chat_of(update)) is None else chat_hash_of(chat),
        }
        for update in updates
    ]
    statement = insert_ignoring_conflicts(session, IntakeUpdate, ["organisation_id", "update_id"]).values(rows)
    return len((await session.execute(statement.returning(IntakeUpdate.update_id))).all())


async def waiting(
    session: AsyncSession, *, limit: int, skip: Collection[int] = (), organisation_id: int = FIRST_ORGANISATION
) -> list[Waiting]:
    """An organisation's unhandled updates in update-id order, leaving out those in `skip` (being handled)."""
    # The ciphertext is read as is and opened row by row: one row that does not open must not stop the rest.
    query = (
        select(IntakeUpdate.update_id, type_coerce(IntakeUpdate.payload, Text), IntakeUpdate.received_at)
        .where(IntakeUpdate.organisation_id == organisation_id, IntakeUpdate.done_at.is_(None))
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


async def claim(
    session: AsyncSession, *, claimant: str, limit: int, now: datetime, lease: timedelta = LEASE,
    organisation_id: int = FIRST_ORGANISATION,
) -> list[Waiting]:
    """Lease up to `limit` unhandled updates of an organisation's bot to `claimant`, oldest first, each chat's
    only in order."""
    table = IntakeUpdate.__table__  # Core: one UPDATE ... RETURNING, no ORM identity bookkeeping
    earlier = aliased(IntakeUpdate)
    free = or_(IntakeUpdate.claimed_by.is_(None), IntakeUpdate.lease_until <= now)
    # An earlier unfinished update of the chat that is not ours under a live lease goes first, by whoever
    # gets it. Checked against rows, not locks: two claimants splitting a chat's rows between them (each
    # skipping what the other has locked) each find the other's first row still unfinished and stop there.
    goes_first = exists().where(
        earlier.organisation_id == IntakeUpdate.organisation_id,
        earlier.chat_hash == IntakeUpdate.chat_hash,
        earlier.update_id < IntakeUpdate.update_id,
        earlier.done_at.is_(None),
        or_(earlier.claimed_by.is_(None), earlier.claimed_by != claimant, earlier.lease_until < now),
    )
    # Taking over from a claimant that died (or stopped) between writing an answer and sending it: that
    # answer goes first, so the chat's next answer cannot overtake it. Only answers written while the old
    # claim held count, so a busy chat (the staff group, with its stream of cards) is not held back by
    # answers written since; answers held back after a failed try do not count (the outbox keeps those
    # in order itself). Such updates are claimed by `claim_taken_over`, whose caller sends the answers first.
    taken_over = _taken_over_with_answer_unsent(claimant, now)
    claimable = (
        select(IntakeUpdate.update_id)
        .where(IntakeUpdate.organisation_id == organisation_id, IntakeUpdate.done_at.is_(None), free, ~goes_first,
               ~taken_over)
        .order_by(IntakeUpdate.update_id)
        .limit(limit)
        # PostgreSQL: claimants share the table without waiting on each other; SQLite ignores it.
        .with_for_update(skip_locked=True)
    )
    # Two statements, the rows locked by the first: as a subquery of the UPDATE, PostgreSQL may run the LIMITed
    # SKIP LOCKED select more than once (a re-scanned semi-join, chosen with the (organisation, update id) key)
    # and claim more than `limit`, and rows another claimant must have.
    ids = list((await session.execute(claimable)).scalars().all())
    if not ids:
        return []
    statement = (
        update(table)
        .where(table.c.organisation_id == organisation_id, table.c.update_id.in_(ids))
        .values(claimed_by=claimant, lease_until=now + lease)
        .returning(table.c.update_id, type_coerce(table.c.payload, Text), table.c.received_at)
    )
    dialect = session.get_bind().dialect
    rows = sorted((await session.execute(statement)).all())
    return [Waiting(update_id, _open(payload, dialect), received_at) for update_id, payload, received_at in rows]


async def claim_taken_over(
    session: AsyncSession, *, claimant: str, limit: int, now: datetime, lease: timedelta = LEASE,
    organisation_id: int = FIRST_ORGANISATION,
) -> list[TakenOver]:
    """Lease to `claimant` the updates `claim` leaves alone because an answer their chat's previous claimant
    wrote is unsent; the caller sends those answers (outbox.take_over_chat) before handling the update."""
    table = IntakeUpdate.__table__
    earlier = aliased(IntakeUpdate)
    goes_first = exists().where(
        earlier.organisation_id == IntakeUpdate.organisation_id,
        earlier.chat_hash == IntakeUpdate.chat_hash,
        earlier.update_id < IntakeUpdate.update_id,
        earlier.done_at.is_(None),
    )
    # Two statements (this is the rare path): the old claims' ends are read before the update replaces them.
    candidates = (
        select(IntakeUpdate.update_id, IntakeUpdate.lease_until)
        .where(
            IntakeUpdate.organisation_id == organisation_id,
            IntakeUpdate.done_at.is_(None),
            IntakeUpdate.lease_until <= now,
            ~goes_first,
            _taken_over_with_answer_unsent(claimant, now),
        )
        .order_by(IntakeUpdate.update_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    old_claims_ended = dict((await session.execute(candidates)).all())
    if not old_claims_ended:
        return []
    statement = (
        update(table)
        .where(table.c.organisation_id == organisation_id, table.c.update_id.in_(list(old_claims_ended)))
        .values(claimed_by=claimant, lease_until=now + lease)
        .returning(
            table.c.update_id, type_coerce(table.c.payload, Text), table.c.received_at, table.c.chat_hash
        )
    )
    dialect = session.get_bind().dialect
    rows = sorted((await session.execute(statement)).all())
    return [
        TakenOver(
            Waiting(update_id, _open(payload, dialect), received_at), chat_hash, old_claims_ended[update_id]
        )
        for update_id, payload, received_at, chat_hash in rows
    ]


def _taken_over_with_answer_unsent(claimant: str, now: datetime):
    """The update was claimed by another claimant, and an answer to its chat written while that claim held
    is still to leave (due, or leased to a sender)."""
    return and_(
        IntakeUpdate.claimed_by.is_not(None),
        IntakeUpdate.claimed_by != claimant,
        exists().where(
            OutboxMessage.organisation_id == IntakeUpdate.organisation_id,
            OutboxMessage.chat_hash == IntakeUpdate.chat_hash,
            OutboxMessage.status == "pending",
            OutboxMessage.created_at <= IntakeUpdate.lease_until,
            or_(OutboxMessage.not_before <= now, OutboxMessage.lease_until >= now),
        ),
    )


async def renew(
    session: AsyncSession, update_ids: Collection[int], *, claimant: str, now: datetime, lease: timedelta = LEASE,
    organisation_id: int = FIRST_ORGANISATION,
) -> set[int]:
    """Extend `claimant`'s lease on these updates; returns those still its own (the others were taken over)."""
    if not update_ids:
        return set()
    table = IntakeUpdate.__table__
    statement = (
        update(table)
        .where(
            table.c.organisation_id == organisation_id, table.c.update_id.in_(list(update_ids)),
            table.c.claimed_by == claimant, table.c.done_at.is_(None),
        )
        .values(lease_until=now + lease)
        .returning(table.c.update_id)
    )
    return set((await session.execute(statement)).scalars().all())


async def release(
    session: AsyncSession, update_ids: Collection[int], *, claimant: str, now: datetime,
    organisation_id: int = FIRST_ORGANISATION,
) -> None:
    """Give back claims not handled (a stopping replica), so another replica takes them at once."""
    if update_ids:
        table = IntakeUpdate.__table__
        # The lease ends now; the claimant's name stays, so the taker knows it takes over (see claim).
        await session.execute(
            update(table)
            .where(
                table.c.organisation_id == organisation_id, table.c.update_id.in_(list(update_ids)),
                table.c.claimed_by == claimant, table.c.done_at.is_(None),
            )
            .values(lease_until=now)
        )


async def claimants(session: AsyncSession) -> set[str]:
    """Who holds claims on unhandled updates now (replica ids)."""
    query = select(IntakeUpdate.claimed_by).where(IntakeUpdate.done_at.is_(None), IntakeUpdate.claimed_by.is_not(None))
    return set((await session.execute(query.distinct())).scalars().all())


async def release_all(session: AsyncSession, *, claimants: Collection[str], now: datetime) -> int:
    """End the leases of every unhandled update these (dead) claimants hold; returns how many."""
    if not claimants:
        return 0
    table = IntakeUpdate.__table__
    result = await session.execute(
        update(table)
        .where(table.c.claimed_by.in_(list(claimants)), table.c.done_at.is_(None), table.c.lease_until > now)
        .values(lease_until=now)
    )
    return result.rowcount or 0


async def mark_done(
    session: AsyncSession, update_ids: Collection[int], *, now: datetime, claimant: str | None = None,
    organisation_id: int = FIRST_ORGANISATION,
) -> set[int]:
    """Handled: drop the payloads, keep the ids for recognising redeliveries; returns the ids marked.

    With `claimant`, only rows still claimed by it: one taken over by another replica is that one's to finish."""
    if not update_ids:
        return set()
    table = IntakeUpdate.__table__  # a Core update: the ORM's session sync would compare the encrypted column
    statement = update(table).where(
        table.c.organisation_id == organisation_id, table.c.update_id.in_(list(update_ids)), table.c.done_at.is_(None)
    )
    if claimant is not None:
        statement = statement.where(table.c.claimed_by == claimant)
    # The chat hash goes with the payload: only waiting updates need an order, and /forget leaves no trace.
    statement = statement.values(payload=None, chat_hash=None, done_at=now, lease_until=None).returning(table.c.update_id)
    return set((await session.execute(statement)).scalars().all())


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


def chat_of(update: dict) -> int | None:
    """The id of the chat an update happened in, or None (inline queries, polls and the like)."""
    for kind in _CHAT_CARRIERS:
        if isinstance(carrier := update.get(kind), dict) and isinstance(chat := carrier.get("chat"), dict):
            return chat.get("id")
    query = update.get("callback_query")
    if isinstance(query, dict) and isinstance(message := query.get("message"), dict):
        return (message.get("chat") or {}).get("id")
    return None


def _open(ciphertext: str | None, dialect) -> dict | None:
    if ciphertext is None:
        return None
    try:
        return json.loads(IntakeUpdate.payload.type.process_result_value(ciphertext, dialect))
    except (KeyringError, ValueError):  # a key that is gone, an altered value: it cannot be handled
        return None
