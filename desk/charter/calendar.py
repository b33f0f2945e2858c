"""Business-time arithmetic for one organisation.

Pure: no I/O, no clock; every moment is passed in and must be timezone-aware. Internally all
arithmetic runs in UTC, because Python adds and compares two datetimes that share a tzinfo by
their wall clocks, which is wrong across a DST change. Wall times (office hours, quiet hours,
23:59:59) are placed on a local date and normalised through UTC: a wall time that does not exist
(spring forward) moves forward by the gap, an ambiguous one (fall back) is its first occurrence.
Results come back in the calendar's timezone.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

from desk.charter.durations import Duration
from desk.charter.hours import CLOSED_WEEK, QuietHours, Week, build_week

KR_CIVIL_PETITIONS = "kr-civil-petitions"
# The Civil Petitions Act: up to 5 days counts in hours, 1 day being 8 working hours.
KR_HOURS_PER_DAY = 8
KR_HOURS_LIMIT_DAYS = 5
# How far to look for the next business day before deciding the calendar has none.
SEARCH_DAYS = 3660
END_OF_DAY = 24 * 3600 - 1  # 23:59:59

Span = tuple[datetime, datetime]  # [start, end) in UTC
DayRule = Callable[[date], bool]


class CalendarError(ValueError):
    """A question the calendar cannot answer (naive datetime, no business time at all, ...)."""


@cache
def public_holidays(country: str, year: int) -> Mapping[date, str]:
    """The `holidays` package's public holidays of one country and year, computed on demand."""
    return MappingProxyType(dict(holidays.country_holidays(country, years=year)))


