"""Promised outgoing messages: enqueue in the caller's transaction, claim with a lease, record the outcome.

They are sent by desk/delivery.py, the one way out.
"""

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from infra.columns import Base, UTCDateTime
from infra.encrypted import EncryptedInt, EncryptedText, chat_hash_column_default, chat_hash_of, chat_hash_type
from infra.database import insert_ignoring_conflicts
from desk.channels import Channel, channel_of
from desk.organisations.models import FIRST_ORGANISATION
from desk.tickets.models import Citizen

# A claim protects a row from other dispatchers this long; past it the row is fair game again.
LEASE = timedelta(seconds=60)
# Back-off for transient failures: 2, 4, 8 ... seconds, capped.
MAX_BACKOFF = timedelta(minutes=10)


class OutboxMessage(Base):
    """One message we promised to send, delivered at least once."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Whose promise: the dispatcher sends the row through this organisation's bot.
    # (enqueue names it; the default keeps rows written by hand, in tests and scripts, organisation 1's)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), default=FIRST_ORGANISATION)
    # Unique per organisation: keys name chats and message ids, and those are per bot (one user's chat
    # with two organisations' bots has the same id, and both bots count message ids from 1).
    key: Mapped[str] = mapped_column(String(200))
    # Encrypted; "which rows go to this chat" asks chat_hash.
    chat_id: Mapped[int] = mapped_column(EncryptedInt("outbox.chat_id", transport=True))
    chat_hash: Mapped[str | None] = mapped_column(chat_hash_type(), default=chat_hash_column_default())
    text: Mapped[str] = mapped_column(EncryptedText("outbox.text", transport=True))
    # Buttons as rows of {"text", "data"} (conversation/buttons.py); rows queued before that kept the
    # Bot API's own object, which the transport still reads.
    reply_markup: Mapped[list | dict | None] = mapped_column(JSON)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # pending -> sent | unknown (the request left, no answer came back) | undeliverable (Telegram refused
    # this message) | blocked (the chat refuses all our messages) | skipped (never tried: its chat is blocked)
    # | folded (a new-ticket card listed in the digest `folded_into` instead, desk/digests.py)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set just before a request leaves; a lease that runs out with this set means the outcome is unknown.
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When staff were told about a doubtful or failed send (conversation/promises/notices.py).
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The digest row that carries this card to the staff chat (status "folded"); a digest past the
    # retention period is deleted (it has no ticket of its own), leaving this empty.
    folded_into: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))

    __table_args__ = (
        # The dispatcher's query: pending rows whose time has come.
        Index("ix_outbox_status_not_before", "status", "not_before"),
        # A 429 or a block concerns the whole chat: its other pending rows are found by this.
        Index("ix_outbox_chat_hash_status", "chat_hash", "status"),
        # The report sweep: failed rows staff have not been told about yet.
        Index("ix_outbox_status_reported_at", "status", "reported_at"),
        # A digest's cards, to list them again when it takes in more.
        Index("ix_outbox_folded_into", "folded_into"),
        Index("ix_outbox_organisation_id_key", "organisation_id", "key", unique=True),
    )


@dataclass(frozen=True)
class Outgoing:
    """What a transport needs to send one outbox row."""

    id: int
    chat_id: int
    text: str
    reply_markup: list | dict | None  # as the column holds it
    # Which organisation's bot sends it (bot/transport.py BotRouter).
    organisation_id: int = FIRST_ORGANISATION


@dataclass(frozen=True)
class Delivery:
    """How one send attempt ended, as the transport classified it."""

    outcome: Literal["sent", "retry", "undeliverable", "unknown"]
    message_id: int | None = None
    retry_after: float | None = None
    reason: str = ""
    # Undeliverable because the chat refuses every message from us (blocked, left, never started).
    chat_blocked: bool = False


class Transport(Protocol):
    """Something that can put an outbox row in front of a person (Telegram, in production)."""

    async def send(self, message: Outgoing) -> Delivery: ...


# session.info key: the rows enqueue() collected for write_deferred(), once defer_writes() was called.
_DEFERRED = "charterdesk.outbox.deferred"


def defer_writes(session: AsyncSession) -> None:
    """From now on in this transaction enqueue() collects its rows, and write_deferred() inserts them all in
    one statement (intake's group commit: one INSERT for the replies and cards of many messages). Until then
    an Outgoing it returns has a placeholder id (negative), which resolved() replaces."""
    session.info.setdefault(_DEFERRED, [])


async def write_deferred(session: AsyncSession) -> dict[int, int]:
    """Insert the rows enqueue() collected, in their order; the real id of each placeholder id (a row
    whose key was promised already is left out, as enqueue() would have returned None for it)."""
    rows = session.info.pop(_DEFERRED, [])
    if not rows:
        return {}
    # A key promised twice in the transaction is written once, for its first promise (as enqueue would).
    first = {}
    for n, row in enumerate(rows, start=1):
        first.setdefault((row["organisation_id"], row["key"]), n)
    statement = (
        insert_ignoring_conflicts(session, OutboxMessage, ["organisation_id", "key"])
        .values([rows[n - 1] for n in first.values()])
        .returning(OutboxMessage.organisation_id, OutboxMessage.key, OutboxMessage.id)
    )
    ids = {(organisation, key): row_id for organisation, key, row_id in (await session.execute(statement)).all()}
    return {-n: ids[key] for key, n in first.items() if key in ids}


def resolved(outgoing: Sequence[Outgoing], ids: Mapping[int, int]) -> list[Outgoing]:
    """Outgoing rows with their placeholder ids replaced by the ids write_deferred() gave."""
    return [
        replace(message, id=ids[message.id]) if message.id < 0 else message
        for message in outgoing
        if message.id >= 0 or message.id in ids
    ]


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    chat_id: int,
    text: str,
    now: datetime,
    reply_markup: list | None = None,
    ticket_id: int | None = None,
    not_before: datetime | None = None,
    claim: bool = False,
    organisation_id: int = FIRST_ORGANISATION,
) -> Outgoing | None:
    """Add a promised message of `organisation_id`; None if it has one with this key. `claim` leases it to the
    caller. Deferred (defer_writes), the row is written by write_deferred() and its id is a placeholder till then."""
    row = dict(
        organisation_id=organisation_id,
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
    deferred = session.info.get(_DEFERRED)
    if deferred is not None:
        # A multi-row INSERT cannot fill chat_hash from its column default: given here.
        deferred.append({**row, "chat_hash": chat_hash_of(chat_id)})
        return Outgoing(-len(deferred), chat_id, text, reply_markup, organisation_id)
    statement = insert_ignoring_conflicts(session, OutboxMessage, ["organisation_id", "key"]).values(**row)
    row_id = (await session.execute(statement.returning(OutboxMessage.id))).scalar_one_or_none()
    if row_id is None:
        return None
    return Outgoing(row_id, chat_id, text, reply_markup, organisation_id)


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int = 100,
    lease: timedelta = LEASE,
    skip_chats: Collection[int] = (),
    per_chat: int | None = None,
) -> list[Outgoing]:
    """Lease up to `limit` due rows nobody holds, at most `per_chat` per chat, none for `skip_chats`."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.not_before <= now,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
            ~_waits_behind(now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        # On PostgreSQL several dispatchers share the work without waiting on each other;
        # SQLite ignores this and serialises writers anyway.
        .with_for_update(skip_locked=True)
    )
    if skip_chats:
        query = query.where(OutboxMessage.chat_hash.not_in([chat_hash_of(chat) for chat in skip_chats]))
    taken: list[Outgoing] = []
    per: Counter[int] = Counter()
    rows = await _first_in_line(session, (await session.scalars(query)).all(), now=now)
    unreachable = await _unreachable_chats(session, {row.chat_id for row in rows})
    for row in rows:
        if row.sending_since is not None and not resendable(row):
            # Its sender died or hung after the request may have left: flag it, never send it again.
            row.status, row.last_error = "unknown", "the dispatcher stopped while this was being sent"
            row.lease_until = row.sending_since = None
            continue
        row.sending_since = None
        if (row.organisation_id, row.chat_id) in unreachable:
            row.status, row.last_error = "skipped", "not sent: the citizen blocked the bot"
            continue
        if per_chat is not None and per[row.chat_id] >= per_chat:
            continue  # left unleased: the next pass takes it, in order, after these
        per[row.chat_id] += 1
        row.lease_until = now + lease
        taken.append(outgoing(row))
    return taken


async def take_over_chat(
    session: AsyncSession, *, chat_hash: str, written_until: datetime, now: datetime, lease: timedelta = LEASE,
    organisation_id: int = FIRST_ORGANISATION,
) -> list[Outgoing]:
    """Lease to the caller a chat's pending rows written until `written_until` (while a sender now presumed
    dead held the chat) that are due or leased, in order; those it had begun to send are flagged unknown."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.organisation_id == organisation_id,
            OutboxMessage.chat_hash == chat_hash,
            OutboxMessage.status == "pending",
            # Later rows of a busy chat (the staff group's cards) are other, live senders' business.
            OutboxMessage.created_at <= written_until,
            or_(OutboxMessage.not_before <= now, OutboxMessage.lease_until >= now),
        )
        .order_by(OutboxMessage.id)
        .with_for_update()
    )
    taken: list[Outgoing] = []
    for row in (await session.scalars(query)).all():
        if row.sending_since is not None and not resendable(row):
            # The request may have left before its sender died: flag it, never send it again.
            row.status, row.last_error = "unknown", "the sender stopped while this was being sent"
            row.lease_until = row.sending_since = None
            continue
        row.sending_since = None
        row.lease_until = now + lease
        taken.append(outgoing(row))
    return taken


def outgoing(row: OutboxMessage) -> Outgoing:
    """What a transport needs of a row."""
    return Outgoing(row.id, row.chat_id, row.text, row.reply_markup, row.organisation_id)


def resendable(row: OutboxMessage) -> bool:
    """May a row whose send was marked but never recorded go again? Only where sending twice shows once.

    A Telegram request that left cannot be taken back and a second one is a second message in the chat, so
    such a row is flagged unknown. A web visitor's row is a line written into their feed, which takes each
    outbox row at most once (web_feed.outbox_id is unique, web/feed.py inserts or does nothing): sending it
    again either writes the line the dead sender never committed or does nothing, so it is never lost."""
    return channel_of(row.chat_id) is Channel.WEB


def _waits_behind(now: datetime, *, leased: bool = True):
    """An earlier row of the same chat is held back after a failed try (or, with `leased`, leased to a
    sender): a chat's rows go in order, and a row written while its chat is held back waits too."""
    earlier = aliased(OutboxMessage)
    held = and_(earlier.attempts > 0, earlier.not_before > now)
    return exists().where(
        earlier.chat_hash == OutboxMessage.chat_hash,
        earlier.status == "pending",
        earlier.id < OutboxMessage.id,
        or_(earlier.lease_until >= now, held) if leased else held,
    )


async def _first_in_line(session: AsyncSession, rows: Sequence[OutboxMessage], *, now: datetime) -> list[OutboxMessage]:
    """The rows no other row of their chat stands before. With PostgreSQL's SKIP LOCKED two dispatchers
    claiming at the same moment may split one chat's rows (each skips what the other has locked):
    each then keeps only the rows before the other's first, so a chat's rows never go two ways at once."""
    if not rows:
        return []
    ours = {row.id for row in rows}
    first_other = dict(
        (
            await session.execute(
                select(OutboxMessage.chat_hash, func.min(OutboxMessage.id))
                .where(
                    OutboxMessage.chat_hash.in_({row.chat_hash for row in rows}),
                    OutboxMessage.status == "pending",
                    OutboxMessage.id < max(ours),
                    OutboxMessage.id.not_in(ours),
                    # Claimable now, leased to someone, or held back after a failed try.
                    or_(
                        OutboxMessage.not_before <= now,
                        OutboxMessage.lease_until >= now,
                        OutboxMessage.attempts > 0,
                    ),
                )
                .group_by(OutboxMessage.chat_hash)
            )
        ).all()
    )
    return [row for row in rows if row.id < first_other.get(row.chat_hash, row.id + 1)]


async def _unreachable_chats(session: AsyncSession, chat_ids: set[int]) -> set[tuple[int, int]]:
    # (organisation, chat): a citizen who blocked one organisation's bot may still hear from another's.
    if not chat_ids:
        return set()
    hashes = [chat_hash_of(chat_id) for chat_id in chat_ids]
    query = select(Citizen.organisation_id, Citizen.chat_id).where(
        Citizen.chat_hash.in_(hashes), Citizen.unreachable_at.is_not(None)
    )
    return {(organisation, chat) for organisation, chat in (await session.execute(query)).all()}


async def mark_sending(
    session: AsyncSession, *, outbox_ids: Collection[int], now: datetime, lease: timedelta = LEASE
) -> set[int]:
    """Note that requests for these rows are about to leave; returns the ids that are still ours to send."""
    statement = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(list(outbox_ids)),
            OutboxMessage.status == "pending",
            OutboxMessage.sending_since.is_(None),
            # Another dispatcher may have taken the row over after our lease ran out and been told to wait.
            OutboxMessage.not_before <= now,
            # A handler's fresh row does not overtake its chat's rows held back after a failure
            # (it may overtake rows merely due: an answer goes at once).
            ~_waits_behind(now, leased=False),
        )
        .values(sending_since=now, lease_until=now + lease)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return set((await session.execute(statement)).scalars().all())


