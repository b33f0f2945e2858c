"""Every table, imported in one place so Base.metadata is complete (for Alembic and tests)."""

from desk.base import Base
from desk.outbox import OutboxMessage
from desk.tickets.models import Citizen, InboundMessage, Ticket, TicketEntry

metadata = Base.metadata

__all__ = ["Citizen", "InboundMessage", "OutboxMessage", "Ticket", "TicketEntry", "metadata"]
