"""Every table, imported in one place so Base.metadata is complete (for Alembic and tests)."""

from desk.base import Base
from desk.outbox import OutboxMessage
from desk.tickets.models import Citizen, InboundMessage, Ticket, TicketEntry
from desk.audit import AuditEntry  # noqa: F401  (staff console)
from desk.staff.models import Draft, Staff  # noqa: F401  (staff console)
from desk.surveys import Rating  # noqa: F401  (surveys and reports)
from desk.citizen_tables import Attempt, LanguageChoice, Question, Receipt  # noqa: F401  (citizen conversations)

metadata = Base.metadata

__all__ = ["Citizen", "InboundMessage", "OutboxMessage", "Ticket", "TicketEntry", "metadata"]
