"""What a chat's next message may be, in one read: its citizen and chosen language, and what we wait for.

Every citizen message used to ask five questions, three of them in transactions of their own: is it a
survey comment (ratings), an anonymous complaint (citizen_questions by keyed hash), an answer to an
appointment question; who is the citizen; which language did they pick. Here they are one SELECT of
scalar subqueries around the citizen's row, read in the message's own transaction; the citizen's open
tickets (which most messages need next) come in the same read, one row each. A group commit reads
the chats of all its messages in that one SELECT (read_many).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, and_, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from desk.outbox import OutboxMessage
from desk.surveys import Rating, survey_key_of
from desk.tickets import questions, service
from desk.tickets.citizens import LanguageChoice
from desk.tickets.enums import TicketStatus
from desk.tickets.models import Citizen, Ticket
from desk.tickets.questions import Question
from infra.columns import UTCDateTime
from infra.encrypted import chat_hash_of


@dataclass(frozen=True)
class ChatState:
    """What one read told about a chat as a message of it arrived."""

    citizen: Citizen | None  # None: first contact
    chosen_language: str | None  # picked with /language, if ever
    comment_rating_id: int | None  # the rating this message may be the comment of ("add a comment" pressed)
    anonymous_waiting: bool  # the chat said /anonymous: this message is the complaint
    appointment_question_id: int | None  # we asked what an appointment is for, or when


@dataclass(frozen=True)
class Arrival:
    """A chat whose message has just arrived: whose state read_many reads."""

    chat_id: int
    at: datetime  # the message's receipt
    anonymous_key: str | None  # the chat's keyed hash on the anonymous path (conversation/citizen/anonymous.py)


async def read(
    session: AsyncSession, *, organisation_id: int, chat_id: int, at: datetime, anonymous_key: str | None
) -> ChatState:
    """The chat's state at `at` (the message's receipt); also tells the session which questions are not open."""
    return (await read_many(session, [Arrival(chat_id, at, anonymous_key)], organisation_id=organisation_id))[
        0
    ]


async def read_many(
    session: AsyncSession, arrivals: Sequence[Arrival], *, organisation_id: int
) -> list[ChatState]:
    """read() for the chats of a group commit at once, in one SELECT (their chats must differ)."""
    if not arrivals:
        return []
    # The chats as a table of constants (a UNION ALL of one-row SELECTs: SQLite has no named VALUES
    # columns); the questions ride on it as subqueries correlated to each chat.
    chats = union_all(*(
        select(
            literal(n, Integer).label("n"), literal(chat_hash_of(arrival.chat_id), String).label("chat_hash"),
            literal(arrival.at, UTCDateTime()).label("at"),
            literal(arrival.anonymous_key or "", String).label("chat_key"),
        )
        for n, arrival in enumerate(arrivals)
    )).subquery("chats")
    chosen = (
        select(LanguageChoice.language)
        .where(
            LanguageChoice.organisation_id == organisation_id, LanguageChoice.chat_hash == chats.c.chat_hash
        )
        .scalar_subquery()
    )
    rating = (
        select(Rating.id)
        .join(OutboxMessage, OutboxMessage.key == survey_key_of(Rating.ticket_id))
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .where(Ticket.organisation_id == organisation_id, Rating.comment_open_until > chats.c.at,
               OutboxMessage.chat_hash == chats.c.chat_hash)
        .order_by(Rating.comment_open_until.desc())
        .limit(1)
        .scalar_subquery()
    )
    appointment = (
        select(Question.id)
        .where(Question.organisation_id == organisation_id, Question.chat_hash == chats.c.chat_hash,
               Question.kind == "appointment",
               Question.answered_at.is_(None))
        .order_by(Question.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    anonymous = (
        select(Question.id)
        .where(Question.organisation_id == organisation_id, Question.kind == "anonymous",
               Question.chat_key == chats.c.chat_key)
        .limit(1)
        .scalar_subquery()
    )
    # A row per chat at least, whatever exists: the citizen is outer-joined to the chat, and their open
    # tickets to them (a row per ticket, soonest due first, as service.open_tickets).
    query = (
        select(chats.c.n, Citizen, chosen, rating, anonymous, appointment, Ticket)
        .select_from(chats)
        .outerjoin(
            Citizen, and_(Citizen.organisation_id == organisation_id, Citizen.chat_hash == chats.c.chat_hash)
        )
        .outerjoin(Ticket, and_(Ticket.citizen_id == Citizen.id, Ticket.status == TicketStatus.OPEN))
        .order_by(chats.c.n, Ticket.due_at, Ticket.id)
    )
    rows_of: dict[int, list] = {}
    for row in (await session.execute(query)).all():
        rows_of.setdefault(row[0], []).append(row)
    return [_state_of(session, arrival, rows_of[n]) for n, arrival in enumerate(arrivals)]


def _state_of(session: AsyncSession, arrival: Arrival, rows: list) -> ChatState:
    """One chat's rows of read_many as its state; notes on the session what the flow need not read again."""
    _, citizen, chosen_language, rating_id, anonymous_id, appointment_id, _ = rows[0]
    if citizen is not None:
        service.note_open_tickets(session, citizen_id=citizen.id, tickets=[row[-1] for row in rows if row[-1]])
    if appointment_id is None:
        questions.note_none_open(session, chat_id=arrival.chat_id, kind="appointment")
    return ChatState(
        citizen=citizen,
        chosen_language=chosen_language,
        comment_rating_id=rating_id,
        anonymous_waiting=arrival.anonymous_key is not None and anonymous_id is not None,
        appointment_question_id=appointment_id,
    )
