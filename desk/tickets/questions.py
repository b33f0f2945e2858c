"""Questions the bot asked a citizen and is waiting on, with the message it holds meanwhile.

A held message is never lost: it stays here, with its time of receipt, until the citizen answers
(the ticket's clock then runs from that receipt), whatever they write in between.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, delete, false, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from desk.organisations.models import organisation_column
from infra.columns import Base, UTCDateTime
from infra.encrypted import EncryptedInt, EncryptedText, chat_hash_column_default, chat_hash_of, chat_hash_type

# category: which kind of matter is this?   followup: add to an open ticket, or a new matter?
# appointment: what for / when?             anonymous: the next message is an anonymous complaint
KINDS = ("category", "followup", "appointment", "anonymous")


class Question(Base):
    """An open question to one chat; anonymous ones name the chat only by a keyed hash."""

    __tablename__ = "citizen_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Not indexed: a question is found by chat (chat_hash, chat_key) or id, each selective on its own.
    organisation_id: Mapped[int] = organisation_column()
    kind: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[int | None] = mapped_column(EncryptedInt("citizen_questions.chat_id"))
    chat_hash: Mapped[str | None] = mapped_column(chat_hash_type(), default=chat_hash_column_default(), index=True)
    chat_key: Mapped[str | None] = mapped_column(String(64), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    language: Mapped[str] = mapped_column(String(8))
    # The held message (category / followup questions).
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    text: Mapped[str | None] = mapped_column(EncryptedText("citizen_questions.text"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    intent: Mapped[str | None] = mapped_column(String(32))  # the category the classifier was sure of
    file_id: Mapped[str | None] = mapped_column(Text)
    file_kind: Mapped[str | None] = mapped_column(String(16))
    preferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    preferred_has_time: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # appointment: whether we still need to hear what it is for; how many answers we took.
    needs_purpose: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    answers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# session.info key: (chat hash, kind) pairs this transaction has read to have no open question.
_NONE_OPEN = "charterdesk.questions.none_open"


def note_none_open(session: AsyncSession, *, chat_id: int, kind: str) -> None:
    """This transaction has just read that the chat has no open question of `kind` (desk/chat_state.py):
    open_for_chat need not ask again until a question is asked in it."""
    session.info.setdefault(_NONE_OPEN, set()).add((chat_hash_of(chat_id), kind))


async def ask(*, session: AsyncSession, question: Question) -> Question:
    """Store a question; its id is known once this returns (buttons carry it)."""
    # What was read as absent for this chat may be there now (other chats of a group commit keep theirs).
    none_open = session.info.get(_NONE_OPEN)
    if none_open:
        if question.chat_id is None:
            none_open.clear()
        else:
            none_open.discard((chat_hash_of(question.chat_id), question.kind))
    session.add(question)
    await session.flush()
    return question


async def get(*, session: AsyncSession, question_id: int) -> Question | None:
    """A question by id."""
    return await session.get(Question, question_id)


async def open_for_chat(
    *, session: AsyncSession, organisation_id: int, chat_id: int, kind: str
) -> Question | None:
    """The newest unanswered question of a kind the organisation asked this chat."""
    # The note is per transaction, and a transaction serves one organisation (one bot's group commit).
    if (chat_hash_of(chat_id), kind) in session.info.get(_NONE_OPEN, ()):
        return None
    query = (
        select(Question)
        .where(Question.organisation_id == organisation_id, Question.chat_hash == chat_hash_of(chat_id),
               Question.kind == kind, Question.answered_at.is_(None))
        .order_by(Question.id.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def held_message(
    *, session: AsyncSession, organisation_id: int, chat_id: int, message_id: int
) -> Question | None:
    """The organisation's unanswered question holding this message, if any (for edits)."""
    query = select(Question).where(
        Question.organisation_id == organisation_id, Question.chat_hash == chat_hash_of(chat_id),
        Question.message_id == message_id, Question.answered_at.is_(None),
    )
    return await session.scalar(query)


async def close_appointment_questions(*, session: AsyncSession, ticket_id: int, now: datetime) -> int:
    """Nothing more to ask about this appointment; how many questions this call closed.

    A conditional UPDATE, so of two concurrent callers only the first closes anything."""
    statement = (
        update(Question)
        .where(Question.ticket_id == ticket_id, Question.kind == "appointment", Question.answered_at.is_(None))
        .values(answered_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return (await session.execute(statement)).rowcount


async def anonymous_waiting(*, session: AsyncSession, organisation_id: int, chat_key: str) -> Question | None:
    """The pending /anonymous of a (hashed) chat at the organisation."""
    query = select(Question).where(
        Question.organisation_id == organisation_id, Question.kind == "anonymous",
        Question.chat_key == chat_key,
    )
    return await session.scalar(query)


async def forget_anonymous(*, session: AsyncSession, organisation_id: int, chat_key: str) -> int:
    """Delete a (hashed) chat's pending /anonymous at the organisation; deleted, not marked, so no timestamp remains."""
    result = await session.execute(
        delete(Question).where(
            Question.organisation_id == organisation_id, Question.kind == "anonymous",
            Question.chat_key == chat_key,
        )
    )
    return result.rowcount or 0
