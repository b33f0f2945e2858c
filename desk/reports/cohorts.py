"""The agency view's three set-based queries: tickets, history entries and ratings of the tickets received in a
period, counted per (organisation, month, category) by the database, never loaded row by row.

Each organisation's months are its own charter's local months. Organisations are taken a timezone at a time
(an agency has one or a few): the month of a ticket is a CASE over that zone's month boundaries in UTC, which
both SQLite and PostgreSQL compute without a timezone database, and every query filters on
(organisation_id IN ..., received_at in the period): the index ix_tickets_organisation_id_received_at.
"""

from collections.abc import Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.reports.counts import Counts
from desk.reports.facts import ESCALATION_KIND, INTERIM_KIND
from desk.reports.period import Period
from desk.surveys import Rating
from desk.tickets.models import Ticket, TicketEntry

Key = tuple[int, date, str]  # (organisation id, first day of the local month, category)


async def count_cohorts(
    *, session: AsyncSession, organisation_ids: Sequence[int], zone: ZoneInfo, period: Period, as_of: datetime
) -> dict[Key, Counts]:
    """Counts per (organisation, month, category) of the tickets these organisations (all in `zone`) received
    in `period` (local days in `zone`), judged as of `as_of`."""
    months = period.months()
    # Local midnight opening each month after the first; the period's own start and end bound the rest.
    bounds = [datetime.combine(m, time(), tzinfo=zone) for m in months[1:]]
    month = (
        case(*[(Ticket.received_at < bound, index) for index, bound in enumerate(bounds)], else_=len(bounds))
        if bounds else literal(0)
    )
    cohort = and_(
        Ticket.organisation_id.in_(list(organisation_ids)),
        Ticket.received_at >= period.start(zone),
        Ticket.received_at < period.end(zone),
    )
    cells: dict[Key, dict] = {}

    def cell(organisation_id: int, index: int, category: str) -> dict:
        return cells.setdefault((organisation_id, months[index], str(category)), {"distribution": {}})

    tickets = select(
        Ticket.organisation_id, month.label("month"), Ticket.category, Ticket.received_at, Ticket.answered_at,
        Ticket.promised_at, Ticket.breached_at,
    ).where(cohort).subquery()
    answered, promised = tickets.c.answered_at, tickets.c.promised_at
    rows = await session.execute(
        select(
            tickets.c.organisation_id, tickets.c.month, tickets.c.category,
            func.count(),
            func.sum(case((and_(answered.is_not(None), answered <= promised), 1), else_=0)),
            func.sum(case((answered > promised, 1), (and_(answered.is_(None), promised < as_of), 1), else_=0)),
            func.count(tickets.c.breached_at),
        ).group_by(tickets.c.organisation_id, tickets.c.month, tickets.c.category)
    )
    for organisation_id, index, category, received, on_time, late, breaches in rows:
        cell(organisation_id, index, category).update(
            received=received, on_time=int(on_time or 0), late=int(late or 0), breaches=breaches
        )

    entries = select(
        Ticket.organisation_id, month.label("month"), Ticket.category, Ticket.promised_at,
        TicketEntry.kind, TicketEntry.created_at,
    ).join(Ticket, Ticket.id == TicketEntry.ticket_id).where(
        cohort, TicketEntry.kind.in_((INTERIM_KIND, ESCALATION_KIND))
    ).subquery()
    rows = await session.execute(
        select(
            entries.c.organisation_id, entries.c.month, entries.c.category,
            func.sum(case((and_(entries.c.kind == INTERIM_KIND, entries.c.created_at < entries.c.promised_at), 1),
                          else_=0)),
            func.sum(case((entries.c.kind == ESCALATION_KIND, 1), else_=0)),
        ).group_by(entries.c.organisation_id, entries.c.month, entries.c.category)
    )
    for organisation_id, index, category, interims, escalations in rows:
        cell(organisation_id, index, category).update(interims=int(interims or 0), escalations=int(escalations or 0))

    ratings = select(
        Ticket.organisation_id, month.label("month"), Ticket.category, Rating.score,
    ).join(Ticket, Ticket.id == Rating.ticket_id).where(cohort).subquery()
    rows = await session.execute(
        select(ratings.c.organisation_id, ratings.c.month, ratings.c.category, ratings.c.score, func.count())
        .group_by(ratings.c.organisation_id, ratings.c.month, ratings.c.category, ratings.c.score)
    )
    for organisation_id, index, category, score, count in rows:
        cell(organisation_id, index, category)["distribution"][score] = count

    counted = {}
    for key, values in cells.items():
        distribution = {**Counts().distribution, **values.pop("distribution")}
        counted[key] = Counts(**values, distribution=distribution)
    return counted
