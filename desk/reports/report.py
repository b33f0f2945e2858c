"""A compliance report: the figures of a period, per charter clock, for the whole period and per month."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from desk.charter.model import CATEGORIES, Charter
from desk.reports.facts import TicketFacts, load_facts
from desk.reports.figures import Figures, summarise
from desk.reports.period import Period
from desk.tickets.enums import Category


@dataclass(frozen=True)
class Slice:
    """The figures of some tickets: all of them, and per clock (every clock, in charter order)."""

    total: Figures
    by_clock: dict[str, Figures]


@dataclass(frozen=True)
class Report:
    """Everything every output shows; holds no personal data except interim reasons (staff text)."""

    organisation: str
    period: Period
    timezone: ZoneInfo
    as_of: datetime
    whole: Slice
    months: tuple[tuple[date, Slice], ...]  # first day of each month the period touches

    @property
    def non_response_complaints(self) -> int:
        """Complaints that a promised reply did not come, received in the period."""
        return self.whole.by_clock[Category.NON_RESPONSE_COMPLAINT].received

    @property
    def empty(self) -> bool:
        return self.whole.total.received == 0


async def build_report(
    *, session: AsyncSession, organisation_id: int, charter: Charter, period: Period, now: datetime
) -> Report:
    """The organisation's report of `period` (days in its charter's timezone) as of `now`."""
    zone = charter.timezone
    facts = await load_facts(session=session, organisation_id=organisation_id, charter=charter,
                             start=period.start(zone), end=period.end(zone))
    return compile_report(facts, charter=charter, period=period, as_of=now)


def compile_report(
    facts: Sequence[TicketFacts], *, charter: Charter, period: Period, as_of: datetime
) -> Report:
    """The report from ticket facts already read (pure)."""
    months = tuple(
        (month, _slice([f for f in facts if f.month == month], as_of)) for month in period.months()
    )
    return Report(
        organisation=charter.organisation.name,
        period=period,
        timezone=charter.timezone,
        as_of=as_of,
        whole=_slice(facts, as_of),
        months=months,
    )


def _slice(facts: Sequence[TicketFacts], as_of: datetime) -> Slice:
    by_clock = {
        category: summarise([f for f in facts if f.category == category], as_of) for category in CATEGORIES
    }
    return Slice(total=summarise(facts, as_of), by_clock=by_clock)
