"""A visitor's conversation as the panel shows it: what they wrote and what the desk answered, in order.

The desk's answers are written here by the web transport (web/transport.py) when the outbox delivers
them, so the panel reads them live from the stream or at its next poll, after a reload or a restart
alike. Texts are encrypted at rest like every other message.
"""

from datetime import datetime
from typing import Literal

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from infra.columns import Base, UTCDateTime
from infra.database import insert_ignoring_conflicts
from infra.encrypted import EncryptedText

# One page of the feed: enough for any conversation's backlog at once, small enough for one response.
PAGE = 200


class FeedMessage(Base):
    """One line of a visitor's conversation."""

    __tablename__ = "web_feed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("web_visitors.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(8))  # visitor | desk
    text: Mapped[str] = mapped_column(EncryptedText("web_feed.text", transport=True))
    # Neutral buttons as the outbox keeps them: rows of {"text", "data"} (conversation/buttons.py).
    buttons: Mapped[list | None] = mapped_column(JSON)
    # The outbox row this line delivered, at most one line per row: a web row whose send was marked but never
    # recorded is sent again (desk/outbox.py), and this makes the second write a no-op. Cleared when the row is
    # deleted (the anonymous path deletes its rows, and SQLite may reuse a deleted row's id).
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_web_feed_visitor_id_id", "visitor_id", "id"),)


def as_json(line: FeedMessage) -> dict:
    """What the panel receives for one line."""
    return {"id": line.id, "author": line.author, "text": line.text, "buttons": line.buttons or [],
            "at": line.created_at.isoformat()}


async def add(*, session: AsyncSession, visitor_id: int, author: Literal["visitor", "desk"], text: str,
              now: datetime, buttons: list | None = None, outbox_id: int | None = None) -> bool:
    """Append one line; False when the feed holds a line for that outbox row already (nothing is added)."""
    line = dict(visitor_id=visitor_id, author=author, text=text, buttons=buttons, outbox_id=outbox_id, created_at=now)
    result = await session.execute(insert_ignoring_conflicts(session, FeedMessage, ["outbox_id"]).values(**line))
    return result.rowcount == 1


async def after(*, session: AsyncSession, visitor_id: int, after_id: int = 0) -> list[FeedMessage]:
    """The visitor's lines after line `after_id`, oldest first (one page)."""
    query = (select(FeedMessage).where(FeedMessage.visitor_id == visitor_id, FeedMessage.id > after_id)
             .order_by(FeedMessage.id).limit(PAGE))
    return list(await session.scalars(query))


async def erase(*, session: AsyncSession, visitor_id: int) -> None:
    """Forget the visitor's conversation (their /forget)."""
    await session.execute(delete(FeedMessage).where(FeedMessage.visitor_id == visitor_id))
