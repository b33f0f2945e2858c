"""Attempts counted in the database (wrong receipt codes), so a limit holds across restarts and processes.

The subject is a keyed hash of the chat, never the chat id: a wrong-code record must not say who
was looking for an anonymous complaint.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import Counter
from sqlalchemy import Index, Integer, String, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from infra.columns import Base, UTCDateTime

# Wrong receipt codes: at most 5 per 10 minutes per chat.
WRONG_CODE = "wrong_code"
WRONG_CODE_LIMIT = 5
WRONG_CODE_WINDOW = timedelta(minutes=10)
# Wrong receipt codes from all chats together: many chats guessing in parallel share one budget.
GLOBAL_WRONG_CODES_PER_MINUTE = 30

# Registered in the process's registry by bot/metrics.py; labels never name a chat.
CODE_CHECKS = Counter(
    "charterdesk_receipt_code_checks",
    "Receipt codes checked (/status CODE, sealing), by outcome: opened, wrong, refused_chat (the chat's limit), "
    "refused_global (the budget of all chats).",
    ["outcome"],
    registry=None,
)


@dataclass(frozen=True)
class GuessBudget:
    """How many wrong receipt codes all chats together may try in a window before every check pauses."""

    limit: int = GLOBAL_WRONG_CODES_PER_MINUTE
    window: timedelta = timedelta(minutes=1)

    def bucket(self, now: datetime) -> int:
        """Which window `now` falls in (a staff alert is sent once per window)."""
        return int(now.timestamp() // self.window.total_seconds())


class Attempt(Base):
    """One counted attempt of some kind by some (hashed) subject."""

    __tablename__ = "throttle_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    subject: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_throttle_attempts_kind_subject_at", "kind", "subject", "at"),)


async def attempts_within(
    *, session: AsyncSession, kind: str, subject: str, window: timedelta, now: datetime
) -> int:
    """How many attempts the subject made in the window ending now."""
    query = select(func.count()).where(
        Attempt.kind == kind, Attempt.subject == subject, Attempt.at > now - window
    )
    return (await session.execute(query)).scalar_one()


async def attempts_everywhere(*, session: AsyncSession, kind: str, window: timedelta, now: datetime) -> int:
    """How many attempts of this kind all subjects together made in the window ending now."""
    query = select(func.count()).where(Attempt.kind == kind, Attempt.at > now - window)
    return (await session.execute(query)).scalar_one()


async def is_throttled(
    *, session: AsyncSession, kind: str, subject: str, limit: int, window: timedelta, now: datetime
) -> bool:
    """Whether the subject already used up its attempts in the window."""
    return await attempts_within(session=session, kind=kind, subject=subject, window=window, now=now) >= limit


async def count_attempt(
    *, session: AsyncSession, kind: str, subject: str, window: timedelta, now: datetime
) -> None:
    """Record one attempt, forgetting the subject's attempts that no window can reach any more."""
    await session.execute(
        delete(Attempt).where(Attempt.kind == kind, Attempt.subject == subject, Attempt.at <= now - window)
    )
    session.add(Attempt(kind=kind, subject=subject, at=now))
    await session.flush()
