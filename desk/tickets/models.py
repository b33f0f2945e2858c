"""Rows of the ticket domain: citizens, their tickets, and every inbound message seen."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.organisations.models import FIRST_TICKET_NUMBER, organisation_column
from desk.tickets.enums import Category, TicketStatus
from infra.columns import Base, StrEnumText, UTCDateTime
from infra.encrypted import EncryptedInt, EncryptedText, chat_hash_column_default, chat_hash_type

CATEGORY_LETTERS = {
    Category.INQUIRY: "I",
    Category.COMPLAINT: "C",
    Category.NON_RESPONSE_COMPLAINT: "N",
    Category.APPOINTMENT_REQUEST: "A",
}
# Each organisation's ticket numbers start at 1001, so its first ticket reads I-1001, not I-1.
NUMBER_OFFSET = 1000
FIRST_NUMBER = FIRST_TICKET_NUMBER


class Citizen(Base):
    """A Telegram chat that wrote to us, and the language we answer it in."""

    __tablename__ = "citizens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A chat writing to two organisations is two citizens: each organisation knows only its own.
    organisation_id: Mapped[int] = organisation_column()
    # Encrypted; lookups go by (organisation, chat_hash) (infra/encrypted.py).
    chat_id: Mapped[int] = mapped_column(EncryptedInt("citizens.chat_id"))
    chat_hash: Mapped[str | None] = mapped_column(chat_hash_type(), default=chat_hash_column_default())
    language: Mapped[str] = mapped_column(String(8))
    display_name: Mapped[str | None] = mapped_column(EncryptedText("citizens.display_name"))
    username: Mapped[str | None] = mapped_column(EncryptedText("citizens.username"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when Telegram says the citizen blocked the bot: pushes stop, the tickets stay open.
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_citizens_organisation_id_chat_hash", "organisation_id", "chat_hash", unique=True),
    )


class Ticket(Base):
    """One matter a citizen raised, with the moment the charter promises an answer by."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Entries, drafts, receipts, ratings and corrections belong to the ticket's organisation: they are
    # only ever reached from their ticket (or joined to it), so they carry no organisation of their own.
    organisation_id: Mapped[int] = organisation_column()
    # The lifecycle columns (category, status, the promise and its moments) are written only by
    # desk/tickets/lifecycle.py; tests/desk/tickets/test_lifecycle_writers.py keeps it so.
    category: Mapped[Category] = mapped_column(StrEnumText(Category, 32))
    # The number people type after the letter (I-1042): counted per organisation from 1001
    # (desk/tickets/numbers.py), so a facility's numbers stay short however many share the database.
    # Tickets opened before migration 0016 keep the number they were told: their id + 1000.
    serial: Mapped[int] = mapped_column("number", Integer)
    # open -> answered (final reply sent) -> closed; reopen goes back to open.
    status: Mapped[TicketStatus] = mapped_column(StrEnumText(TicketStatus, 16), default=TicketStatus.OPEN)
    # None for an anonymous ticket: nothing links it to the sender.
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    language: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The first promise (its category's clock from receipt), which an interim's later date does not move: what
    # reports judge. None only on rows older than migration 0015 whose first promise was not stored anywhere
    # (desk/reports/promises.py settles them from the charter).
    promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When staff are reminded (charter's remind_staff_before), fixed when the ticket opens.
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(EncryptedText("tickets.text"))
    # The ticket a non-response complaint is about.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    assigned_to: Mapped[int | None] = mapped_column(BigInteger)  # a staff member's Telegram user id
    preferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # appointment time asked for
    appointment_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # appointment time confirmed
    # When the day-before reminder was queued; whoever changes appointment_at sets this back to None.
    appointment_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    interim_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last interim reply promised
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When its texts and its link to the citizen were erased (/forget or retention); figures stay.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    citizen: Mapped[Citizen | None] = relationship()

    # Sweeps ask "what open ticket is due (or to be reminded) before X": these indexes serve exactly that.
    # A sweep acts with one organisation's charter and filters by it: the breach sweep and the queue use the
    # index led by organisation_id below; the others keep their indexes, the organisation a filter on the
    # few rows due at once. Not led by organisation_id, they also serve one sweep over every organisation
    # (each row names its own), whose cost would not grow with their number: the scale work of issue 20.
    __table_args__ = (
        # One organisation's queue (open tickets, soonest due first) and its breach sweep.
        # A typed number finds its ticket within the organisation; no two of its tickets share one.
        Index("ix_tickets_organisation_id_number", "organisation_id", "number", unique=True),
        Index("ix_tickets_organisation_id_status_due_at", "organisation_id", "status", "due_at"),
        # One organisation's reports and exports: tickets received in a period.
        Index("ix_tickets_organisation_id_received_at", "organisation_id", "received_at"),
        Index("ix_tickets_status_due_at", "status", "due_at"),
        # Rows whose first promise is still to be worked out from the charter (only ever pre-0015 rows).
        Index("ix_tickets_organisation_id_unsettled_promise", "organisation_id",
              sqlite_where=sql("promised_at IS NULL"), postgresql_where=sql("promised_at IS NULL")),
        Index("ix_tickets_status_remind_at", "status", "remind_at"),
        Index("ix_tickets_citizen_id_status", "citizen_id", "status"),
        # The appointment sweep: appointments in the next day or so not yet reminded of.
        Index("ix_tickets_appointment_reminded_at", "appointment_reminded_at", "appointment_at"),
        # The survey sweep: appointments of the last few days.
        Index("ix_tickets_appointment_at", "appointment_at"),
        # The retention sweep: closed tickets not erased yet, oldest closing first.
        Index("ix_tickets_erased_at_closed_at", "erased_at", "closed_at"),
    )

    @property
    def number(self) -> str:
        """The number a person types: category letter and a number, e.g. I-1042."""
        return format_number(self.category, self.serial)


class InboundMessage(Base):
    """A message we accepted; the unique key makes a redelivered Telegram update a no-op."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Telegram numbers messages per chat and per bot: two organisations' bots may both see message 7.
    organisation_id: Mapped[int] = organisation_column()
    chat_id: Mapped[int] = mapped_column(EncryptedInt("inbound_messages.chat_id"))
    chat_hash: Mapped[str | None] = mapped_column(chat_hash_type(), default=chat_hash_column_default())
    message_id: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))

    __table_args__ = (
        Index(
            "ix_inbound_messages_organisation_id_chat_hash_message_id",
            "organisation_id", "chat_hash", "message_id", unique=True,
        ),
    )


class TicketEntry(Base):
    """One event in a ticket's history: a citizen's follow-up, edit or file, a staff reply, interim or note."""

    __tablename__ = "ticket_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    # citizen_message | citizen_edit | attachment | staff_reply | interim | note | system
    kind: Mapped[str] = mapped_column(String(24))
    author_id: Mapped[int | None] = mapped_column(BigInteger)  # staff Telegram id; None for the citizen
    text: Mapped[str | None] = mapped_column(EncryptedText("ticket_entries.text"))
    file_id: Mapped[str | None] = mapped_column(Text)  # a Telegram file reference, never the file
    file_kind: Mapped[str | None] = mapped_column(String(16))  # photo | document | voice
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def format_number(category: str, serial: int) -> str:
    """Ticket number shown to people: the category's letter and the ticket's serial (Ticket.serial)."""
    return f"{CATEGORY_LETTERS[category]}-{serial}"


def parse_number(number: str) -> tuple[Category, int] | None:
    """(category, serial) for a typed number like 'i-1042', or None if it is not one. The serial names a
    ticket only within an organisation (desk/tickets/service.py get_ticket_by_number)."""
    letter, _, digits = number.strip().upper().partition("-")
    categories = {v: k for k, v in CATEGORY_LETTERS.items()}
    # ASCII digits only ('²' passes isdigit but not int), and never thousands of them (int() refuses those).
    if letter not in categories or not (digits.isascii() and digits.isdigit()) or len(digits) > 19 \
            or int(digits) <= NUMBER_OFFSET:
        return None
    return categories[letter], int(digits)