@dataclass(frozen=True)
class BusinessCalendar:
    """Office hours, public holidays and closures of one organisation, in its timezone."""

    timezone: ZoneInfo
    week: Week = CLOSED_WEEK  # office ranges per weekday, Monday first
    country: str | None = None
    extra_closures: frozenset[date] = frozenset()

    @classmethod
    def build(
        cls,
        timezone: str | ZoneInfo,
        office_hours: Mapping[str, str] | None = None,
        country: str | None = None,
        extra: Iterable[date] = (),
    ) -> "BusinessCalendar":
        """Build from charter-style values: {"mon-fri": "09:00-12:00,13:00-18:00"}."""
        zone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
        if country is not None and country not in holidays.list_supported_countries():
            raise CalendarError(f'the holidays package knows no country "{country}"')
        week = build_week(dict(office_hours)) if office_hours else CLOSED_WEEK
        return cls(zone, week, country, frozenset(extra))

    # --- days -----------------------------------------------------------------------------

    @property
    def has_office_hours(self) -> bool:
        return any(self.week)

    def is_holiday(self, day: date) -> bool:
        """A public holiday of the country or an extra closure day."""
        if day in self.extra_closures:
            return True
        return self.country is not None and day in public_holidays(self.country, day.year)

    def holiday_name(self, day: date) -> str | None:
        """The public holiday's name, "closure day" for an extra closure, None on other days."""
        if self.country is not None and day in public_holidays(self.country, day.year):
            return public_holidays(self.country, day.year)[day]
        return "closure day" if day in self.extra_closures else None

    def is_business_day(self, day: date) -> bool:
        """A day with office hours that is not a holiday."""
        return bool(self.week[day.weekday()]) and not self.is_holiday(day)

    def is_statutory_working_day(self, day: date) -> bool:
        """Monday to Friday and not a holiday, whatever the office hours say (Korean counting)."""
        return day.weekday() < 5 and not self.is_holiday(day)

    def close_of_day(self, day: date) -> datetime:
        """End of the day's last office range; 23:59:59 on a weekday without office hours."""
        ranges = self.week[day.weekday()]
        seconds = ranges[-1].end * 60 if ranges else END_OF_DAY
        return self.wall_time(day, seconds)

    def next_day(self, day: date, rule: DayRule | None = None) -> date:
        """The first day after `day` that satisfies `rule` (default: a business day)."""
        return self._step_day(day, 1, rule or self.is_business_day)

    def previous_day(self, day: date, rule: DayRule | None = None) -> date:
        """The last day before `day` that satisfies `rule` (default: a business day)."""
        return self._step_day(day, -1, rule or self.is_business_day)

    # --- moments --------------------------------------------------------------------------

    def local(self, at: datetime) -> datetime:
        """`at` in the calendar's timezone (rejects naive datetimes)."""
        return self._to_local(_utc(at))

    def local_date(self, at: datetime) -> date:
        return self.local(at).date()

    def is_business_time(self, at: datetime) -> bool:
        """Inside an office range of a business day: start <= at < end."""
        moment = _utc(at)
        spans = self._day_spans(self.local_date(at), self.is_business_day)
        return any(start <= moment < end for start, end in spans)

    is_open = is_business_time

    def next_opening(self, at: datetime) -> datetime:
        """The first business moment at or after `at` (`at` itself while the office is open)."""
        start, _ = next(self._spans_after(_utc(at), self.is_business_day))
        return self._to_local(start)

    def add_business_time(self, at: datetime, amount: timedelta, rule: DayRule | None = None) -> datetime:
        """The moment when `amount` of office time has run from `at` (from the next opening
        when `at` is outside office time); lands on a range end when the amount fits exactly."""
        remaining = amount
        for start, end in self._spans_after(_utc(at), rule or self.is_business_day):
            if remaining <= end - start:
                return self._to_local(start + remaining)
            remaining -= end - start
        raise AssertionError("unreachable: _spans_after raises when it runs out")

    def subtract_business_time(self, at: datetime, amount: timedelta) -> datetime:
        """The moment `amount` of office time before `at`; lands on a range start when exact."""
        remaining = amount
        for start, end in self._spans_before(_utc(at), self.is_business_day):
            if remaining <= end - start:
                return self._to_local(end - remaining)
            remaining -= end - start
        raise AssertionError("unreachable: _spans_before raises when it runs out")

    def add_business_days(self, at: datetime, count: int) -> datetime:
        """Close of day on the `count`th business day after the local day of `at`."""
        day = self.local_date(at)
        for _ in range(count):
            day = self.next_day(day)
        return self.close_of_day(day)

    def subtract_business_days(self, at: datetime, count: int) -> datetime:
        """The same local wall time `count` business days before the day of `at`, but no later
        than that day's close (so the moment is one staff can still act on that day)."""
        local = self.local(at)
        day = local.date()
        for _ in range(count):
            day = self.previous_day(day)
        return min(self.wall_time(day, _second_of_day(local)), self.close_of_day(day), key=_utc)

    def wall_time(self, day: date, seconds: int) -> datetime:
        """The local moment `seconds` after midnight on `day`, by the wall clock (normalised)."""
        return self._to_local(self._wall(day, seconds))

    # --- quiet hours ----------------------------------------------------------------------

    def in_quiet_hours(self, at: datetime, quiet: QuietHours | None) -> bool:
        """Whether `at` falls in the local quiet hours (none configured: never)."""
        return quiet is not None and quiet.contains(_minute_of_day(self.local(at)))

    def quiet_hours_end(self, at: datetime, quiet: QuietHours | None) -> datetime:
        """When a push held back at `at` may go: the end of the quiet hours, or `at` itself."""
        local = self.local(at)
        if not self.in_quiet_hours(at, quiet):
            return local
        day = local.date()
        if quiet.range.crosses_midnight and _minute_of_day(local) >= quiet.range.start:
            day += timedelta(days=1)
        return self.wall_time(day, quiet.range.end * 60)

    # --- internals ------------------------------------------------------------------------

    def _wall(self, day: date, seconds: int) -> datetime:
        naive = datetime.combine(day, time()) + timedelta(seconds=seconds)
        return naive.replace(tzinfo=self.timezone).astimezone(UTC)

    def _to_local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.timezone)

    def _day_spans(self, day: date, rule: DayRule) -> list[Span]:
        if not rule(day):
            return []
        spans = [
            (self._wall(day, r.start * 60), self._wall(day, r.end * 60)) for r in self.week[day.weekday()]
        ]
        return [(start, end) for start, end in spans if start < end]  # a range lost in a DST gap

    def _spans_after(self, moment: datetime, rule: DayRule) -> Iterator[Span]:
        first = self._to_local(moment).date()
        for offset in range(SEARCH_DAYS):
            for start, end in self._day_spans(first + timedelta(days=offset), rule):
                if end > moment:
                    yield max(start, moment), end
        raise CalendarError(f"no office hours within {SEARCH_DAYS} days after {moment.isoformat()}")

    def _spans_before(self, moment: datetime, rule: DayRule) -> Iterator[Span]:
        last = self._to_local(moment).date()
        for offset in range(SEARCH_DAYS):
            for start, end in reversed(self._day_spans(last - timedelta(days=offset), rule)):
                if start < moment:
                    yield start, min(end, moment)
        raise CalendarError(f"no office hours within {SEARCH_DAYS} days before {moment.isoformat()}")

    def _step_day(self, day: date, step: int, rule: DayRule) -> date:
        for offset in range(1, SEARCH_DAYS):
            candidate = day + timedelta(days=step * offset)
            if rule(candidate):
                return candidate
        raise CalendarError(f"no business day within {SEARCH_DAYS} days of {day}")


