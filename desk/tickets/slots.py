"""Appointment times: whether the office is open at a moment, and the nearest open slots to offer."""

from collections import Counter
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

from desk.charter.calendar import BusinessCalendar

# An appointment takes an hour; slots start on the hour, local time.
SLOT = timedelta(hours=1)
# How far from the asked day we look for an open slot.
HORIZON_DAYS = 14
OFFERED = 3
PER_DAY = 2
# With no time asked for, we offer times around this hour of the first business day ahead.
DEFAULT_HOUR = 10

Verdict = Literal["open", "past", "holiday", "closed_day", "closed_hours"]


def fits(calendar: BusinessCalendar, start: datetime) -> bool:
    """A whole appointment from `start` lies inside office time (checked every quarter hour)."""
    steps = int(SLOT / timedelta(minutes=15))
    moments = [start + timedelta(minutes=15) * n for n in range(steps)] + [start + SLOT - timedelta(seconds=1)]
    return all(calendar.is_business_time(moment) for moment in moments)


def verdict(calendar: BusinessCalendar, at: datetime, *, now: datetime) -> Verdict:
    """Whether an appointment can start at `at`, and if not, why."""
    if at <= now:
        return "past"
    if fits(calendar, at):
        return "open"
    day = calendar.local_date(at)
    if calendar.is_holiday(day):
        return "holiday"
    return "closed_hours" if calendar.is_business_day(day) else "closed_day"


def day_verdict(calendar: BusinessCalendar, day: date, *, now: datetime) -> Verdict:
    """Whether any appointment can be had on `day`, and if not, why."""
    if day_slots(calendar, day, now=now):
        return "open"
    if day < calendar.local_date(now) or calendar.is_business_day(day):
        return "past"
    return "holiday" if calendar.is_holiday(day) else "closed_day"


def day_slots(calendar: BusinessCalendar, day: date, *, now: datetime) -> list[datetime]:
    """Every slot start on `day` that fits and lies after `now`."""
    return [start for start in _fitting_starts(calendar, day) if start > now]


@lru_cache(maxsize=4096)
def _fitting_starts(calendar: BusinessCalendar, day: date) -> tuple[datetime, ...]:
    # A calendar is frozen, so which slots of a day fit never changes; offering times to one appointment
    # request looks at a month of days, and the next request looks at the same days again.
    if not calendar.is_business_day(day):
        return ()
    starts = (calendar.wall_time(day, hour * 3600) for hour in range(24))
    return tuple(start for start in starts if fits(calendar, start))


def nearest(calendar: BusinessCalendar, around: datetime, *, now: datetime) -> list[datetime]:
    """Up to three open slots nearest to `around` (two a day at most), in time order.

    Nearness counts business days, so a Saturday's nearest days are Friday and Monday alike (the
    later one first), then the time of day nearest to the one asked for.
    """
    asked = calendar.local(around)
    asked_minute = asked.hour * 60 + asked.minute
    candidates = []
    for distance, later, day in _days_around(calendar, asked.date()):
        for start in day_slots(calendar, day, now=now):
            local = calendar.local(start)
            rank = (distance, not later, abs(local.hour * 60 + local.minute - asked_minute), start)
            candidates.append((rank, start))
    chosen: list[datetime] = []
    per_day: Counter[date] = Counter()
    for _, start in sorted(candidates):
        day = calendar.local_date(start)
        if per_day[day] < PER_DAY:
            chosen.append(start)
            per_day[day] += 1
        if len(chosen) == OFFERED:
            break
    return sorted(chosen)


def _days_around(calendar: BusinessCalendar, asked: date) -> list[tuple[int, bool, date]]:
    """(business days away, whether after, day) for the business days within the horizon of `asked`."""
    days = [(0, True, asked)] if calendar.is_business_day(asked) else []
    for later in (True, False):
        step, distance = (1 if later else -1), 0
        for offset in range(1, HORIZON_DAYS + 1):
            day = asked + timedelta(days=step * offset)
            if calendar.is_business_day(day):
                distance += 1
                days.append((distance, later, day))
    return days


def on_day(calendar: BusinessCalendar, day: date, *, now: datetime) -> list[datetime]:
    """Three slots spread over `day` (or over the nearest business day ahead when it has none)."""
    for offset in range(HORIZON_DAYS + 1):
        slots = day_slots(calendar, day + timedelta(days=offset), now=now)
        if slots:
            return _spread(slots)
    return []


def suggestions(calendar: BusinessCalendar, *, now: datetime) -> list[datetime]:
    """Slots to offer when the citizen named no time: around mid-morning of the next business day."""
    if not calendar.has_office_hours:
        return []
    tomorrow = calendar.next_day(calendar.local_date(now))
    return nearest(calendar, calendar.wall_time(tomorrow, DEFAULT_HOUR * 3600), now=now)


def _spread(slots: list[datetime]) -> list[datetime]:
    if len(slots) <= OFFERED:
        return slots
    last = len(slots) - 1
    return [slots[0], slots[last // 2], slots[last]]
