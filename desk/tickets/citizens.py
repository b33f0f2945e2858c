"""Who is writing: the citizen of a chat and the language we answer them in."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from infra.columns import Base, UTCDateTime
from infra.encrypted import chat_hash_of, chat_hash_type
from desk.languages import choose_language
from desk.tickets import service
from desk.tickets.models import Citizen
from desk.context import Multilingual


class LanguageChoice(Base):
    """A language the citizen picked themselves; it wins over what their messages look like."""

    __tablename__ = "language_choices"

    # A choice made at one organisation's bot is that organisation's: another's asks afresh.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    # The chat's lookup hash: a choice is only ever found by chat, never listed per chat.
    chat_hash: Mapped[str] = mapped_column(chat_hash_type(), primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime)


def speakable(desk: Multilingual) -> tuple[str, ...]:
    """Languages both the charter offers and every text exists in, the charter's order."""
    return tuple(code for code in desk.charter.languages if desk.texts.speaks(code)) or (desk.texts.languages[0],)


async def chosen_language(*, session: AsyncSession, organisation_id: int, chat_id: int) -> str | None:
    """The language this chat picked at this organisation, if it did."""
    choice = await session.get(LanguageChoice, (organisation_id, chat_hash_of(chat_id)))
    return choice.language if choice else None


async def language_for(
    *, session: AsyncSession, desk: Multilingual, chat_id: int, text: str, detected: str | None, hint: str | None
) -> str:
    """The language to answer this chat in, without storing anything (the anonymous path uses this)."""
    chosen = await chosen_language(session=session, organisation_id=desk.organisation_id, chat_id=chat_id)
    if chosen in desk.texts.languages:
        return chosen
    known = await service.get_citizen(session=session, organisation_id=desk.organisation_id, chat_id=chat_id)
    return _pick_language(desk, chosen, known, text=text, detected=detected, hint=hint)


def _pick_language(
    desk: Multilingual, chosen: str | None, known: Citizen | None, *, text: str, detected: str | None, hint: str | None
) -> str:
    if chosen in desk.texts.languages:
        return chosen
    return choose_language(
        text=text,
        detected=detected,
        stored=known.language if known else None,
        telegram_hint=hint,
        speakable=desk.texts.languages,
        default=desk.charter.languages[0],
    )


async def citizen_for(
    *, session: AsyncSession, desk: Multilingual, chat_id: int, text: str, detected: str | None, hint: str | None,
    now: datetime,
) -> Citizen:
    """The chat's citizen (created on first contact), answering in the language we settle on now."""
    # The citizen row is read once here and reused (this runs for every message a citizen sends).
    known = await service.get_citizen(session=session, organisation_id=desk.organisation_id, chat_id=chat_id)
    chosen = await chosen_language(session=session, organisation_id=desk.organisation_id, chat_id=chat_id)
    return await settle_read(session=session, desk=desk, chat_id=chat_id, known=known, chosen=chosen, text=text,
                             detected=detected, hint=hint, now=now)


async def settle_read(
    *, session: AsyncSession, desk: Multilingual, chat_id: int, known: Citizen | None, chosen: str | None, text: str,
    detected: str | None, hint: str | None, now: datetime,
) -> Citizen:
    """citizen_for, for a caller that has read the citizen and the chosen language already (desk/chat_state.py)."""
    language = _pick_language(desk, chosen, known, text=text, detected=detected, hint=hint)
    return await service.settle_citizen(session=session, organisation_id=desk.organisation_id, citizen=known,
                                        chat_id=chat_id, language=language, now=now)


async def choose(
    *, session: AsyncSession, organisation_id: int, chat_id: int, language: str, now: datetime
) -> Citizen:
    """The citizen picked a language: remember the choice and answer in it from now on."""
    chat_hash = chat_hash_of(chat_id)
    choice = await session.get(LanguageChoice, (organisation_id, chat_hash))
    if choice is None:
        session.add(LanguageChoice(organisation_id=organisation_id, chat_hash=chat_hash, language=language,
                                   chosen_at=now))
    else:
        choice.language, choice.chosen_at = language, now
    return await service.upsert_citizen(session=session, organisation_id=organisation_id, chat_id=chat_id,
                                        language=language, now=now)
