"""Answers written by replying to a ticket card: kept until their author confirms or cancels them."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from desk.staff.models import Draft


async def create(*, session: AsyncSession, ticket_id: int, author_id: int, text: str, now: datetime) -> Draft:
    """Keep an answer waiting for confirmation."""
    draft = Draft(ticket_id=ticket_id, author_id=author_id, text=text, created_at=now)
    session.add(draft)
    await session.flush()
    return draft


async def get(*, session: AsyncSession, draft_id: int) -> Draft | None:
    """A draft by id."""
    return await session.get(Draft, draft_id)


def settle(draft: Draft, *, outcome: str, now: datetime) -> None:
    """Mark a draft sent or cancelled; a settled draft is never sent again."""
    draft.outcome, draft.settled_at = outcome, now
