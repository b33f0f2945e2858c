"""Rows of the staff domain: the registry of staff members, and answers waiting for confirmation."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desk.organisations.models import organisation_column
from infra.columns import Base, UTCDateTime
from infra.encrypted import EncryptedText


class Staff(Base):
    """A staff member known by Telegram user id; `role` is agent, officer or admin."""

    __tablename__ = "staff_members"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # A member of one organisation (telegram_id stays the key): their commands act within it alone.
    organisation_id: Mapped[int] = organisation_column(index=True)
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    # Learned from their messages (lower case, no "@"), so colleagues can /assign N @username.
    username: Mapped[str | None] = mapped_column(Text)
    # Who last changed the row by command; None while the row is as the charter seeded it, which
    # is what lets a restart apply charter edits without undoing an admin's /staff changes.
    changed_by: Mapped[int | None] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # kept, so names stay readable

    @property
    def active(self) -> bool:
        return self.removed_at is None


class Draft(Base):
    """An answer a staff member wrote by replying to a ticket card, sent only once they confirm it."""

    __tablename__ = "staff_drafts"
    # No organisation_id: a draft is reached from its ticket's card, and is its ticket's organisation's.

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Erasing a ticket (retention) takes its unsent drafts with it.
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(BigInteger)
    # An answer to a citizen says things about their matter: encrypted like the ticket's texts.
    text: Mapped[str] = mapped_column(EncryptedText("staff_drafts.text"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))  # sent | cancelled
