"""Rows that name a citizen's chat, found and deleted by chat id (/forget, and retention of idle citizens).

Every lookup by chat of the privacy flows is here. Chat ids are stored encrypted, so rows are found
by the chat's keyed lookup hash (`chat_hash`, infra/encrypted.py).
"""

from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.encrypted import chat_hash_of
from desk.outbox import OutboxMessage
from desk.tickets import service
from desk.tickets.citizens import LanguageChoice
from desk.tickets.models import Citizen, InboundMessage
from desk.tickets.questions import Question


async def pending_questions(*, session: AsyncSession, organisation_id: int, chat_id: int) -> list[Question]:
    """Questions the organisation asked this chat and still waits on, oldest first."""
    query = (
        select(Question)
        .where(Question.organisation_id == organisation_id, Question.chat_hash == chat_hash_of(chat_id),
               Question.answered_at.is_(None))
        .order_by(Question.id)
    )
    return list((await session.scalars(query)).all())


async def language_choice(
    *, session: AsyncSession, organisation_id: int, chat_id: int
) -> LanguageChoice | None:
    """The language this chat picked itself at the organisation, if it did."""
    return await session.get(LanguageChoice, (organisation_id, chat_hash_of(chat_id)))


def citizen_seen_since(since: datetime):
    """SQL condition on Citizen: their chat wrote to us at or after `since`."""
    return exists().where(
        InboundMessage.organisation_id == Citizen.organisation_id,
        InboundMessage.chat_hash == Citizen.chat_hash, InboundMessage.received_at >= since,
    )


async def forget_chat(*, session: AsyncSession, organisation_id: int, chat_id: int) -> None:
    """Delete the organisation's citizen of this chat and every row of its that names the chat (tickets must be
    erased first). Other organisations' rows for the same chat (their bots, their matters) stay."""
    chat_hash = chat_hash_of(chat_id)
    for statement in (
        delete(Question).where(Question.organisation_id == organisation_id, Question.chat_hash == chat_hash),
        delete(LanguageChoice).where(
            LanguageChoice.organisation_id == organisation_id, LanguageChoice.chat_hash == chat_hash
        ),
        # Whatever was to go to them, or went: its columns name the chat, its texts their matters.
        delete(OutboxMessage).where(OutboxMessage.organisation_id == organisation_id, OutboxMessage.chat_hash == chat_hash),
        delete(InboundMessage).where(
            InboundMessage.organisation_id == organisation_id, InboundMessage.chat_hash == chat_hash
        ),
    ):
        await session.execute(statement)
    citizen = await service.get_citizen(session=session, organisation_id=organisation_id, chat_id=chat_id)
    if citizen is not None:
        await session.delete(citizen)
        await session.flush()


async def orphan_choices(*, session: AsyncSession, before: datetime) -> int:
    """Delete language choices made before `before` by chats we no longer know as citizens."""
    known = exists().where(
        Citizen.organisation_id == LanguageChoice.organisation_id,
        Citizen.chat_hash == LanguageChoice.chat_hash,
    )
    result = await session.execute(delete(LanguageChoice).where(LanguageChoice.chosen_at < before, ~known))
    return result.rowcount or 0
