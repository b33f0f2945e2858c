"""A ticket's history (ticket_entries) and which messages belong to which ticket."""

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infra.encrypted import chat_hash_of
from desk.outbox import OutboxMessage
from desk.tickets.enums import Category, TicketStatus
from desk.tickets.models import InboundMessage, Ticket, TicketEntry

# Entries the citizen reads as answers.
REPLY_KINDS = ("staff_reply", "interim")
# An escalation to the designated officers (missed deadline, or a citizen's non-response complaint);
# the compliance report counts these.
ESCALATION = "escalation"


async def add(
    *,
    session: AsyncSession,
    ticket: Ticket,
    kind: str,
    now: datetime,
    text: str | None = None,
    file_id: str | None = None,
    file_kind: str | None = None,
    message_id: int | None = None,
    author_id: int | None = None,
    flush: bool = True,
) -> TicketEntry:
    """Append one event to a ticket's history; author_id is a staff member's, None for the citizen or desk."""
    entry = TicketEntry(
        ticket_id=ticket.id, kind=kind, author_id=author_id, text=text, file_id=file_id, file_kind=file_kind,
        telegram_message_id=message_id, created_at=now,
    )
    session.add(entry)
    if flush:  # the entry's id is known once this returns
        await session.flush()
    return entry


async def link_message(*, session: AsyncSession, chat_id: int, message_id: int, ticket_id: int) -> None:
    """Note that a citizen's message went into this ticket (edits and replies find it again)."""
    # One UPDATE rather than a SELECT and a flushed change: this runs for every ticket opened.
    await session.execute(
        update(InboundMessage)
        .where(InboundMessage.chat_hash == chat_hash_of(chat_id), InboundMessage.message_id == message_id)
        .values(ticket_id=ticket_id)
    )


async def ticket_of_message(*, session: AsyncSession, chat_id: int, message_id: int) -> int | None:
    """The ticket a message in this chat belongs to: the citizen's own message, or one of our answers."""
    own = await session.scalar(
        select(InboundMessage.ticket_id).where(
            InboundMessage.chat_hash == chat_hash_of(chat_id), InboundMessage.message_id == message_id
        )
    )
    if own is not None:
        return own
    return await session.scalar(
        select(OutboxMessage.ticket_id).where(
            OutboxMessage.chat_hash == chat_hash_of(chat_id), OutboxMessage.telegram_message_id == message_id
        )
    )


async def citizen_entry(*, session: AsyncSession, ticket_id: int, message_id: int) -> TicketEntry | None:
    """The follow-up entry a citizen's message made, if it made one."""
    return await session.scalar(
        select(TicketEntry).where(
            TicketEntry.ticket_id == ticket_id,
            TicketEntry.telegram_message_id == message_id,
            TicketEntry.kind.in_(("citizen_message", "attachment")),
            TicketEntry.author_id.is_(None),
        )
    )


async def replies(*, session: AsyncSession, ticket_id: int) -> list[TicketEntry]:
    """The answers a ticket got (final replies and interim notices), oldest first."""
    query = (
        select(TicketEntry)
        .where(TicketEntry.ticket_id == ticket_id, TicketEntry.kind.in_(REPLY_KINDS))
        .order_by(TicketEntry.created_at, TicketEntry.id)
    )
    return list((await session.scalars(query)).all())


async def recent_tickets(*, session: AsyncSession, citizen_id: int, since: datetime, limit: int = 10) -> list[Ticket]:
    """The citizen's open tickets and those answered or closed since `since`, newest first."""
    query = (
        select(Ticket)
        .where(
            Ticket.citizen_id == citizen_id,
            or_(Ticket.status == TicketStatus.OPEN, Ticket.answered_at >= since, Ticket.closed_at >= since),
        )
        .order_by(Ticket.received_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def open_non_response_about(*, session: AsyncSession, parent_id: int) -> Ticket | None:
    """An open non-response complaint already raised about this ticket."""
    return await session.scalar(
        select(Ticket).where(
            Ticket.parent_id == parent_id,
            Ticket.category == Category.NON_RESPONSE_COMPLAINT,
            Ticket.status == TicketStatus.OPEN,
        )
    )
