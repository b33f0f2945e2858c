"""Shared test factories: citizens and tickets made through the real use cases, never by hand-set columns.

A ticket comes from `desk.tickets.lifecycle.open_ticket` (its promise worked out by the charter, as for
a citizen's message); an answered or closed one then goes through `lifecycle.answer` / `lifecycle.close`.
"""

from datetime import datetime

from desk.organisations.models import FIRST_ORGANISATION
from desk.tickets import lifecycle, service
from desk.tickets.enums import Category, TicketStatus
from desk.tickets.models import Citizen, Ticket
from infra.database import Store


async def citizen(
    session, *, chat_id: int, language: str = "en", now: datetime, name: str | None = None,
    organisation_id: int = FIRST_ORGANISATION,
) -> Citizen:
    """The organisation's citizen of a private chat, as the intake makes them."""
    made = await service.upsert_citizen(
        organisation_id=organisation_id, session=session, chat_id=chat_id, language=language, now=now
    )
    if name is not None:
        made.display_name, made.username = name, name.lower()
    return made


async def ticket(
    session, charter, *, received_at: datetime, category: str = Category.INQUIRY, chat_id: int | None = 700,
    language: str = "en", text: str = "Where do I apply?", name: str | None = None,
    status: TicketStatus = TicketStatus.OPEN, answered_at: datetime | None = None, reply: str = "Here is how.",
    organisation_id: int = FIRST_ORGANISATION,
) -> Ticket:
    """A ticket received at `received_at` and promised by the charter; anonymous when `chat_id` is None.

    `status` answered or closed takes it there through the lifecycle, at `answered_at` (default: receipt).
    """
    owner = None if chat_id is None else await citizen(
        session, chat_id=chat_id, language=language, now=received_at, name=name, organisation_id=organisation_id
    )
    made = await lifecycle.open_ticket(
        organisation_id=organisation_id, session=session, charter=charter, citizen=owner,
        category=Category(category), language=language, text=text, received_at=received_at,
        anonymous=chat_id is None,
    )
    await session.flush()  # the ticket's id, for its history entries
    if status in (TicketStatus.ANSWERED, TicketStatus.CLOSED):
        await lifecycle.answer(session=session, ticket=made, text=reply, author_id=None,
                               now=answered_at or received_at)
    if status == TicketStatus.CLOSED:
        lifecycle.close(made, now=answered_at or received_at)
    return made


async def ticket_id(store: Store, charter, **options) -> int:
    """`ticket` in a unit of work of its own; its id."""
    async with store.unit_of_work() as session:
        made = await ticket(session, charter, **options)
        await session.flush()
        return made.id
