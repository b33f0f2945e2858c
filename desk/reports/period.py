"""Report periods as people type them: 2026-11, 2026-Q4, 2026, 2026-11-01..2026-11-30."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_interval, format_skeleton

# A longer period makes a page of hundreds of months; nobody publishes that.
MAX_YEARS = 10
FIRST_YEAR = 1900
EXAMPLES = "2026-11, 2026-Q4, 2026, 2026-11-01..2026-11-30"

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


class PeriodError(ValueError):
    """Text that is not a period; str() says why and shows the accepted forms."""

    def __init__(self, given: str, reason: str = "") -> None:
        because = f": {reason}" if reason else ""
        super().__init__(f'"{given}" is not a period{because} (expected e.g. {EXAMPLES})')
        self.given = given


@dataclass(frozen=True)
class Period:
    """Whole local days from `first` to `last` (both included); `kind` says how it was named."""

    first: date
    last: date
    kind: str  # month | quarter | year | days

    @property
    def text(self) -> str:
        """The canonical way to type this period."""
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.first.year)
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def start(self, timezone: ZoneInfo) -> datetime:
        """Local midnight opening the first day."""
        return datetime.combine(self.first, time(), tzinfo=timezone)

    def end(self, timezone: ZoneInfo) -> datetime:
        """Local midnight after the last day (excluded)."""
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=timezone)

    def months(self) -> list[date]:
        """The first day of every calendar month the period touches, in order."""
        months, month = [], self.first.replace(day=1)
        while month <= self.last:
            months.append(month)
            month = _next_month(month)
        return months

    def label(self, language: str) -> str:
        """How a person of that language names the period: '2026년 11월', 'Q4 2026', 'Nov 1 – 30, 2026'."""
        skeleton = {"month": "yMMMM", "quarter": "yQQQ", "year": "y"}.get(self.kind)
        if skeleton:
            return format_skeleton(skeleton, self.first, locale=language)
        if self.first == self.last:
            return format_skeleton("yMMMd", self.first, locale=language)
        return format_interval(self.first, self.last, "yMMMd", locale=language)


def parse_period(text: str) -> Period:
    """A Period from text; PeriodError says what is wrong."""
    given = (text or "").strip()
    try:
        period = _parse(given)
    except ValueError as error:
        raise PeriodError(given, _reason(error)) from None
    if period.last < period.first:
        raise PeriodError(given, "it ends before it starts")
    if period.first.year < FIRST_YEAR or period.last == date.max:
        raise PeriodError(given, f"reports cover the years {FIRST_YEAR} to {date.max.year - 1}")
    if (period.last - period.first).days >= MAX_YEARS * 366:
        raise PeriodError(given, f"a report covers at most {MAX_YEARS} years")
    return period


def month_of(day: date) -> Period:
    """The calendar month containing `day`."""
    first = day.replace(day=1)
    return Period(first, _next_month(first) - timedelta(days=1), "month")


def days(first: date, last: date) -> Period:
    """The days from `first` to `last`, both included."""
    return Period(first, last, "days")


def _parse(given: str) -> Period:
    if match := _MONTH.match(given):
        return month_of(date(int(match[1]), int(match[2]), 1))
    if match := _QUARTER.match(given):
        first = date(int(match[1]), 3 * int(match[2]) - 2, 1)
        return Period(first, _next_month(_next_month(_next_month(first))) - timedelta(days=1), "quarter")
    if match := _YEAR.match(given):
        return Period(date(int(match[1]), 1, 1), date(int(match[1]), 12, 31), "year")
    first, separator, last = given.partition("..")
    if separator:
        return days(date.fromisoformat(first.strip()), date.fromisoformat(last.strip()))
    raise ValueError("")


def _reason(error: ValueError) -> str:
    message = str(error)
    if not message:
        return ""
    if "month must be" in message:
        return "there is no such month"
    if "year" in message and "out of range" in message:
        return "there is no such year"
    return "there is no such day" if "range" in message else "a day is written YYYY-MM-DD"


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
