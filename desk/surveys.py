"""Ratings of how a ticket was handled: the table and the queries over it (asking and thanking are the
conversation's, conversation/citizen/surveys.py).

A ticket is rated once, 1–5, by the chat it asked: its rating question is the outbox row keyed
survey_key(ticket id), which is also how an optional comment finds its rating.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, cast, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from desk.outbox import OutboxMessage
from desk.tickets.models import Ticket
from infra.columns import Base, UTCDateTime
from infra.database import insert_ignoring_conflicts
from infra.encrypted import EncryptedText, chat_hash_of

SCORES = range(1, 6)
SURVEY_KEY_PREFIX = "survey:"


class Rating(Base):
    """A citizen's 1–5 rating of how one ticket was handled; the ticket, not a citizen id, links it."""

    __tablename__ = "ratings"
    # No organisation_id: a rating is reached from its ticket, and reports join it to tickets.

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(EncryptedText("ratings.comment"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set by the "add a comment" button: the chat's next text message until then is the comment.
    comment_open_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_1_to_5"),)


def survey_key(ticket_id: int) -> str:
    """The outbox key of a ticket's rating question; unique, so a ticket is asked once."""
    return f"{SURVEY_KEY_PREFIX}{ticket_id}"


def survey_key_of(ticket_id_column):
    """survey_key as an SQL expression over a ticket id column."""
    return literal(SURVEY_KEY_PREFIX) + cast(ticket_id_column, String)


async def rating_of(*, session: AsyncSession, ticket_id: int) -> Rating | None:
    """The ticket's rating, if it has one."""
    return await session.scalar(select(Rating).where(Rating.ticket_id == ticket_id))


async def is_rated(*, session: AsyncSession, ticket_id: int) -> bool:
    """Whether the ticket has its rating already."""
    return await rating_of(session=session, ticket_id=ticket_id) is not None


async def add_rating(*, session: AsyncSession, ticket_id: int, score: int, now: datetime) -> bool:
    """Keep the ticket's first rating; False (and nothing written) when it has one already."""
    statement = insert_ignoring_conflicts(session, Rating, ["ticket_id"]).values(
        ticket_id=ticket_id, score=score, created_at=now
    )
    return (await session.execute(statement.returning(Rating.id))).scalar_one_or_none() is not None


async def armed_rating(
    *, session: AsyncSession, organisation_id: int, chat_id: int, at: datetime
) -> Rating | None:
    """The organisation's rating whose comment this chat may still write at `at` ("add a comment" just pressed)."""
    query = (
        select(Rating)
        .join(OutboxMessage, OutboxMessage.key == survey_key_of(Rating.ticket_id))
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .where(Ticket.organisation_id == organisation_id, Rating.comment_open_until > at,
               OutboxMessage.chat_hash == chat_hash_of(chat_id))
        .order_by(Rating.comment_open_until.desc())
        .limit(1)
    )
    return await session.scalar(query)
