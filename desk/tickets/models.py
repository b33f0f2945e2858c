"""Rows of the ticket domain: citizens, their tickets, and every inbound message seen."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.base import Base, UTCDateTime

CATEGORY_LETTERS = {
    "inquiry": "I",
    "complaint": "C",
    "non_response_complaint": "N",
    "appointment_request": "A",
}
# Ticket numbers start at 1001 so the first ticket reads I-1001, not I-1.
NUMBER_OFFSET = 1000


class Citizen(Base):
    """A Telegram chat that wrote to us, and the language we answer it in."""

    __tablename__ = "citizens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Ticket(Base):
    """One matter a citizen raised, with the moment the charter promises an answer by."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    language: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text)

    citizen: Mapped[Citizen | None] = relationship()

    # Sweeps ask "what open ticket is due before X": the index serves exactly that.
    __table_args__ = (Index("ix_tickets_status_due_at", "status", "due_at"),)

    @property
    def number(self) -> str:
        """The number a person types: category letter and a number, e.g. I-1042."""
        return format_number(self.category, self.id)


class InboundMessage(Base):
    """A message we accepted; the unique key makes a redelivered Telegram update a no-op."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))

    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)


def format_number(category: str, ticket_id: int) -> str:
    """Ticket number shown to people for a ticket id."""
    return f"{CATEGORY_LETTERS[category]}-{ticket_id + NUMBER_OFFSET}"


def parse_number(number: str) -> tuple[str, int] | None:
    """(category, ticket id) for a typed number like 'i-1042', or None if it is not one."""
    letter, _, digits = number.strip().upper().partition("-")
    categories = {v: k for k, v in CATEGORY_LETTERS.items()}
    if letter not in categories or not digits.isdigit() or int(digits) <= NUMBER_OFFSET:
        return None
    return categories[letter], int(digits) - NUMBER_OFFSET
