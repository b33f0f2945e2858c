"""A service charter: the promises one organisation makes, loaded and validated from YAML.

`load_charter("charter.yml")` returns an immutable `Charter`; `charter.due_at(category, received)`
is the moment the reply is promised by. Every problem in the file is a `CharterError` naming the
file, line and field (see design.md, "Charter file: what a clock means").
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator, model_validator

from desk.charter import calendar as cal
from desk.charter.calendar import BusinessCalendar, KR_CIVIL_PETITIONS
from desk.charter.errors import CharterError, Problem, problems_from
from desk.charter.fields import CalendarPeriod, Country, Day, FieldProblem, Language, OfficeWeek, Period, Quiet, Timezone
from desk.charter.hours import CLOSED_WEEK, week_text
from desk.reports.schedule import DEFAULT_WEEKLY, Weekly
from desk.tickets.enums import Category
from desk.charter.yaml_lines import YamlProblem, load_with_lines

__all__ = ["CATEGORIES", "ROLES", "Charter", "CharterError", "Clock", "load_charter"]

CATEGORIES: tuple[Category, ...] = tuple(Category)
Role = Literal["agent", "officer", "admin", "agency"]
ROLES: tuple[str, ...] = get_args(Role)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Contact(_Section):
    """Where citizens can reach the organisation besides the bot."""

    phone: str | None = None
    fax: str | None = None
    email: str | None = None
    web: str | None = None
    address: str | None = None
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: object) -> object:
        return {"note": value} if isinstance(value, str) else value


class Organisation(_Section):
    name: str = Field(min_length=1)
    timezone: Timezone
    languages: tuple[Language, ...] = Field(min_length=1)  # first = default
    contact: Contact = Contact()

    @field_validator("languages")
    @classmethod
    def _unique(cls, languages: tuple[str, ...]) -> tuple[str, ...]:
        for index, code in enumerate(languages):
            if code in languages[:index]:
                raise FieldProblem(f'"{code}" is listed twice', at=(index,))
        return languages


class Holidays(_Section):
    country: Country | None = None  # public holidays from the `holidays` package
    extra: tuple[Day, ...] = ()  # the organisation's own closure days


class Clock(_Section):
    """How long a reply in one category may take, and what happens around the deadline."""

    reply_within: Period
    counting: Literal["kr-civil-petitions"] | None = None
    interim: Literal["on_breach", "none"] = "none"  # on_breach: tell the citizen why it is late
    remind_staff_before: Period | None = None

    @model_validator(mode="after")
    def _counting_in_days(self) -> "Clock":
        if self.counting == KR_CIVIL_PETITIONS and self.reply_within.unit != "days":
            message = f'{KR_CIVIL_PETITIONS} counts periods in days, not "{self.reply_within}"'
            raise FieldProblem(message, at=("counting",))
        return self

    @property
    def counts_business_time(self) -> bool:
        kr_hours = self.counting == KR_CIVIL_PETITIONS and self.reply_within.amount <= cal.KR_HOURS_LIMIT_DAYS
        return self.reply_within.is_business or kr_hours


class Clocks(_Section):
    inquiry: Clock
    complaint: Clock
    non_response_complaint: Clock
    appointment_request: Clock


class Retention(_Section):
    closed_tickets: CalendarPeriod  # personal data of a closed ticket is erased after this


class StaffMember(_Section):
    telegram_id: int
    name: str = Field(min_length=1)
    role: Role


class SatisfactionSurvey(_Section):
    ask_after_reply: bool = False  # the bot asks for a rating once the final reply is sent
    cadence: Literal["yearly", "per_course", "regular"] | None = None  # the charter's own survey

    @model_validator(mode="before")
    @classmethod
    def _from_bool(cls, value: object) -> object:
        return {"ask_after_reply": value} if isinstance(value, bool) else value


class Score(_Section):
    year: int
    score: float
    grade: str | None = None
    scope: str | None = None  # what was measured, by whom


class PublishedResults(_Section):
    where: str | None = None
    scores: tuple[Score, ...] = ()


class Reports(_Section):
    weekly: Weekly | None = DEFAULT_WEEKLY  # officers get the week's figures then (local); null: never


class Nlu(_Section):
    """How the organisation's front door learns."""

    # `charterdesk nlu retrain` may fit the embedded classifier on staff's corrections of ticket
    # categories (their citizens' messages included); off unless the organisation says so.
    learn_from_corrections: StrictBool = False


class Web(_Section):
    """The homepage web chat: the pages (origins) allowed to embed it; none: only the desk's own page."""

    allowed_origins: tuple[str, ...] = ()

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for index, origin in enumerate(origins):
            if origin != canonical_origin(origin):
                raise FieldProblem(f'"{origin}" is not an origin like https://www.example.org', at=(index,))
        return origins


def canonical_origin(origin: str) -> str | None:
    """An origin as browsers send it (scheme://host[:port], lower case, no default port), or None."""
    parts = urlsplit(origin.strip())
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment \
            or parts.username is not None or parts.password is not None:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


