"""The agency's view: every facility's charter compliance and satisfaction side by side, the agency-wide figures,
the trend by month, and the facilities that fall behind. Figures only: no ticket, person or text.

A facility falls behind when the evidence says so (desk/reports/satisfaction.py): its whole 95% interval lies
below the agency-wide figure, for the satisfaction index or for the share answered on time. A facility with too
few ratings for an interval (fewer than two) is shown with its n and is never called behind.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from desk.charter.model import CATEGORIES, Charter, load_charter
from desk.organisations import service as organisations
from desk.organisations.models import FIRST_ORGANISATION
from desk.reports.cohorts import count_cohorts
from desk.reports.counts import Counts, total
from desk.reports.period import Period
from desk.tickets.lifecycle import settle_promises


@dataclass(frozen=True)
class Facility:
    """One organisation the agency runs, with its charter."""

    organisation_id: int
    slug: str
    name: str
    charter: Charter


@dataclass(frozen=True)
class Side:
    """The figures of one facility (or of the whole agency): in all, per clock, per month."""

    slug: str
    name: str
    whole: Counts
    by_clock: dict[str, Counts]
    months: tuple[tuple[date, Counts], ...]

    def behind_on_satisfaction(self, agency: "Side") -> bool:
        reference = agency.whole.satisfaction
        own = self.whole.satisfaction
        return reference is not None and own is not None and own.below(reference.value)

    def behind_on_time(self, agency: "Side") -> bool:
        reference = agency.whole.on_time_share
        own = self.whole.on_time_share
        return reference is not None and own is not None and own.below(reference.value)

    def too_few_ratings(self) -> bool:
        """Whether the index has no interval to judge by (fewer than two ratings)."""
        index = self.whole.satisfaction
        return index is None or index.low is None


@dataclass(frozen=True)
class AgencyReport:
    """The agency's report of one period, judged as of one moment."""

    period: Period
    as_of: datetime
    agency: Side
    facilities: tuple[Side, ...]

    @property
    def behind(self) -> tuple[Side, ...]:
        """Facilities whose satisfaction or on-time interval lies wholly below the agency-wide figure."""
        return tuple(
            side for side in self.facilities
            if side.behind_on_satisfaction(self.agency) or side.behind_on_time(self.agency)
        )

    @property
    def empty(self) -> bool:
        return self.agency.whole.received == 0


async def build_agency_report(
    *, session: AsyncSession, facilities: list[Facility], period: Period, now: datetime
) -> AgencyReport:
    """The report of `period` (each facility's local days) for these facilities, as of `now`."""
    await settle_promises(session=session, charters={f.organisation_id: f.charter for f in facilities})
    by_zone: dict[str, list[Facility]] = defaultdict(list)
    for facility in facilities:
        by_zone[facility.charter.timezone.key].append(facility)
    cells = {}
    for members in by_zone.values():
        cells.update(await count_cohorts(
            session=session, organisation_ids=[f.organisation_id for f in members],
            zone=members[0].charter.timezone, period=period, as_of=now,
        ))
    months = period.months()
    sides = tuple(
        _side(f.slug, f.name, {k[1:]: v for k, v in cells.items() if k[0] == f.organisation_id}, months)
        for f in facilities
    )
    agency_cells: dict[tuple[date, str], Counts] = defaultdict(Counts)
    for (_, month, category), counts in cells.items():
        agency_cells[(month, category)] = agency_cells[(month, category)] + counts
    return AgencyReport(period=period, as_of=now, agency=_side("", "", agency_cells, months), facilities=sides)


def _side(slug: str, name: str, cells: dict[tuple[date, str], Counts], months: list[date]) -> Side:
    return Side(
        slug=slug,
        name=name,
        whole=total(cells.values()),
        by_clock={c: total(v for (_, category), v in cells.items() if category == c) for c in CATEGORIES},
        months=tuple((m, total(v for (month, _), v in cells.items() if month == m)) for m in months),
    )


async def facilities_of(*, session: AsyncSession, deployment_charter: Charter) -> list[Facility]:
    """Every organisation of the deployment (disabled ones too: their period still has figures), each with its
    charter; organisation 1 runs by the deployment's own. A bad charter file raises CharterError, naming it."""
    found = []
    for row in await organisations.listed(session=session):
        if row.id == FIRST_ORGANISATION or not row.charter_file:
            charter = deployment_charter
        else:
            charter = load_charter(Path(row.charter_file))
        found.append(Facility(row.id, row.slug, row.name or charter.organisation.name, charter))
    return found
