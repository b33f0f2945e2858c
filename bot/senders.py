"""Who sends as the bot now: each process that sends (a bot replica, a scheduler) beats a row here.

Telegram's flood limits hold per bot token, so processes sharing a token share them: each counts the
senders seen within a lease and paces at its share (bot/ratelimit.py's SendLimiter.share). A process
that dies stops beating and is no longer counted a lease later; until then the others pace a little
slower than they might, never faster than they should. A process paces alone until its first beat is
written, which happens before it starts sending.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import String, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.ratelimit import SendLimiter
from infra.columns import Base, UTCDateTime
from infra.database import Store

log = logging.getLogger(__name__)

# Rows of processes gone this long are deleted (the count only looks a lease back anyway).
FORGET_AFTER = timedelta(days=1)


class Sender(Base):
    """One process sending as the bot, and when it last said so."""

    __tablename__ = "senders"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


async def beat(session: AsyncSession, *, name: str, now: datetime) -> None:
    """Say that `name` is sending now."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(Sender).values(name=name, seen_at=now)
    await session.execute(statement.on_conflict_do_update(index_elements=["name"], set_={"seen_at": now}))


async def live(session: AsyncSession, *, now: datetime, within: timedelta) -> int:
    """How many senders were seen within `within` (at least 1: the caller)."""
    query = select(func.count()).select_from(Sender).where(Sender.seen_at > now - within)
    count = await session.scalar(query)
    return max(1, count or 0)


async def forget(
    session: AsyncSession, *, names: list[str] | None = None, before: datetime | None = None
) -> None:
    """Delete the rows of these senders (one that stops), or of those not seen since `before`."""
    if names:
        await session.execute(delete(Sender).where(Sender.name.in_(names)))
    if before is not None:
        await session.execute(delete(Sender).where(Sender.seen_at < before))


class Heartbeat:
    """Beats this process's row every third of a lease and tells its limiter how many share the budget."""

    def __init__(
        self,
        store: Store,
        limiter: SendLimiter,
        *,
        name: str,
        clock: Callable[[], datetime],
        lease: timedelta,
    ) -> None:
        self.store, self.limiter, self.name, self.clock, self.lease = store, limiter, name, clock, lease
        self.senders = 1
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """The first beat (so this process is counted before it sends), then one every third of a lease."""
        await self.once()
        self._task = asyncio.create_task(self._run(), name="sender heartbeat")

    async def once(self) -> int:
        """Beat, count the live senders and pace at this process's share; returns the count."""
        now = self.clock()
        async with self.store.unit_of_work() as session:
            await beat(session, name=self.name, now=now)
            senders = await live(session, now=now, within=self.lease)
            await forget(session, before=now - FORGET_AFTER)
        if senders != self.senders:
            log.info("sending as the bot: %d processes share its flood limits", senders)
        self.senders = senders
        self.limiter.share(senders)
        return senders

    async def stop(self) -> None:
        """Stop beating and leave the count at once (the others take up the share at their next beat)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            async with self.store.unit_of_work() as session:
                await forget(session, names=[self.name])
        except Exception:  # noqa: BLE001 - the row ages out of the count after a lease by itself
            log.warning("senders: could not remove this process's row", exc_info=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                await self.once()
            except Exception:  # noqa: BLE001 - the last share stays in force; the next beat tries again
                log.warning("senders: heartbeat failed; pacing at the last known share", exc_info=True)
