"""What a chat's next message may be, in one read: its citizen and chosen language, and what we wait for.

Every citizen message used to ask five questions, three of them in transactions of their own: is it a
survey comment (ratings), an anonymous complaint (citizen_questions by keyed hash), an answer to an
appointment question; who is the citizen; which language did they pick. Here they are one SELECT of
scalar subqueries around the citizen's row, read in the message's own transaction; the citizen's open
tickets (which most messages need next) come in the same read, one row each.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.outbox import OutboxMessage
from desk.surveys import Rating, survey_key_of
from desk.tickets import questions, service
from desk.tickets.citizens import LanguageChoice
from desk.tickets.enums import TicketStatus
from desk.tickets.models import Citizen, Ticket
from desk.tickets.questions import Question
from infra.encrypted import chat_hash_of


@dataclass(frozen=True)
class ChatState:
    """What one read told about a chat as a message of it arrived."""

    citizen: Citizen | None  # None: first contact
    chosen_language: str | None  # picked with /language, if ever
    comment_rating_id: int | None  # the rating this message may be the comment of ("add a comment" pressed)
    anonymous_waiting: bool  # the chat said /anonymous: this message is the complaint
    appointment_question_id: int | None  # we asked what an appointment is for, or when


async def read(session: AsyncSession, *, chat_id: int, at: datetime, anonymous_key: str | None) -> ChatState:
    """The chat's state at `at` (the message's receipt); also tells the session which questions are not open."""
    chat_hash = chat_hash_of(chat_id)
    chosen = select(LanguageChoice.language).where(LanguageChoice.chat_hash == chat_hash).scalar_subquery()
    rating = (
        select(Rating.id)
        .join(OutboxMessage, OutboxMessage.key == survey_key_of(Rating.ticket_id))
        .where(Rating.comment_open_until > at, OutboxMessage.chat_hash == chat_hash)
        .order_by(Rating.comment_open_until.desc())
        .limit(1)
        .scalar_subquery()
    )
    appointment = (
        select(Question.id)
        .where(Question.chat_hash == chat_hash, Question.kind == "appointment", Question.answered_at.is_(None))
        .order_by(Question.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    anonymous = (
        select(Question.id)
        .where(Question.kind == "anonymous", Question.chat_key == (anonymous_key or ""))
        .limit(1)
        .scalar_subquery()
    )
    # One row at least whatever exists: the subqueries ride on a constant, the citizen is outer-joined to
    # it, and their open tickets to them (a row per ticket, soonest due first, as service.open_tickets).
    one = select(literal(1).label("one")).subquery()
    query = (
        select(Citizen, chosen, rating, anonymous, appointment, Ticket)
        .select_from(one)
        .outerjoin(Citizen, Citizen.chat_hash == chat_hash)
        .outerjoin(Ticket, and_(Ticket.citizen_id == Citizen.id, Ticket.status == TicketStatus.OPEN))
        .order_by(Ticket.due_at, Ticket.id)
    )
    rows = (await session.execute(query)).all()
    citizen, chosen_language, rating_id, anonymous_id, appointment_id, _ = rows[0]
    if citizen is not None:
        service.note_open_tickets(session, citizen_id=citizen.id, tickets=[row[-1] for row in rows if row[-1]])
    if appointment_id is None:
        questions.note_none_open(session, chat_id=chat_id, kind="appointment")
    return ChatState(
        citizen=citizen,
        chosen_language=chosen_language,
        comment_rating_id=rating_id,
        anonymous_waiting=anonymous_key is not None and anonymous_id is not None,
        appointment_question_id=appointment_id,
    )
