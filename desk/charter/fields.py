"""Field types of a charter file: each turns YAML input into a typed value or says what is wrong."""

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import babel
import holidays
from pydantic import PlainSerializer, PlainValidator

from desk.charter.durations import ABSOLUTE_UNITS, Duration, parse_duration
from desk.charter.hours import QuietHours, Week, WeekError, build_week, week_text


class FieldProblem(ValueError):
    """A validation message that belongs to a field below the one being validated (`at`)."""

    def __init__(self, message: str, at: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.at = at


def _timezone(value: object) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    try:
        return ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f'"{value}" is not a timezone (expected an IANA name, e.g. "Asia/Seoul")') from None


def _language(value: object) -> str:
    try:
        babel.Locale.parse(str(value))
    except (ValueError, babel.UnknownLocaleError):
        raise ValueError(f'"{value}" is not a language code (expected e.g. ko, en, hu)') from None
    return str(value)


def _country(value: object) -> str:
    code = str(value).upper()
    if code not in holidays.list_supported_countries():
        raise ValueError(f'"{value}" is not a country the holidays package knows (expected e.g. KR, HU)')
    return code


def _date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    reason = ""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            reason = f"{error}; " if "range" in str(error) else ""
    raise ValueError(f'"{value}" is not a date ({reason}expected YYYY-MM-DD)')


def _duration(value: object) -> Duration:
    return value if isinstance(value, Duration) else parse_duration(value)


def _calendar_duration(value: object) -> Duration:
    duration = _duration(value)
    if duration.unit not in ABSOLUTE_UNITS:
        raise ValueError(f'"{value}" must be calendar time (minutes, hours or days), not business time')
    return duration


def _week(value: object) -> Week:
    if isinstance(value, tuple):
        return value
    try:
        return build_week(value)
    except WeekError as error:
        raise FieldProblem(str(error), at=(error.key,)) from None


def _quiet_hours(value: object) -> QuietHours:
    return value if isinstance(value, QuietHours) else QuietHours.parse(value)


# Each type dumps back to the text a charter file would hold.
Timezone = Annotated[ZoneInfo, PlainValidator(_timezone), PlainSerializer(lambda zone: zone.key)]
Language = Annotated[str, PlainValidator(_language)]
Country = Annotated[str, PlainValidator(_country)]
Day = Annotated[date, PlainValidator(_date), PlainSerializer(date.isoformat)]
Period = Annotated[Duration, PlainValidator(_duration), PlainSerializer(str)]
CalendarPeriod = Annotated[Duration, PlainValidator(_calendar_duration), PlainSerializer(str)]
OfficeWeek = Annotated[Week, PlainValidator(_week), PlainSerializer(week_text)]
Quiet = Annotated[QuietHours, PlainValidator(_quiet_hours), PlainSerializer(str)]
