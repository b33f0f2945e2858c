"""The rows the anonymous path leaves behind, and their removal once they have served.

An anonymous message's idempotency record has chat id ANONYMOUS_CHAT and lives KEEP_INBOUND
(Telegram redelivers within hours); an outbox row on this path has a key starting OUTBOX_PREFIX
(random after it) and is deleted once it is done with.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from desk.outbox import OutboxMessage
from desk.tickets.models import InboundMessage
from infra.encrypted import chat_hash_of

ANONYMOUS_CHAT = 0  # inbound_messages.chat_id of every message on the anonymous path
KEEP_INBOUND = timedelta(days=1)
OUTBOX_PREFIX = "anon:"


async def scrub(*, session: AsyncSession, outbox_ids: list[int]) -> None:
    """Delete anonymous-path outbox rows that are done with (sent, or failed for good)."""
    if outbox_ids:
        await session.execute(
            delete(OutboxMessage).where(OutboxMessage.id.in_(outbox_ids), OutboxMessage.status != "pending")
        )


async def scrub_delivered(*, session: AsyncSession) -> int:
    """For the scheduler: delete every anonymous-path outbox row that is done with (rows the dispatcher sent)."""
    result = await session.execute(
        delete(OutboxMessage).where(OutboxMessage.key.startswith(OUTBOX_PREFIX), OutboxMessage.status != "pending")
    )
    return result.rowcount or 0


async def forget_old_inbound(*, session: AsyncSession, now: datetime) -> None:
    """Drop idempotency records of anonymous messages once no redelivery can come."""
    await session.execute(
        delete(InboundMessage).where(
            InboundMessage.chat_hash == chat_hash_of(ANONYMOUS_CHAT), InboundMessage.received_at < now - KEEP_INBOUND
        )
    )
