"""The words of a ticket's life: its status and its category (the charter clock it runs on).

StrEnums whose values are the strings stored in `tickets.status` and `tickets.category`, so rows
written before these existed read back the same and a member compares equal to its string.
"""

from enum import StrEnum


class TicketStatus(StrEnum):
    """Where a ticket stands: open -> answered (final reply sent) -> closed; reopen goes back to open."""

    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class Category(StrEnum):
    """What kind of matter a ticket is; each has its own clock in the charter."""

    INQUIRY = "inquiry"
    COMPLAINT = "complaint"
    NON_RESPONSE_COMPLAINT = "non_response_complaint"  # a complaint that a promised reply did not come
    APPOINTMENT_REQUEST = "appointment_request"
