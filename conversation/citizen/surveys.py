"""Satisfaction surveys: ask once per ticket for a 1–5 rating, record it, and take an optional comment.

The question is an outbox row keyed "survey:<ticket id>"; the chat it went to is the only chat whose
button presses count. An anonymous ticket is asked only through the sealed channel its sender chose
(conversation.citizen.anonymous pushes the question with the answer, on a row deleted once sent); there the
only chat whose presses count is the one sealed in its receipt, and no comment is taken, because a
comment is matched to its rating through the question's outbox row.
A comment is taken only after the citizen pressed "add a comment", from their next text message
within COMMENT_WINDOW, so an ordinary new request is never taken for a comment.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.anonymous import receipts
from desk import outbox
from infra.encrypted import chat_tag
from desk.outbox import OutboxMessage
from infra.sealing import Sealer, SealingError
from desk.tickets import service
from conversation.buttons import AddComment, Button, Keyboard, Rate, stored
from conversation.citizen.flows import Answer, Desk, Inbound
from conversation.turns import LABEL_JOINER
from desk.tickets.enums import TicketStatus
from desk.tickets.models import Citizen, Ticket
from desk.languages import is_language_code
from desk.surveys import SCORES, add_rating, armed_rating, rating_of, survey_key, survey_key_of

# The final reply goes out first; the question follows once it has been delivered and read.
ASK_DELAY = timedelta(minutes=1)
# Long enough to type a few sentences, short enough that a later new request is not taken for one.
COMMENT_WINDOW = timedelta(minutes=10)
COMMENT_MAX_CHARS = 2000
SWEEP_LIMIT = 100
# How long after a visit it is still worth asking about it. It also bounds the appointment survey's
# scan to recent appointments, so the sweep's cost does not grow with every answered ticket ever kept.
VISIT_SURVEY_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Press:
    """What a survey button press leads to: a short notice, and the question message's new text, if any."""

    status: str  # recorded | already | invalid | armed | commented
    notice: str
    message: str | None = None  # None: leave the question message as it is
    buttons: Keyboard | None = None  # under the new message


async def ask_for_rating(
    *, session: AsyncSession, desk: Desk, ticket: Ticket, now: datetime
) -> outbox.Outgoing | None:
    """Promise the rating question after a final reply; None when not asked (again, or at all).

    An anonymous ticket is never asked here (its sealed channel asks, see the module's note); an
    appointment whose date is still ahead is asked after it (see due_appointment_surveys)."""
    if not desk.charter.satisfaction_survey.ask_after_reply or ticket.anonymous:
        return None
    if ticket.appointment_at is not None and ticket.appointment_at > now:
        return None
    citizen = await session.get(Citizen, ticket.citizen_id) if ticket.citizen_id is not None else None
    if citizen is None or citizen.unreachable_at is not None:
        return None
    text, buttons = rating_question(desk, ticket, citizen.language)
    return await outbox.enqueue(
        session,
        organisation_id=desk.organisation_id,
        key=survey_key(ticket.id),
        chat_id=citizen.chat_id,
        text=text,
        now=now,
        reply_markup=stored(buttons),
        ticket_id=ticket.id,
        not_before=desk.charter.quiet_hours_end(now + ASK_DELAY),
    )


def rating_question(desk: Desk, ticket: Ticket, language: str | None) -> tuple[str, Keyboard]:
    """The rating question about a ticket, in `language` (the fallback pair, or the charter's), and its score buttons."""
    language = _answerable(desk, language)
    return desk.render("utter_survey_question", language, number=ticket.number), _score_buttons(ticket.id)


async def due_appointment_surveys(
    *, session: AsyncSession, desk: Desk, now: datetime
) -> list[outbox.Outgoing]:
    """Ask about confirmed appointments whose date has passed (not closed, not asked yet)."""
    if not desk.charter.satisfaction_survey.ask_after_reply:
        return []
    asked = select(OutboxMessage.id).where(OutboxMessage.key == survey_key_of(Ticket.id))
    query = (
        select(Ticket)
        .join(Citizen, Ticket.citizen_id == Citizen.id)
        .where(
            Ticket.organisation_id == desk.organisation_id, Ticket.appointment_at < now,
            Ticket.appointment_at >= now - VISIT_SURVEY_WINDOW, Ticket.status != TicketStatus.CLOSED,
            Ticket.anonymous.is_(False), Citizen.unreachable_at.is_(None), ~exists(asked),
        )
        .order_by(Ticket.appointment_at, Ticket.id)
        .limit(SWEEP_LIMIT)
    )
    asked_now = []
    for ticket in (await session.scalars(query)).all():
        question = await ask_for_rating(session=session, desk=desk, ticket=ticket, now=now)
        if question is not None:
            asked_now.append(question)
    return asked_now


