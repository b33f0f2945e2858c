"""Every table, imported in one place so Base.metadata is complete (for Alembic and tests)."""

from desk.audit import AuditEntry  # noqa: F401  (staff console)
from desk.organisations.models import Organisation  # noqa: F401  (organisations as data)
from infra.columns import Base
from desk.anonymous.attempts import Attempt  # noqa: F401  (citizen conversations)
from desk.anonymous.receipts import Receipt  # noqa: F401  (citizen conversations)
from desk.tickets.corrections import Correction  # noqa: F401  (learning from staff)
from desk.tickets.citizens import LanguageChoice  # noqa: F401  (citizen conversations)
from desk.tickets.questions import Question  # noqa: F401  (citizen conversations)
from bot.inbox import IntakeUpdate  # noqa: F401  (durable intake)
from bot.senders import Sender  # noqa: F401  (processes sharing the bot's flood limits)
from desk.outbox import OutboxMessage
from desk.staff.models import Draft, Staff  # noqa: F401  (staff console)
from desk.surveys import Rating  # noqa: F401  (surveys and reports)
from desk.tickets.models import Citizen, InboundMessage, Ticket, TicketEntry
from web.feed import FeedMessage  # noqa: F401  (web chat)
from web.visitors import WebVisitor  # noqa: F401  (web chat)

metadata = Base.metadata

__all__ = ["Citizen", "InboundMessage", "OutboxMessage", "Ticket", "TicketEntry", "metadata"]
