"""Local times of day a charter names: office-hours ranges, weekday keys, quiet hours."""

import re
from dataclasses import dataclass
from itertools import pairwise

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


class HoursError(ValueError):
    """A time, range or weekday key that cannot be read; str() says why."""


@dataclass(frozen=True, order=True)
class TimeRange:
    """A local time-of-day range in minutes after midnight; end may be 1440 (24:00)."""

    start: int
    end: int

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def __str__(self) -> str:
        return f"{_clock_text(self.start)}-{_clock_text(self.end)}"


def parse_clock(text: str) -> int:
    """Parse "09:30" -> 570 minutes after midnight; "24:00" is allowed as the end of the day."""
    match = _CLOCK.match(text)
    if match is None:
        raise HoursError(f'"{text}" is not a time (expected HH:MM)')
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise HoursError(f'"{text}" is not a time of day')
    return hours * 60 + minutes


def parse_range(text: str) -> TimeRange:
    """Parse "21:00-08:00" -> TimeRange; the end may lie before the start (crossing midnight)."""
    parts = text.split("-")
    if len(parts) != 2:
        raise HoursError(f'"{text.strip()}" is not a time range (expected HH:MM-HH:MM)')
    start, end = parse_clock(parts[0]), parse_clock(parts[1])
    if start == MINUTES_PER_DAY:
        raise HoursError(f'"{text.strip()}" starts at 24:00')
    return TimeRange(start, end)


def parse_office_ranges(text: object) -> tuple[TimeRange, ...]:
    """Parse "09:00-12:00,13:00-18:00" -> ordered, non-overlapping ranges within one day."""
    if not isinstance(text, str) or not text.strip():
        raise HoursError(f'"{text}" is not office hours (expected e.g. "09:00-12:00,13:00-18:00")')
    ranges = sorted(parse_range(part) for part in text.split(","))
    for one in ranges:
        if one.end <= one.start:
            raise HoursError(f'"{one}" ends before it starts (office hours cannot cross midnight)')
    for earlier, later in pairwise(ranges):
        if later.start < earlier.end:
            raise HoursError(f'"{earlier}" and "{later}" overlap')
    return tuple(ranges)


def parse_days(key: object) -> tuple[int, ...]:
    """Parse "mon-fri" -> (0..4), "mon,wed" -> (0, 2), "sat" -> (5,); Monday is 0."""
    if not isinstance(key, str) or not key.strip():
        raise HoursError(f'"{key}" is not a weekday key (expected e.g. mon-fri, sat, mon,wed)')
    days: list[int] = []
    for part in key.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        start, end = _day(first, key), _day(last or first, key)
        if end < start:
            raise HoursError(f'"{key}": {part} runs backwards (write the days from Monday to Sunday)')
        days.extend(range(start, end + 1))
    if len(set(days)) != len(days):
        raise HoursError(f'"{key}" names a day twice')
    return tuple(days)


@dataclass(frozen=True)
class QuietHours:
    """Local hours when no scheduled push goes to a citizen, e.g. 21:00-08:00."""

    range: TimeRange

    @classmethod
    def parse(cls, text: object) -> "QuietHours":
        if not isinstance(text, str):
            raise HoursError(f'"{text}" is not a time range (expected e.g. "21:00-08:00")')
        quiet = parse_range(text)
        if quiet.start == quiet.end:
            raise HoursError(f'"{text}" is empty (start and end are the same)')
        return cls(quiet)

    def contains(self, minute_of_day: float) -> bool:
        """Whether a local time (minutes after midnight, fractions allowed) is quiet."""
        start, end = self.range.start, self.range.end
        if self.range.crosses_midnight:
            return minute_of_day >= start or minute_of_day < end
        return start <= minute_of_day < end

    def __str__(self) -> str:
        return str(self.range)


def _day(name: str, key: object) -> int:
    if name not in DAY_NAMES:
        raise HoursError(f'"{key}": "{name}" is not a weekday (use {", ".join(DAY_NAMES)})')
    return DAY_NAMES.index(name)


def _clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


Week = tuple[tuple[TimeRange, ...], ...]
CLOSED_WEEK: Week = ((),) * 7


class WeekError(HoursError):
    """An office-hours entry that is wrong; `key` names the entry (e.g. "mon-fri")."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


def build_week(entries: object) -> Week:
    """Turn {"mon-fri": "09:00-18:00", "sat": "10:00-13:00"} into office ranges per weekday, Monday first."""
    if not isinstance(entries, dict):
        raise HoursError('office hours must map weekdays to hours, e.g. {mon-fri: "09:00-18:00"}')
    week: list[tuple[TimeRange, ...] | None] = [None] * 7
    owner: dict[int, str] = {}
    for key, text in entries.items():
        try:
            days, ranges = parse_days(key), parse_office_ranges(text)
        except HoursError as error:
            raise WeekError(str(error), str(key)) from None
        for day in days:
            if day in owner:
                raise WeekError(f'{DAY_NAMES[day]} is already given by "{owner[day]}"', str(key))
            owner[day], week[day] = str(key), ranges
    return tuple(ranges or () for ranges in week)


def week_text(week: Week) -> dict[str, str]:
    """Office ranges per weekday back to charter text, runs of equal days joined: {"mon-fri": ...}."""
    text: dict[str, str] = {}
    first = 0
    for day in range(1, 8):
        if day == 7 or week[day] != week[first]:
            if week[first]:
                key = DAY_NAMES[first] if first == day - 1 else f"{DAY_NAMES[first]}-{DAY_NAMES[day - 1]}"
                text[key] = ",".join(map(str, week[first]))
            first = day
    return text