async def record_rating(
    *, session: AsyncSession, desk: Desk, ticket_id: int, score: int, chat_id: int, now: datetime,
    sealer: Sealer | None = None,
) -> Press:
    """A score was pressed in `chat_id`: keep the first valid rating of the ticket, change nothing after.

    `sealer` opens an anonymous ticket's sealed channel; without it anonymous presses never count."""
    ticket = await session.get(Ticket, ticket_id) if ticket_id > 0 else None
    language = await _language_for(session, desk, chat_id, ticket)
    if score not in SCORES or ticket is None or not await _asked_in(session, ticket, chat_id, sealer):
        return Press("invalid", desk.render("utter_survey_invalid", language))
    if not await add_rating(session=session, ticket_id=ticket.id, score=score, now=now):
        kept = await rating_of(session=session, ticket_id=ticket.id)
        text = desk.render("utter_survey_already", language, number=ticket.number, score=kept.score)
        return Press("already", text)
    comment = None if ticket.anonymous else _comment_button(
        ticket.id, desk.render("utter_survey_comment_button", language, joiner=LABEL_JOINER)
    )
    return Press(
        "recorded",
        desk.render("utter_survey_thanks", language),
        message=desk.render("utter_survey_rated", language, number=ticket.number, score=score),
        buttons=comment,
    )


async def open_comment(
    *, session: AsyncSession, desk: Desk, ticket_id: int, chat_id: int, now: datetime
) -> Press:
    """ "Add a comment" was pressed: the chat's next text message within COMMENT_WINDOW is the comment."""
    ticket = await session.get(Ticket, ticket_id) if ticket_id > 0 else None
    language = await _language_for(session, desk, chat_id, ticket)
    rating = await rating_of(session=session, ticket_id=ticket_id) if ticket is not None else None
    if rating is None or ticket.anonymous or not await _asked_in(session, ticket, chat_id, None):
        return Press("invalid", desk.render("utter_survey_invalid", language))
    if rating.comment is not None:
        return Press(
            "commented", desk.render("utter_survey_comment_exists", language, number=ticket.number)
        )
    rating.comment_open_until = now + COMMENT_WINDOW
    minutes = int(COMMENT_WINDOW.total_seconds() // 60)
    prompt = desk.render("utter_survey_comment_prompt", language, number=ticket.number, minutes=minutes)
    rated = desk.render("utter_survey_rated", language, number=ticket.number, score=rating.score)
    return Press("armed", prompt, message=f"{rated}\n\n{prompt}")


async def take_comment(
    *, session: AsyncSession, desk: Desk, inbound: Inbound, now: datetime
) -> Answer | None:
    """The citizen's text is their comment if they asked to add one just before; None: not a comment."""
    rating = await armed_rating(
        session=session, organisation_id=desk.organisation_id, chat_id=inbound.chat_id, at=inbound.received_at
    )
    if rating is None:
        return None
    inbound_id = await service.record_inbound(
        session=session, organisation_id=desk.organisation_id, chat_id=inbound.chat_id,
        message_id=inbound.message_id, received_at=inbound.received_at,
    )
    if inbound_id is None:
        return Answer(duplicate=True)
    rating.comment = inbound.text[:COMMENT_MAX_CHARS]
    rating.comment_open_until = None
    ticket = await session.get(Ticket, rating.ticket_id)
    language = await _language_for(session, desk, inbound.chat_id, ticket)
    outgoing = await outbox.enqueue(
        session,
        organisation_id=desk.organisation_id,
        key=f"reply:{chat_tag(inbound.chat_id)}:{inbound.message_id}",
        chat_id=inbound.chat_id,
        text=desk.render("utter_survey_comment_saved", language, number=ticket.number),
        now=now,
        ticket_id=ticket.id,
        claim=True,
    )
    return Answer(duplicate=False, language=language, outgoing=[outgoing] if outgoing else [])


async def _asked_in(session: AsyncSession, ticket: Ticket, chat_id: int, sealer: Sealer | None) -> bool:
    if ticket.anonymous:
        return await _sealed_to(session, ticket, chat_id, sealer)
    query = select(OutboxMessage.chat_id).where(OutboxMessage.key == survey_key(ticket.id))
    return (await session.scalar(query)) == chat_id


async def _sealed_to(session: AsyncSession, ticket: Ticket, chat_id: int, sealer: Sealer | None) -> bool:
    """Whether `chat_id` is the channel the anonymous ticket's sender sealed (and so was asked there)."""
    receipt = await receipts.for_ticket(session=session, ticket_id=ticket.id)
    if sealer is None or receipt is None or receipt.sealed_chat is None or ticket.answered_at is None:
        return False
    try:
        return sealer.unseal_chat(receipt.sealed_chat, purpose=receipts.purpose_of(receipt)) == chat_id
    except SealingError:
        return False


async def _language_for(session: AsyncSession, desk: Desk, chat_id: int, ticket: Ticket | None) -> str:
    citizen = await service.get_citizen(
        session=session, organisation_id=desk.organisation_id, chat_id=chat_id
    )
    return _answerable(desk, citizen.language if citizen else ticket.language if ticket else None)


def _answerable(desk: Desk, language: str | None) -> str:
    # Any language code will do: desk.render answers one we have no texts in with the fallback pair.
    return language if is_language_code(language) else desk.charter.languages[0]


def _score_buttons(ticket_id: int) -> Keyboard:
    return [[Button(str(score), Rate(ticket_id, score)) for score in SCORES]]


def _comment_button(ticket_id: int, label: str) -> Keyboard:
    return [[Button(label, AddComment(ticket_id))]]
