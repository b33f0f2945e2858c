"""`charterdesk charter ...`: validate a charter file and compute the deadlines it promises."""

import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from desk.charter.calendar import BusinessCalendar
from desk.charter.model import CATEGORIES, Charter, CharterError, Clock, load_charter

app = typer.Typer(
    help="Validate a service charter and compute the deadlines it promises.", no_args_is_help=True
)

EXIT_INVALID_CHARTER = 1
EXIT_BAD_ARGUMENT = 2
HOLIDAY_SEARCH_DAYS = 400


@dataclass(frozen=True)
class Sample:
    label: str  # what makes the moment telling, when its date alone does not say
    received: datetime


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="the charter YAML file")],
    start: Annotated[str, typer.Option("--from", help="examples fall after this date, YYYY-MM-DD")] = "",
) -> None:
    """Validate FILE; print, per clock, the due moments for telling receipt times.

    The examples fall in the week after --from (default: today): Monday morning, Friday 17:55,
    Saturday, and the afternoon before the next public holiday."""
    reference = _parse_day(start) if start else None
    charter = _load(file)
    samples = sample_receipts(charter.calendar, reference or datetime.now(charter.timezone).date())
    console = Console(width=None if sys.stdout.isatty() else 140)
    console.print(f"[green]✓[/green] {file}: {summary(charter)}")
    console.print(_deadline_table(charter, samples))


@app.command()
def due(
    file: Annotated[Path, typer.Argument(help="the charter YAML file")],
    category: Annotated[str, typer.Argument(help=" | ".join(CATEGORIES))],
    received: Annotated[str, typer.Argument(help="ISO 8601 with UTC offset, e.g. 2026-11-30T10:00:00+09:00")],
) -> None:
    """Print the due moment (ISO 8601, the charter's UTC offset) of a message received at RECEIVED."""
    if category not in CATEGORIES:
        _fail(EXIT_BAD_ARGUMENT, f'unknown category "{category}" (expected one of: {", ".join(CATEGORIES)})')
    moment = _parse_received(received)
    charter = _load(file)
    typer.echo(charter.due_at(category, moment).isoformat())


def sample_receipts(calendar: BusinessCalendar, reference: date) -> list[Sample]:
    """Receipt times that show how a clock behaves: Monday morning, Friday 17:55, Saturday, and
    the afternoon before the first holiday that follows a business day (if any)."""
    monday = reference + timedelta(days=(7 - reference.weekday()) % 7)
    samples = [
        Sample("", _at(calendar, monday, 9, 30)),
        Sample("", _at(calendar, monday + timedelta(days=4), 17, 55)),
        Sample("", _at(calendar, monday + timedelta(days=5), 11, 0)),
    ]
    holiday = _next_holiday_after_business_day(calendar, reference)
    if holiday is not None:
        name = calendar.holiday_name(holiday)
        samples.append(Sample(f"eve of {name}", _at(calendar, holiday - timedelta(days=1), 15, 0)))
    return samples


def _next_holiday_after_business_day(calendar: BusinessCalendar, reference: date) -> date | None:
    for offset in range(1, HOLIDAY_SEARCH_DAYS):
        day = reference + timedelta(days=offset)
        if calendar.is_holiday(day) and calendar.is_business_day(day - timedelta(days=1)):
            return day
    return None


def _deadline_table(charter: Charter, samples: list[Sample]) -> Table:
    table = Table(title=f"Due moments ({charter.timezone.key})")
    table.add_column("clock", no_wrap=True)
    table.add_column("received", no_wrap=True)
    table.add_column("due", no_wrap=True)
    for category in CATEGORIES:
        notes = _clock_notes(category, charter.clock(category), len(samples))
        for note, sample in zip(notes, samples):
            received = f"{sample.received:%a %Y-%m-%d %H:%M}" + (f" ({sample.label})" if sample.label else "")
            table.add_row(note, received, _when(charter.due_at(category, sample.received)))
        table.add_section()
    return table


def _clock_notes(category: str, clock: Clock, rows: int) -> list[str]:
    """The clock's name and promise, one line per table row."""
    lines = [f"[bold]{category}[/bold]", str(clock.reply_within)]
    if clock.counting:
        lines[-1] += f" ({clock.counting})"
    if clock.interim == "on_breach":
        lines.append("interim reply on breach")
    if clock.remind_staff_before:
        lines.append(f"remind staff {clock.remind_staff_before} ahead")
    if len(lines) > rows:
        lines[rows - 1 :] = ["; ".join(lines[rows - 1 :])]
    return lines + [""] * (rows - len(lines))


def summary(charter: Charter) -> str:
    """One line: the organisation, timezone, languages, hours, holidays, quiet hours and staff of a charter."""
    hours = "; ".join(f"{day} {ranges}" for day, ranges in charter.office_hours_text().items()) or "none"
    extra = len(charter.holidays.extra)
    return (
        f"{charter.organisation.name} — {charter.timezone.key}, languages {', '.join(charter.languages)}; "
        f"office hours {hours}; holidays {charter.holidays.country or 'none'} + {extra} extra; "
        f"quiet hours {charter.quiet_hours or 'none'}; {len(charter.staff)} staff"
    )


def _when(moment: datetime) -> str:
    pattern = "%a %Y-%m-%d %H:%M:%S %Z" if moment.second else "%a %Y-%m-%d %H:%M %Z"
    return moment.strftime(pattern)


def _at(calendar: BusinessCalendar, day: date, hour: int, minute: int) -> datetime:
    return calendar.wall_time(day, hour * 3600 + minute * 60)


def _load(file: Path) -> Charter:
    try:
        return load_charter(file)
    except CharterError as error:
        _fail(EXIT_INVALID_CHARTER, str(error))


def _parse_received(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        _fail(
            EXIT_BAD_ARGUMENT,
            f'RECEIVED "{text}" is not an ISO 8601 timestamp (e.g. 2026-11-30T10:00:00+09:00)',
        )
    if moment.tzinfo is None:
        _fail(EXIT_BAD_ARGUMENT, f'RECEIVED "{text}" has no UTC offset (e.g. 2026-11-30T10:00:00+09:00)')
    return moment


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(EXIT_BAD_ARGUMENT, f'--from "{text}" is not a date (expected YYYY-MM-DD)')


def _fail(code: int, message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)
