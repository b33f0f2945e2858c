"""Erasing personal data while keeping the figures: shared by /forget and the retention sweep.

What goes: every free text (ticket text, history entries, rating comments, held messages, drafts),
Telegram file references and message ids, the link from a ticket to its citizen, the ticket's
inbound and outbox rows (their keys and columns carry chat ids and texts), an anonymous ticket's
receipt, the texts kept with staff's corrections of its category. What stays, because the compliance report counts it: the ticket row with its category,
language, times and status, its history entries' kinds and times, its corrections' categories, and ratings' scores (a comment
becomes "" so it still counts as "commented"). The audit log is never touched.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.anonymous.receipts import Receipt
from desk.outbox import OutboxMessage
from desk.staff.models import Draft
from desk.surveys import Rating
from desk.tickets import corrections
from desk.tickets.models import InboundMessage, Ticket, TicketEntry
from desk.tickets.questions import Question

ERASED_TEXT = ""


async def erase_tickets(*, session: AsyncSession, ticket_ids: Sequence[int], now: datetime) -> int:
    """Erase the personal data of these tickets, keeping what the report counts; returns how many."""
    ids = list(ticket_ids)
    if not ids:
        return 0
    # Row by row through the ORM: encrypted columns take their values through their own type, and
    # objects the caller holds stay in step with what is written.
    for ticket in (await session.scalars(select(Ticket).where(Ticket.id.in_(ids)))).all():
        ticket.text, ticket.citizen_id, ticket.erased_at = ERASED_TEXT, None, now
    for entry in (await session.scalars(select(TicketEntry).where(TicketEntry.ticket_id.in_(ids)))).all():
        entry.text = entry.file_id = entry.telegram_message_id = None
    await corrections.erase(session=session, ticket_ids=ids)
    for rating in (await session.scalars(select(Rating).where(Rating.ticket_id.in_(ids)))).all():
        rating.comment = None if rating.comment is None else ERASED_TEXT
        rating.comment_open_until = None
    await session.flush()
    for table, column in (
        (Question, Question.ticket_id), (OutboxMessage, OutboxMessage.ticket_id),
        (InboundMessage, InboundMessage.ticket_id), (Draft, Draft.ticket_id), (Receipt, Receipt.ticket_id),
    ):
        await session.execute(delete(table).where(column.in_(ids)))
    return len(ids)
