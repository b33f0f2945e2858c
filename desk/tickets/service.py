"""Queries over citizens, tickets and inbound messages (tickets open in lifecycle.py); never commits."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.encrypted import chat_hash_of
from infra.database import insert_ignoring_conflicts
from desk.tickets.enums import TicketStatus
from desk.tickets.models import Citizen, InboundMessage, Ticket


# The unique key of inbound_messages: Telegram numbers messages per chat and per bot (organisation).
INBOUND_KEY = ["organisation_id", "chat_hash", "message_id"]


async def record_inbound(
    *, session: AsyncSession, organisation_id: int, chat_id: int, message_id: int, received_at: datetime
) -> int | None:
    """Remember a message by (organisation, chat, message id); None if it was seen before."""
    statement = (
        insert_ignoring_conflicts(session, InboundMessage, INBOUND_KEY)
        .values(organisation_id=organisation_id, chat_id=chat_id, chat_hash=chat_hash_of(chat_id),
                message_id=message_id, received_at=received_at)
        .returning(InboundMessage.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def record_inbounds(
    *, session: AsyncSession, organisation_id: int, messages: Sequence[tuple[int, int, datetime]]
) -> list[bool]:
    """record_inbound for many (chat id, message id, received at) in one INSERT; for each, whether it is new."""
    if not messages:
        return []
    rows = [
        {"organisation_id": organisation_id, "chat_id": chat_id, "chat_hash": chat_hash_of(chat_id),
         "message_id": message_id, "received_at": received_at}
        for chat_id, message_id, received_at in messages
    ]
    statement = (
        insert_ignoring_conflicts(session, InboundMessage, INBOUND_KEY)
        .values(rows)
        .returning(InboundMessage.chat_hash, InboundMessage.message_id)
    )
    new = {tuple(row) for row in await session.execute(statement)}
    return [(row["chat_hash"], row["message_id"]) in new for row in rows]


async def link_inbound(*, session: AsyncSession, inbound_id: int, ticket_id: int) -> None:
    """Note which ticket a message opened."""
    inbound = await session.get(InboundMessage, inbound_id)
    inbound.ticket_id = ticket_id


async def get_citizen(*, session: AsyncSession, organisation_id: int, chat_id: int) -> Citizen | None:
    """The organisation's citizen writing from this chat, if it knows them."""
    return await session.scalar(
        select(Citizen).where(
            Citizen.organisation_id == organisation_id, Citizen.chat_hash == chat_hash_of(chat_id)
        )
    )


async def upsert_citizen(
    *, session: AsyncSession, organisation_id: int, chat_id: int, language: str, now: datetime
) -> Citizen:
    """The organisation's citizen for a chat, created on first contact, answering in `language` from now on."""
    citizen = await get_citizen(session=session, organisation_id=organisation_id, chat_id=chat_id)
    return await settle_citizen(
        session=session, organisation_id=organisation_id, citizen=citizen, chat_id=chat_id, language=language,
        now=now,
    )


async def settle_citizen(
    *, session: AsyncSession, organisation_id: int, citizen: Citizen | None, chat_id: int, language: str,
    now: datetime,
) -> Citizen:
    """upsert_citizen for a caller that has already looked the citizen up (None: not found)."""
    if citizen is None:
        citizen = Citizen(organisation_id=organisation_id, chat_id=chat_id, language=language, created_at=now)
        session.add(citizen)
        await session.flush()
    citizen.language = language
    # Whoever writes to the bot has not blocked it (any more): pushes may reach them again.
    if citizen.unreachable_at is not None:  # assigned only when set: an assignment costs an UPDATE per message
        citizen.unreachable_at = None
    return citizen


async def get_ticket(*, session: AsyncSession, organisation_id: int, ticket_id: int) -> Ticket | None:
    """The organisation's ticket of this id; None if there is none, or it is another organisation's."""
    # Filtered in SQL: another organisation's row is never loaded, so never decrypted (its key is not ours).
    return await session.scalar(select(Ticket).where(Ticket.id == ticket_id, Ticket.organisation_id == organisation_id))


async def get_ticket_by_number(*, session: AsyncSession, organisation_id: int, serial: int) -> Ticket | None:
    """The organisation's ticket a typed number names (I-1042 -> serial 1042); None if it has none."""
    return await session.scalar(
        select(Ticket).where(Ticket.organisation_id == organisation_id, Ticket.serial == serial)
    )


async def held_elsewhere(*, session: AsyncSession, organisation_id: int, ticket_id: int) -> bool:
    """Whether the ticket of this id exists but is another organisation's (a refusal to audit, not a typo)."""
    owner = await session.scalar(select(Ticket.organisation_id).where(Ticket.id == ticket_id))
    return owner is not None and owner != organisation_id


# session.info key: citizen id -> open tickets this transaction has just read (desk/chat_state.py).
_OPEN_READ = "charterdesk.tickets.open_read"


def note_open_tickets(session: AsyncSession, *, citizen_id: int, tickets: list[Ticket]) -> None:
    """This transaction has just read the citizen's open tickets: the next open_tickets takes them (once)."""
    session.info.setdefault(_OPEN_READ, {})[citizen_id] = tickets


async def open_tickets(*, session: AsyncSession, citizen_id: int) -> list[Ticket]:
    """The citizen's tickets still waiting for an answer, soonest due first."""
    # Taken once: a ticket opened after the read (by this flow, later on) must be seen by a later call.
    read = session.info.get(_OPEN_READ, {}).pop(citizen_id, None)
    if read is not None:
        return [ticket for ticket in read if ticket.status == TicketStatus.OPEN]
    query = (
        select(Ticket)
        .where(Ticket.citizen_id == citizen_id, Ticket.status == TicketStatus.OPEN)
        .order_by(Ticket.due_at, Ticket.id)
    )
    return list((await session.scalars(query)).all())