async def record_sent(
    session: AsyncSession, *, message_ids: Mapping[int, int | None], now: datetime,
    reachable: Collection[int] = (),
) -> None:
    """Record many successful sends (outbox id -> Telegram message id) in one statement.

    `reachable`: ids of rows whose chat is known to be reachable (an answer to a message the citizen has
    just written, which cleared unreachable_at already): they need no second statement."""
    ids = list(message_ids)
    await session.execute(
        update(OutboxMessage)
        # "unknown" may have been decided by another dispatcher while our answer was late: the answer wins.
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status.in_(("pending", "unknown")))
        .values(
            status="sent",
            sent_at=now,
            attempts=OutboxMessage.attempts + 1,
            lease_until=None,
            sending_since=None,
            last_error=None,
            # Typed, so PostgreSQL accepts a CASE whose branches are all NULL (a send with no message id).
            telegram_message_id=cast(case(dict(message_ids), value=OutboxMessage.id), BigInteger),
        )
        .execution_options(synchronize_session=False)
    )
    # A citizen who blocked the bot and wrote again (their reply went out) can be reached again.
    unsure = [i for i in ids if i not in reachable]
    if not unsure:
        return
    await session.execute(
        update(Citizen)
        .where(
            tuple_(Citizen.organisation_id, Citizen.chat_hash).in_(
                select(OutboxMessage.organisation_id, OutboxMessage.chat_hash).where(OutboxMessage.id.in_(unsure))
            ),
            Citizen.unreachable_at.is_not(None),
        )
        .values(unreachable_at=None)
        .execution_options(synchronize_session=False)
    )


