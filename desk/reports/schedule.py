"""When the weekly report goes to officers: a weekday and a local time, e.g. "mon 09:00"."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer, PlainValidator

from desk.charter.hours import DAY_NAMES, HoursError, parse_clock


@dataclass(frozen=True)
class WeeklyTime:
    """A weekday (Monday = 0) and minutes after local midnight."""

    weekday: int
    minute: int

    @classmethod
    def parse(cls, text: object) -> "WeeklyTime":
        """'mon 09:00' -> WeeklyTime(0, 540); ValueError says what is wrong."""
        parts = text.split() if isinstance(text, str) else []
        if len(parts) != 2 or parts[0].lower() not in DAY_NAMES:
            raise ValueError(f'"{text}" is not a weekly time (expected e.g. "mon 09:00")')
        try:
            minute = parse_clock(parts[1])
        except HoursError as error:
            raise ValueError(str(error)) from None
        if minute >= 24 * 60:
            raise ValueError(f'"{text}": the time must be before 24:00')
        return cls(DAY_NAMES.index(parts[0].lower()), minute)

    def last_at_or_before(self, now: datetime, timezone: ZoneInfo) -> datetime:
        """The latest such moment not after `now`, in `timezone`."""
        local = now.astimezone(timezone)
        day = local.date() - timedelta(days=(local.weekday() - self.weekday) % 7)
        moment = self.on(day, timezone)
        return moment if moment <= now else self.on(day - timedelta(days=7), timezone)

    def on(self, day: date, timezone: ZoneInfo) -> datetime:
        """This time of day on `day`, local."""
        naive = datetime.combine(day, datetime.min.time()) + timedelta(minutes=self.minute)
        return naive.replace(tzinfo=timezone)

    def __str__(self) -> str:
        return f"{DAY_NAMES[self.weekday]} {self.minute // 60:02d}:{self.minute % 60:02d}"


def _weekly(value: object) -> WeeklyTime:
    return value if isinstance(value, WeeklyTime) else WeeklyTime.parse(value)


# A charter field: reads "mon 09:00", dumps back to the same text.
Weekly = Annotated[WeeklyTime, PlainValidator(_weekly), PlainSerializer(str)]
DEFAULT_WEEKLY = WeeklyTime(0, 9 * 60)
