"""Staff's corrections of a ticket's category: what the front door got wrong, kept to learn from.

One row per change: the ticket, the category it had and the one staff gave it, who and when, and
the citizen's message as it was then (encrypted like the ticket's text). Erasing a ticket
(/forget, retention: desk/privacy/erase.py) erases the row's text and language; the counts stay,
as the ticket's own figures do, and so does the old category, so the number the citizen first got
(I-1042 for what is now C-1042) still names the ticket.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from desk.tickets.enums import Category
from desk.tickets.models import Ticket
from infra.columns import Base, StrEnumText, UTCDateTime
from infra.encrypted import EncryptedText


# The categories staff may give a ticket: the kinds the front door itself tells apart (the
# classifier's ticket intents). A non-response complaint is not one: the door opens it only for a
# complaint about a named late ticket (parent_id), which a change of category cannot supply.
CORRECTABLE_TO: tuple[Category, ...] = (Category.INQUIRY, Category.COMPLAINT, Category.APPOINTMENT_REQUEST)


class Correction(Base):
    """A ticket moved from one category to another by a staff member."""

    __tablename__ = "ticket_corrections"
    # No organisation_id: corrections are read per ticket, or joined to tickets for one organisation's learning.

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    from_category: Mapped[Category] = mapped_column(StrEnumText(Category, 32))
    to_category: Mapped[Category] = mapped_column(StrEnumText(Category, 32))
    staff_id: Mapped[int] = mapped_column(BigInteger)  # the staff member's Telegram user id
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The citizen's message as the classifier read it; None once the ticket is erased.
    text: Mapped[str | None] = mapped_column(EncryptedText("ticket_corrections.text"))
    language: Mapped[str | None] = mapped_column(String(8))
    # Loaded only where asked for (recent), to name the ticket by its number.
    ticket: Mapped[Ticket] = relationship(lazy="raise")

    __table_args__ = (Index("ix_ticket_corrections_ticket_id", "ticket_id"),)


@dataclass(frozen=True)
class Example:
    """A corrected message as training data: its text, the right category and its language."""

    text: str
    category: str
    language: str


async def record(
    *, session: AsyncSession, ticket: Ticket, from_category: Category, staff_id: int, now: datetime
) -> Correction:
    """Keep the change just made to `ticket` (its category is the new one already)."""
    row = Correction(
        ticket_id=ticket.id, from_category=from_category, to_category=ticket.category, staff_id=staff_id,
        corrected_at=now, text=ticket.text, language=ticket.language,
    )
    session.add(row)
    await session.flush()
    return row


async def former_categories(*, session: AsyncSession, ticket_id: int) -> set[Category]:
    """Every category the ticket had before staff changed it."""
    query = select(Correction.from_category).where(Correction.ticket_id == ticket_id)
    return {Category(c) for c in (await session.scalars(query)).all()}


async def names_ticket(*, session: AsyncSession, ticket: Ticket, category: str) -> bool:
    """Whether a number typed with `category`'s letter names this ticket: its own, or one it had."""
    return category == ticket.category or category in await former_categories(session=session, ticket_id=ticket.id)


async def confusion(*, session: AsyncSession) -> Counter[tuple[Category, Category]]:
    """How many times staff moved a ticket from one category to another."""
    rows = (await session.execute(select(Correction.from_category, Correction.to_category))).all()
    return Counter((Category(a), Category(b)) for a, b in rows)


async def recent(*, session: AsyncSession, limit: int) -> list[Correction]:
    """The latest corrections, newest first, each with its ticket (for its number)."""
    query = select(Correction).options(joinedload(Correction.ticket)).order_by(Correction.corrected_at.desc(), Correction.id.desc()).limit(limit)
    return list((await session.scalars(query)).all())


async def examples(*, session: AsyncSession) -> list[Example]:
    """Each corrected ticket's message once, with its latest category and its language.

    A ticket corrected twice (inquiry -> complaint -> appointment) teaches its last answer; an erased
    one teaches nothing."""
    query = select(Correction).where(Correction.text.is_not(None)).order_by(Correction.corrected_at, Correction.id)
    latest: dict[int, Correction] = {}
    for row in (await session.scalars(query)).all():
        latest[row.ticket_id] = row
    return [
        Example(text=row.text, category=row.to_category, language=row.language)
        for row in latest.values()
        if row.text and row.text.strip()
    ]


async def erase(*, session: AsyncSession, ticket_ids: list[int]) -> None:
    """Forget the texts (and the language they were written in) kept with these tickets' corrections."""
    for row in (await session.scalars(select(Correction).where(Correction.ticket_id.in_(ticket_ids)))).all():
        row.text = row.language = None