async def record(session: AsyncSession, *, outbox_id: int, delivery: Delivery, now: datetime) -> None:
    """Store the outcome of one send attempt and decide when (or whether) to try again."""
    if delivery.outcome == "sent":
        await record_sent(session, message_ids={outbox_id: delivery.message_id}, now=now)
        return
    row = await session.get(OutboxMessage, outbox_id)
    if row is None or row.status not in ("pending", "unknown"):
        return
    row.attempts += 1
    row.lease_until = row.sending_since = None
    row.last_error = delivery.reason or None
    if delivery.outcome == "retry":
        row.status = "pending"
        wait = timedelta(seconds=delivery.retry_after) if delivery.retry_after else backoff(row.attempts)
        row.not_before = now + wait
        await hold_chat(session, chat_id=row.chat_id, until=row.not_before, organisation_id=row.organisation_id)
    elif delivery.chat_blocked:
        row.status = "blocked"
        await skip_chat(session, chat_id=row.chat_id, reason=f"not sent: the chat refused outbox row {row.id}",
                        organisation_id=row.organisation_id)
    else:
        row.status = delivery.outcome


async def hold_chat(
    session: AsyncSession, *, chat_id: int, until: datetime, organisation_id: int = FIRST_ORGANISATION
) -> None:
    """Keep every pending row of a chat (with one organisation's bot) back until `until`, so the chat's
    messages stay in order."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.organisation_id == organisation_id,
            OutboxMessage.chat_hash == chat_hash_of(chat_id),
            OutboxMessage.status == "pending",
            OutboxMessage.not_before < until,
        )
        .values(not_before=until)
    )


async def skip_chat(
    session: AsyncSession, *, chat_id: int, reason: str, organisation_id: int = FIRST_ORGANISATION
) -> None:
    """Give up the pending rows of a chat that refuses one organisation's bot; nothing more is attempted there."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.organisation_id == organisation_id,
            OutboxMessage.chat_hash == chat_hash_of(chat_id),
            OutboxMessage.status == "pending",
        )
        .values(status="skipped", last_error=reason, lease_until=None)
    )


def backoff(attempts: int) -> timedelta:
    """Exponential wait after the given number of failed attempts."""
    return timedelta(seconds=min(2 ** min(attempts, 30), MAX_BACKOFF.total_seconds()))


async def release(session: AsyncSession, outbox_ids: Sequence[int]) -> None:
    """Give leased rows back, e.g. on shutdown, so another dispatcher may send them at once."""
    await session.execute(
        update(OutboxMessage)
        # A row marked "sending" keeps its lease: its request may have left, so only its lease running
        # out may decide (it is then flagged unknown, never sent again).
        .where(OutboxMessage.id.in_(outbox_ids), OutboxMessage.sending_since.is_(None))
        .values(lease_until=None)
    )
