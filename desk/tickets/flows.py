"""Use cases of the ticket domain, called alike from Telegram handlers, sweeps, the CLI and tests."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from desk import outbox
from desk.charter import Charter
from desk.languages import choose_language
from desk.texts import Texts, format_moment
from desk.tickets import service

# Intents that open a ticket, and the charter clock each one runs on.
TICKET_CATEGORIES = {
    "inquiry": "inquiry",
    "complaint": "complaint",
    "appointment_request": "appointment_request",
}


@dataclass(frozen=True)
class Inbound:
    """A citizen's message as the transport received it."""

    chat_id: int
    message_id: int
    text: str
    received_at: datetime
    telegram_language: str | None = None


@dataclass(frozen=True)
class Understanding:
    """What the classifier made of a message."""

    intent: str
    language: str | None


@dataclass(frozen=True)
class Answer:
    """The outcome of taking one message: what to send now, and the ticket it opened, if any."""

    duplicate: bool
    language: str | None = None
    outgoing: list[outbox.Outgoing] = field(default_factory=list)
    ticket_number: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class Desk:
    """What every flow needs to know about the organisation: its charter and its words."""

    charter: Charter
    texts: Texts

    def moment(self, at: datetime, language: str) -> str:
        """A moment in the charter's timezone, formatted for the language."""
        return format_moment(at, language, self.charter.timezone)


async def take_message(
    *, session: AsyncSession, desk: Desk, inbound: Inbound, understanding: Understanding, now: datetime
) -> Answer:
    """A citizen wrote: open a ticket or answer, promise the reply in the outbox; a repeat is a no-op."""
    inbound_id = await service.record_inbound(
        session=session, chat_id=inbound.chat_id, message_id=inbound.message_id, received_at=inbound.received_at
    )
    if inbound_id is None:
        return Answer(duplicate=True)
    citizen = await _citizen_for(session, desk, inbound, understanding.language, now)
    language = citizen.language
    category = TICKET_CATEGORIES.get(understanding.intent)
    if category is None:
        text = await _answer_without_ticket(session, desk, citizen, understanding.intent)
        return await _reply(session, inbound, text, language, now)
    due_at = desk.charter.due_at(category, inbound.received_at)
    ticket = await service.create_ticket(
        session=session,
        citizen=citizen,
        category=category,
        language=language,
        text=inbound.text,
        received_at=inbound.received_at,
        due_at=due_at,
        remind_at=desk.charter.remind_at(category, due_at),
    )
    await service.link_inbound(session=session, inbound_id=inbound_id, ticket_id=ticket.id)
    text = desk.texts.render(
        f"utter_ticket_opened_{category}", language, number=ticket.number, due=desk.moment(due_at, language)
    )
    answer = await _reply(session, inbound, text, language, now, ticket_id=ticket.id)
    return Answer(
        duplicate=False, language=language, outgoing=answer.outgoing, ticket_number=ticket.number, due_at=due_at
    )


async def answer_command(
    *, session: AsyncSession, desk: Desk, inbound: Inbound, response: str, now: datetime
) -> Answer:
    """A citizen sent a command such as /start: answer it once, in their language."""
    if await service.record_inbound(
        session=session, chat_id=inbound.chat_id, message_id=inbound.message_id, received_at=inbound.received_at
    ) is None:
        return Answer(duplicate=True)
    citizen = await _citizen_for(session, desk, inbound, None, now)
    text = desk.texts.render(response, citizen.language, **_organisation_params(desk))
    return await _reply(session, inbound, text, citizen.language, now)


async def _citizen_for(session, desk: Desk, inbound: Inbound, detected: str | None, now: datetime):
    known = await service.get_citizen(session=session, chat_id=inbound.chat_id)
    language = choose_language(
        text=inbound.text,
        detected=detected,
        stored=known.language if known else None,
        telegram_hint=inbound.telegram_language,
        speakable=desk.texts.languages,
        default=desk.charter.languages[0],
    )
    return await service.upsert_citizen(session=session, chat_id=inbound.chat_id, language=language, now=now)


async def _answer_without_ticket(session, desk: Desk, citizen, intent: str) -> str:
    language = citizen.language
    if intent != "check_status":
        return desk.texts.render(f"utter_{intent}", language, **_organisation_params(desk))
    tickets = await service.open_tickets(session=session, citizen_id=citizen.id)
    if not tickets:
        return desk.texts.render("utter_status_none", language)
    lines = [desk.texts.render("utter_status_header", language)]
    lines += [
        desk.texts.render("utter_status_line", language, number=t.number, due=desk.moment(t.due_at, language))
        for t in tickets
    ]
    return "\n".join(lines)


async def _reply(
    session, inbound: Inbound, text: str, language: str, now: datetime, ticket_id: int | None = None
) -> Answer:
    # Keyed by the message answered, so a redelivered update can never promise a second reply.
    outgoing = await outbox.enqueue(
        session,
        key=f"reply:{inbound.chat_id}:{inbound.message_id}",
        chat_id=inbound.chat_id,
        text=text,
        now=now,
        ticket_id=ticket_id,
        claim=True,
    )
    return Answer(duplicate=False, language=language, outgoing=[outgoing] if outgoing else [])


def _organisation_params(desk: Desk) -> dict[str, object]:
    return {
        "organisation": desk.charter.organisation.name,
        "retention_days": desk.charter.retention_days,
    }
