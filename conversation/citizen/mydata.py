"""/mydata: everything held about the citizen of a chat, as one JSON document they receive as a file.

What is in it: the citizen record, the language they chose, every ticket linked to them with its
history and rating, the questions we wait on them for. What is not, on purpose:
- anonymous complaints: nothing links them to the chat (that is what anonymous means);
- staff-internal notes (entry kind "note") and the staff ids on entries: working notes may name
  colleagues or third parties, so the export gives their number, and a person at the charter's
  contact answers a formal request for them;
- the audit log (who on staff did what; no citizen data by design).
Texts of erased tickets are empty: they are gone from our side too.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.encrypted import chat_tag
from desk.privacy import chats
from desk.surveys import Rating
from desk.tickets import citizens, service
from desk.tickets.models import Ticket, TicketEntry
from conversation.turns import Answer, Desk, Inbound, Turn

INTERNAL_KINDS = ("note",)
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Export:
    """The file to send (None when we hold nothing: `answer` then says so), its name and caption."""

    answer: Answer
    document: bytes | None = None
    filename: str = "mydata.json"
    caption: str | None = None


async def export(*, session: AsyncSession, desk: Desk, inbound: Inbound, now: datetime) -> Export:
    """/mydata: the chat's data as a JSON file; a redelivered /mydata sends nothing again."""
    if (
        await service.record_inbound(
            session=session, organisation_id=desk.organisation_id, chat_id=inbound.chat_id,
            message_id=inbound.message_id, received_at=inbound.received_at,
        )
        is None
    ):
        return Export(Answer(duplicate=True))
    language = await citizens.language_for(session=session, desk=desk, chat_id=inbound.chat_id, text="",
                                           detected=None, hint=inbound.telegram_language)
    turn = Turn(session=session, desk=desk, now=now, chat_id=inbound.chat_id, language=language,
                key=f"reply:{chat_tag(inbound.chat_id)}:{inbound.message_id}")
    data = await collect(session=session, desk=desk, chat_id=inbound.chat_id, language=language, now=now)
    if data is None:
        await turn.say(turn.text("utter_mydata_nothing"))
        return Export(turn.answer())
    document = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    return Export(turn.answer(), document, f"mydata-{now:%Y%m%d}.json", turn.text("utter_mydata_caption"))


async def collect(*, session: AsyncSession, desk: Desk, chat_id: int, language: str, now: datetime) -> dict | None:
    """Everything held about this chat as plain JSON values; None when we hold nothing."""
    citizen = await service.get_citizen(
        session=session, organisation_id=desk.organisation_id, chat_id=chat_id
    )
    choice = await chats.language_choice(
        session=session, organisation_id=desk.organisation_id, chat_id=chat_id
    )
    waiting = await chats.pending_questions(
        session=session, organisation_id=desk.organisation_id, chat_id=chat_id
    )
    if citizen is None and choice is None and not waiting:
        return None
    tickets = []
    if citizen is not None:
        query = select(Ticket).where(Ticket.citizen_id == citizen.id).order_by(Ticket.id)
        tickets = [await _ticket(session, t) for t in (await session.scalars(query)).all()]
    return {
        "format": FORMAT_VERSION,
        "organisation": desk.charter.organisation.name,
        "generated_at": _iso(now),
        "about": desk.render("utter_mydata_about", language, retention_days=desk.charter.retention_days,
                             contact=desk.known()["contact"]),
        "citizen": None if citizen is None else {
            "chat_id": citizen.chat_id,
            "language": citizen.language,
            "display_name": citizen.display_name,
            "username": citizen.username,
            "first_contact": _iso(citizen.created_at),
            "unreachable_since": _iso(citizen.unreachable_at),
        },
        "language_choice": None if choice is None else {"language": choice.language, "chosen_at": _iso(choice.chosen_at)},
        "tickets": tickets,
        "questions_pending": [
            {
                "kind": q.kind, "asked_at": _iso(q.created_at), "held_message": q.text,
                "held_message_received_at": _iso(q.received_at),
                "held_file": {"kind": q.file_kind, "telegram_file_id": q.file_id} if q.file_id else None,
                "ticket": await _number(session, q.ticket_id),
            }
            for q in waiting
        ],
    }


async def _ticket(session: AsyncSession, ticket: Ticket) -> dict:
    query = select(TicketEntry).where(TicketEntry.ticket_id == ticket.id).order_by(TicketEntry.created_at, TicketEntry.id)
    history = list((await session.scalars(query)).all())
    rating = await session.scalar(select(Rating).where(Rating.ticket_id == ticket.id))
    internal = await session.scalar(
        select(func.count()).select_from(TicketEntry).where(
            TicketEntry.ticket_id == ticket.id, TicketEntry.kind.in_(INTERNAL_KINDS))
    )
    return {
        "number": ticket.number,
        "category": ticket.category,
        "status": ticket.status,
        "language": ticket.language,
        "text": ticket.text,
        "about_ticket": await _number(session, ticket.parent_id),
        "received_at": _iso(ticket.received_at),
        "due_at": _iso(ticket.due_at),
        "answered_at": _iso(ticket.answered_at),
        "closed_at": _iso(ticket.closed_at),
        "preferred_at": _iso(ticket.preferred_at),
        "appointment_at": _iso(ticket.appointment_at),
        "history": [
            {
                "kind": e.kind, "at": _iso(e.created_at), "text": e.text,
                "file": {"kind": e.file_kind, "telegram_file_id": e.file_id} if e.file_id else None,
            }
            for e in history if e.kind not in INTERNAL_KINDS
        ],
        "internal_notes": internal,
        "rating": None if rating is None else {
            "score": rating.score, "comment": rating.comment, "at": _iso(rating.created_at),
        },
    }


async def _number(session: AsyncSession, ticket_id: int | None) -> str | None:
    ticket = await session.get(Ticket, ticket_id) if ticket_id is not None else None
    return ticket.number if ticket is not None else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
