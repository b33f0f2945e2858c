"""What a report needs to know about each ticket received in a period, read in three queries.

Every figure is about the tickets *received* in the period (a cohort): how many came, how many were
answered within the window the charter promised when they came, and so on. History entries count by
kind: INTERIM_KIND for an interim reply (its text is the reason), ESCALATION_KIND for an escalation
to the designated officer.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.charter.model import Charter
from desk.tickets.lifecycle import settle_promises
from desk.surveys import Rating
from desk.tickets.entries import ESCALATION
from desk.tickets.models import Ticket, TicketEntry, format_number

INTERIM_KIND = "interim"
# Each escalation to an officer (the deadline sweep's, a non-response complaint's) is a ticket entry
# of this kind (text: to whom and why). Reports count these entries; nothing else marks an escalation.
ESCALATION_KIND = ESCALATION


@dataclass(frozen=True)
class Interim:
    """An interim reply sent before the original due moment, and the reason it gave."""

    number: str
    reason: str


@dataclass(frozen=True)
class TicketFacts:
    """One ticket as the report sees it; times are aware (UTC)."""

    number: str
    category: str
    received_at: datetime
    month: date  # first day of the local month of receipt
    promised_by: datetime  # the charter's due moment at receipt, before any interim moved it
    answered_at: datetime | None
    breached: bool
    escalations: int = 0
    interims_before_due: tuple[Interim, ...] = ()
    score: int | None = None
    comment: bool = False

    @property
    def on_time(self) -> bool:
        return self.answered_at is not None and self.answered_at <= self.promised_by

    def late(self, as_of: datetime) -> bool:
        """Answered after the promised moment, or still unanswered when it has passed."""
        if self.answered_at is not None:
            return self.answered_at > self.promised_by
        return self.promised_by < as_of

    @property
    def hours_to_reply(self) -> float | None:
        if self.answered_at is None:
            return None
        return (self.answered_at - self.received_at).total_seconds() / 3600


@dataclass
class _Extras:
    escalations: int = 0
    interims: list[tuple[datetime, str]] = field(default_factory=list)
    score: int | None = None
    comment: bool = False


async def load_facts(
    *, session: AsyncSession, organisation_id: int, charter: Charter, start: datetime, end: datetime
) -> list[TicketFacts]:
    """Facts of every ticket of the organisation received in [start, end), oldest first."""
    await settle_promises(session=session, charters={organisation_id: charter})
    # Entries and ratings carry no organisation: they are joined to their tickets, filtered here.
    received = (
        (Ticket.organisation_id == organisation_id)
        & (Ticket.received_at >= start)
        & (Ticket.received_at < end)
    )
    tickets = (
        await session.execute(
            select(Ticket.id, Ticket.serial, Ticket.category, Ticket.received_at, Ticket.promised_at,
                   Ticket.answered_at, Ticket.breached_at)
            .where(received)
            .order_by(Ticket.received_at, Ticket.id)
        )
    ).all()
    extras: dict[int, _Extras] = defaultdict(_Extras)
    entries = await session.execute(
        select(TicketEntry.ticket_id, TicketEntry.kind, TicketEntry.text, TicketEntry.created_at)
        .join(Ticket, Ticket.id == TicketEntry.ticket_id)
        .where(received, TicketEntry.kind.in_((INTERIM_KIND, ESCALATION_KIND)))
        .order_by(TicketEntry.created_at, TicketEntry.id)
    )
    for ticket_id, kind, text, created_at in entries:
        if kind == ESCALATION_KIND:
            extras[ticket_id].escalations += 1
        else:
            extras[ticket_id].interims.append((created_at, text or ""))
    ratings = await session.execute(
        select(Rating.ticket_id, Rating.score, Rating.comment)
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .where(received)
    )
    for ticket_id, score, comment in ratings:
        extras[ticket_id].score, extras[ticket_id].comment = score, comment is not None
    return [_facts(charter, row, extras.get(row.id, _Extras())) for row in tickets]


def _facts(charter: Charter, row, extras: _Extras) -> TicketFacts:
    # due_at moves when staff send an interim with a new date; the promise kept or broken is the first one,
    # stored when the ticket opened (lifecycle.settle_promises fills it in for older rows before this reads).
    promised_by = row.promised_at
    number = format_number(row.category, row.serial)
    return TicketFacts(
        number=number,
        category=row.category,
        received_at=row.received_at,
        month=row.received_at.astimezone(charter.timezone).date().replace(day=1),
        promised_by=promised_by,
        answered_at=row.answered_at,
        breached=row.breached_at is not None,
        escalations=extras.escalations,
        interims_before_due=tuple(
            Interim(number, reason) for at, reason in extras.interims if at < promised_by
        ),
        score=extras.score,
        comment=extras.comment,
    )