class Charter(_Section):
    """One organisation's charter; immutable."""

    organisation: Organisation
    office_hours: OfficeWeek = CLOSED_WEEK  # weekdays not listed are closed
    holidays: Holidays = Holidays()
    clocks: Clocks
    quiet_hours: Quiet | None = None  # scheduled pushes to citizens wait until it ends
    retention: Retention
    anonymous_complaints: bool = False
    satisfaction_survey: SatisfactionSurvey = SatisfactionSurvey()
    published_results: PublishedResults | None = None
    reports: Reports = Reports()
    nlu: Nlu = Nlu()
    web: Web = Web()
    staff: tuple[StaffMember, ...] = Field(min_length=1)
    staff_chat_id: int
    # How staff replies to citizens are signed: the member's name, or their role ("Case worker").
    staff_signature: Literal["name", "role"] = "name"

    @model_validator(mode="after")
    def _consistent(self) -> "Charter":
        problem = next(_inconsistencies(self), None)
        if problem is not None:
            raise problem
        return self

    @property
    def timezone(self) -> ZoneInfo:
        return self.organisation.timezone

    @property
    def languages(self) -> list[str]:
        """Language codes the bot speaks; the first is the default."""
        return list(self.organisation.languages)

    @property
    def retention_days(self) -> int:
        """Whole days a closed ticket's personal data is kept (a part day counts as a day)."""
        period = self.retention.closed_tickets.as_timedelta()
        return -(-period // timedelta(days=1))

    @cached_property
    def calendar(self) -> BusinessCalendar:
        extra = frozenset(self.holidays.extra)
        return BusinessCalendar(self.timezone, self.office_hours, self.holidays.country, extra)

    @property
    def officers(self) -> tuple[StaffMember, ...]:
        return tuple(member for member in self.staff if member.role == "officer")

    def staff_member(self, telegram_id: int) -> StaffMember | None:
        return next((member for member in self.staff if member.telegram_id == telegram_id), None)

    def clock(self, category: str) -> Clock:
        if category not in CATEGORIES:
            raise ValueError(f'unknown category "{category}" (expected one of: {", ".join(CATEGORIES)})')
        return getattr(self.clocks, category)

    def due_at(self, category: str, received: datetime) -> datetime:
        """When the reply to a message of `category` received at `received` is due (aware, local)."""
        clock = self.clock(category)
        return cal.due_at(self.calendar, received, clock.reply_within, clock.counting)

    def remind_at(self, category: str, due: datetime) -> datetime | None:
        """When staff are reminded of a ticket due at `due`; None if the clock has no reminder."""
        before = self.clock(category).remind_staff_before
        return None if before is None else cal.remind_at(self.calendar, due, before)

    def in_quiet_hours(self, at: datetime) -> bool:
        return self.calendar.in_quiet_hours(at, self.quiet_hours)

    def quiet_hours_end(self, at: datetime) -> datetime:
        return self.calendar.quiet_hours_end(at, self.quiet_hours)

    def office_hours_text(self) -> dict[str, str]:
        """{"mon-fri": "09:00-12:00,13:00-18:00"}: runs of weekdays with the same hours, for display."""
        return week_text(self.office_hours)


def load_charter(path: str | Path) -> Charter:
    """Read and validate a charter file; raise CharterError naming file, line and field."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CharterError(file, [Problem(None, "", f"cannot read the charter ({_reason(error)})")]) from None
    try:
        data, lines = load_with_lines(text)
    except YamlProblem as error:
        raise CharterError(file, [Problem(error.line, "", f"not valid YAML: {error.message}")]) from None
    if not isinstance(data, dict):
        message = "a charter is a mapping of sections (organisation, office_hours, clocks, ...)"
        raise CharterError(file, [Problem(lines.get((), 1), "", message)])
    try:
        return Charter.model_validate(data)
    except ValidationError as error:
        raise CharterError(file, problems_from(error, lines, Charter)) from None


def _inconsistencies(charter: Charter) -> Iterator[FieldProblem]:
    """Problems that need more than one field to see; each a FieldProblem at its field."""
    for category in CATEGORIES:
        yield from _clock_inconsistencies(charter, category)
    seen: set[int] = set()
    for index, member in enumerate(charter.staff):
        if member.telegram_id in seen:
            yield FieldProblem(
                f"telegram_id {member.telegram_id} is listed twice", at=("staff", index, "telegram_id")
            )
        seen.add(member.telegram_id)


def _clock_inconsistencies(charter: Charter, category: str) -> Iterator[FieldProblem]:
    clock: Clock = getattr(charter.clocks, category)
    where = ("clocks", category)
    no_office = not any(charter.office_hours)
    if no_office and clock.counts_business_time:
        yield FieldProblem(_NO_OFFICE.format(clock.reply_within), at=where + ("reply_within",))
    if no_office and clock.remind_staff_before and clock.remind_staff_before.is_business:
        yield FieldProblem(_NO_OFFICE.format(clock.remind_staff_before), at=where + ("remind_staff_before",))
    if clock.counting == KR_CIVIL_PETITIONS and charter.holidays.country != "KR":
        message = f"{KR_CIVIL_PETITIONS} skips Korean public holidays: set holidays.country to KR"
        yield FieldProblem(message, at=where + ("counting",))


_NO_OFFICE = '"{}" counts business time, but the charter has no office_hours'


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)