# --- deadlines: one function per duration form --------------------------------------------


def due_at(
    calendar: BusinessCalendar, received: datetime, within: Duration, counting: str | None = None
) -> datetime:
    """The due moment of a reply promised `within` a period of a message `received`."""
    if counting == KR_CIVIL_PETITIONS:
        return due_kr_civil_petitions(calendar, received, within)
    if counting is not None:
        raise CalendarError(f'unknown counting rule "{counting}"')
    if within.unit == "days":
        return due_end_of_day(calendar, received, within.amount)
    if within.unit == "business_days":
        return calendar.add_business_days(received, within.amount)
    if within.unit == "business_hours":
        return calendar.add_business_time(received, timedelta(hours=within.amount))
    return calendar.local(_utc(received) + within.as_timedelta())


def due_end_of_day(calendar: BusinessCalendar, received: datetime, days: int) -> datetime:
    """23:59:59 local on the calendar day `days` after the day of receipt."""
    day = calendar.local_date(received) + timedelta(days=days)
    return calendar.wall_time(day, END_OF_DAY)


def due_kr_civil_petitions(calendar: BusinessCalendar, received: datetime, within: Duration) -> datetime:
    """Korea's Civil Petitions Act (처리기간의 계산): up to 5 days in working hours from receipt
    (1 day = 8 hours); 6 days or more in days, the day of receipt counted, ending at its close.
    Saturdays, Sundays and holidays never count, whatever the office hours say."""
    if within.unit != "days":
        raise CalendarError(f"{KR_CIVIL_PETITIONS} counts periods in days, not {within}")
    working = calendar.is_statutory_working_day
    if within.amount <= KR_HOURS_LIMIT_DAYS:
        return calendar.add_business_time(
            received, timedelta(hours=KR_HOURS_PER_DAY * within.amount), working
        )
    day = calendar.local_date(received)
    if not working(day):
        day = calendar.next_day(day, working)
    for _ in range(within.amount - 1):
        day = calendar.next_day(day, working)
    return calendar.close_of_day(day)


def remind_at(calendar: BusinessCalendar, due: datetime, before: Duration) -> datetime:
    """The moment `before` ahead of `due` (minutes/hours exact, days by calendar day at the same
    wall time, business days/hours as in BusinessCalendar.subtract_business_*)."""
    if before.unit == "business_days":
        return calendar.subtract_business_days(due, before.amount)
    if before.unit == "business_hours":
        return calendar.subtract_business_time(due, timedelta(hours=before.amount))
    if before.unit == "days":
        local = calendar.local(due)
        return calendar.wall_time(local.date() - timedelta(days=before.amount), _second_of_day(local))
    return calendar.local(_utc(due) - before.as_timedelta())


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise CalendarError(f"{at.isoformat()} has no timezone; pass an aware datetime")
    return at.astimezone(UTC)


def _second_of_day(local: datetime) -> int:
    return local.hour * 3600 + local.minute * 60 + local.second


def _minute_of_day(local: datetime) -> float:
    return local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60_000_000
