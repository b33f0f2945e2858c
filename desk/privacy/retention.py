"""The charter's retention rule, applied by a daily sweep: personal data of tickets closed longer
than `retention.closed_tickets` ago is erased (desk/privacy/erase.py: figures stay), and so is
whatever else has outlived its use. Each step handles one batch and returns how many rows it
handled; the sweep repeats a step until a batch comes back short.

The audit log is never purged: it is append-only (a trigger refuses DELETE) and is kept at least
AUDIT_KEEP, which is longer than any retention a charter sets for tickets.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.anonymous import traces
from desk.outbox import OutboxMessage
from desk.privacy import chats
from desk.privacy.erase import erase_tickets
from desk.anonymous.attempts import Attempt, WRONG_CODE, WRONG_CODE_WINDOW
from desk.tickets.models import Citizen, InboundMessage, Ticket
from desk.tickets.enums import TicketStatus
from desk.tickets.questions import Question
from desk.context import Chartered

BATCH = 200
AUDIT_KEEP = timedelta(days=2 * 365 + 1)
# An answered question only says which button was pressed; its held message is in the ticket now.
ANSWERED_QUESTION_KEEP = timedelta(days=1)
# A pending "/anonymous" that never got its complaint.
ANONYMOUS_WAIT_KEEP = timedelta(days=1)
THROTTLE_WINDOWS = {WRONG_CODE: WRONG_CODE_WINDOW}
UNKNOWN_THROTTLE_KEEP = timedelta(days=1)


def cutoff(desk: Chartered, now: datetime) -> datetime:
    """Tickets closed before this moment have outlived the charter's retention."""
    return now - timedelta(days=desk.charter.retention_days)


async def erase_closed_tickets(*, session: AsyncSession, desk: Chartered, now: datetime, limit: int = BATCH) -> int:
    """Erase the personal data of one batch of tickets closed before the retention cutoff."""
    query = (
        select(Ticket.id)
        .where(Ticket.organisation_id == desk.organisation_id, Ticket.erased_at.is_(None),
               Ticket.status == TicketStatus.CLOSED, Ticket.closed_at < cutoff(desk, now))
        .order_by(Ticket.closed_at, Ticket.id)
        .limit(limit)
        # A second scheduler skips what this one holds (PostgreSQL); erasing twice would be harmless anyway.
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.scalars(query)).all())
    return await erase_tickets(session=session, ticket_ids=ids, now=now)


async def forget_idle_citizens(*, session: AsyncSession, desk: Chartered, now: datetime, limit: int = BATCH) -> int:
    """Citizens with no ticket left who have not written since the cutoff lose their identity."""
    since = cutoff(desk, now)
    has_ticket = exists().where(Ticket.citizen_id == Citizen.id)
    query = (
        select(Citizen.chat_id)
        .where(Citizen.organisation_id == desk.organisation_id, Citizen.created_at < since, ~has_ticket,
               ~chats.citizen_seen_since(since))
        .order_by(Citizen.id)
        .limit(limit)
    )
    chat_ids = list((await session.scalars(query)).all())
    for chat_id in chat_ids:
        await chats.forget_chat(session=session, organisation_id=desk.organisation_id, chat_id=chat_id)
    return len(chat_ids)


async def expire_questions(*, session: AsyncSession, desk: Chartered, now: datetime, limit: int = BATCH) -> int:
    """Delete answered questions after a day, a waiting "/anonymous" after a day, any other after retention."""
    expired = (
        (Question.answered_at.is_not(None) & (Question.answered_at < now - ANSWERED_QUESTION_KEEP))
        | ((Question.kind == "anonymous") & (Question.created_at < now - ANONYMOUS_WAIT_KEEP))
        | (Question.created_at < cutoff(desk, now))
    )
    ids = (
        select(Question.id)
        .where(Question.organisation_id == desk.organisation_id, expired)
        .order_by(Question.id)
    )
    ids = ids.limit(limit)
    return await _delete_ids(session, Question, list((await session.scalars(ids)).all()))


async def expire_attempts(*, session: AsyncSession, desk: Chartered, now: datetime, limit: int = BATCH) -> int:
    """Delete counted attempts no throttle window can reach any more."""
    known = list(THROTTLE_WINDOWS)
    expired = (Attempt.kind.not_in(known) & (Attempt.at <= now - UNKNOWN_THROTTLE_KEEP))
    for kind, window in THROTTLE_WINDOWS.items():
        expired = expired | ((Attempt.kind == kind) & (Attempt.at <= now - window))
    ids = select(Attempt.id).where(expired).order_by(Attempt.id).limit(limit)
    return await _delete_ids(session, Attempt, list((await session.scalars(ids)).all()))


async def expire_messages(*, session: AsyncSession, desk: Chartered, now: datetime, limit: int = BATCH) -> int:
    """Delete idempotency records and done outbox rows of no ticket older than the cutoff
    (a ticket's own rows go when the ticket is erased), and any delivered anonymous-path row."""
    since = cutoff(desk, now)
    # The cutoff is this organisation's charter's: only its own rows.
    inbound = select(InboundMessage.id).where(
        InboundMessage.organisation_id == desk.organisation_id, InboundMessage.ticket_id.is_(None),
        InboundMessage.received_at < since,
    )
    handled = await _delete_ids(session, InboundMessage, list((await session.scalars(inbound.limit(limit))).all()))
    done = select(OutboxMessage.id).where(
        OutboxMessage.organisation_id == desk.organisation_id, OutboxMessage.ticket_id.is_(None),
        OutboxMessage.status != "pending", OutboxMessage.created_at < since,
    )
    handled += await _delete_ids(session, OutboxMessage, list((await session.scalars(done.limit(limit))).all()))
    await traces.scrub_delivered(session=session)
    await traces.forget_old_inbound(session=session, now=now)
    return handled


async def expire_language_choices(*, session: AsyncSession, desk: Chartered, now: datetime, limit: int = BATCH) -> int:
    """Delete language choices of chats that are no citizen of ours any more."""
    return await chats.orphan_choices(session=session, before=cutoff(desk, now))


# In this order: erasing tickets leaves citizens without tickets, whom the next step forgets.
STEPS = {
    "tickets_erased": erase_closed_tickets,
    "citizens_forgotten": forget_idle_citizens,
    "questions_expired": expire_questions,
    "attempts_expired": expire_attempts,
    "messages_expired": expire_messages,
    "language_choices_expired": expire_language_choices,
}


async def _delete_ids(session: AsyncSession, table, ids: list[int]) -> int:
    if ids:
        await session.execute(delete(table).where(table.id.in_(ids)))
    return len(ids)
