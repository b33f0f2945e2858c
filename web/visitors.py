"""Web visitors: a random token held by the visitor's browser, stored only as its hash; never an identity."""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from desk.channels import web_chat_id
from infra.columns import Base, UTCDateTime
from infra.encrypted import EncryptedText

TOKEN_BYTES = 32
# What a well-formed token can be at most (token_urlsafe of TOKEN_BYTES is 43 characters).
MAX_TOKEN_CHARS = 64


class WebVisitor(Base):
    """A browser that opened the chat panel; its chat id is `chat_id` (desk/channels.py)."""

    __tablename__ = "web_visitors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Where to say that an answer is waiting, if the visitor asked for that (web/mail.py); encrypted.
    email: Mapped[str | None] = mapped_column(EncryptedText("web_visitors.email", transport=True))
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def chat_id(self) -> int:
        """The chat id this visitor's messages, tickets and answers go under."""
        return web_chat_id(self.id)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    # A plain SHA-256 is enough: the token is 256 random bits, so there is no list of candidates to try.
    return hashlib.sha256(token.encode()).hexdigest()


async def register(*, session: AsyncSession, now: datetime) -> tuple[WebVisitor, str]:
    """A new visitor and the token their browser keeps (shown once, never stored)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    visitor = WebVisitor(token_hash=hash_token(token), created_at=now, last_seen_at=now)
    session.add(visitor)
    await session.flush()
    return visitor, token


async def find(*, session: AsyncSession, token: str) -> WebVisitor | None:
    """The visitor holding `token`, or None for a token we never issued (or a malformed one)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    return await session.scalar(select(WebVisitor).where(WebVisitor.token_hash == hash_token(token)))
