"""New-ticket cards folded into digests: the staff chat's waiting cards, and which digest lists which.

A group takes about 20 messages a minute from a bot, so through a burst the cards would queue for
many minutes. Waiting cards are instead folded into a digest row (one message listing many tickets):
each folded card keeps its row, with status "folded" and `folded_into` naming the digest, so every
promised card is accounted for and none is sent twice. Rendering the digest is conversation's job.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.outbox import OutboxMessage
from desk.tickets.models import Ticket
from infra.encrypted import chat_hash_of

CARD_KEY = "card:"
DIGEST_KEY = "digest:"


def _untouched(chat_id: int, key_prefix: str, now: datetime):
    """Pending rows of this kind for this chat that no sender holds or may have sent."""
    return (
        OutboxMessage.chat_hash == chat_hash_of(chat_id),
        OutboxMessage.key.startswith(key_prefix, autoescape=True),
        OutboxMessage.status == "pending",
        OutboxMessage.sending_since.is_(None),
        or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
    )


async def waiting_cards(session: AsyncSession, *, chat_id: int, now: datetime, limit: int) -> list[OutboxMessage]:
    """The oldest cards waiting for this chat that nobody is sending, locked for folding."""
    query = (
        select(OutboxMessage)
        .where(*_untouched(chat_id, CARD_KEY, now), OutboxMessage.ticket_id.is_not(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(query)).all())


async def in_hand_or_recent(session: AsyncSession, *, chat_id: int, now: datetime, since: datetime) -> int:
    """Rows of this chat sent since `since` or leased to a sender now: what already uses its flood budget."""
    query = select(func.count()).where(
        OutboxMessage.chat_hash == chat_hash_of(chat_id),
        or_(
            and_(OutboxMessage.status == "sent", OutboxMessage.sent_at >= since),
            and_(OutboxMessage.status == "pending", OutboxMessage.lease_until >= now),
        ),
    )
    return (await session.execute(query)).scalar_one()


async def open_digest(session: AsyncSession, *, chat_id: int, now: datetime) -> OutboxMessage | None:
    """The newest digest for this chat not yet being sent: it may still take in more cards."""
    query = (
        select(OutboxMessage)
        .where(*_untouched(chat_id, DIGEST_KEY, now))
        .order_by(OutboxMessage.id.desc())
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(query)).first()


async def listed(session: AsyncSession, *, digest_id: int) -> list[Ticket]:
    """The tickets whose cards a digest carries, in the order they were folded."""
    query = (
        select(Ticket)
        .join(OutboxMessage, OutboxMessage.ticket_id == Ticket.id)
        .where(OutboxMessage.folded_into == digest_id)
        .order_by(OutboxMessage.id)
    )
    return list((await session.scalars(query)).all())


async def tickets_of(session: AsyncSession, cards: Sequence[OutboxMessage]) -> list[Ticket]:
    """The tickets of these cards, in the cards' order."""
    ids = [card.ticket_id for card in cards]
    found = {t.id: t for t in (await session.scalars(select(Ticket).where(Ticket.id.in_(ids)))).all()}
    return [found[i] for i in ids if i in found]


def fold(cards: Sequence[OutboxMessage], *, digest_id: int) -> None:
    """Mark these cards as delivered by the digest (they are never sent on their own)."""
    for row in cards:
        row.status, row.folded_into = "folded", digest_id
        row.lease_until = None


SUMMARY_KEY = "summary:"


async def latest_summary(session: AsyncSession, *, chat_id: int) -> OutboxMessage | None:
    """The newest live queue summary row for this chat (sent or still waiting)."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.chat_hash == chat_hash_of(chat_id), OutboxMessage.key.startswith(SUMMARY_KEY))
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()
