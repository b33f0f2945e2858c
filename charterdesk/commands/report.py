"""`charterdesk report`: a period's charter-compliance figures as text, CSV, PNG chart or HTML page."""

import asyncio
import sys
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

EXIT_FAILED = 1
EXIT_BAD_ARGUMENT = 2

app = typer.Typer(help="Charter-compliance figures of a period.")


class Format(str, Enum):
    text = "text"
    csv = "csv"
    png = "png"
    html = "html"


@app.callback(invoke_without_command=True)
def report(
    period: Annotated[
        str, typer.Option(help="2026-11 | 2026-Q4 | 2026 | 2026-11-01..2026-11-30 (charter's timezone)")
    ],
    format: Annotated[Format, typer.Option("--format", "-f", help="what to write")] = Format.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write (default: stdout)")
    ] = None,
    lang: Annotated[str, typer.Option(help="language of the words (default: the charter's first)")] = "",
    as_of: Annotated[
        str, typer.Option(help="judge the figures as of this ISO 8601 moment (default: now)")
    ] = "",
    agency: Annotated[
        bool, typer.Option("--agency", help="every organisation side by side (text, csv or html), figures only")
    ] = False,
) -> None:
    """Figures of the tickets received in PERIOD (DATABASE_URL, CHARTER_FILE), per clock and per month.

    With --agency: every organisation of the deployment side by side, each judged by its own charter."""
    from desk.reports.period import PeriodError, parse_period

    try:
        chosen = parse_period(period)
    except PeriodError as error:
        _fail(EXIT_BAD_ARGUMENT, f"--period {error}")
    moment = _parse_as_of(as_of) if as_of else datetime.now(UTC)
    if agency and format is Format.png:
        _fail(EXIT_BAD_ARGUMENT, "the agency report has no chart: --format text, csv or html")
    if format is Format.png and output is None and sys.stdout.isatty():
        _fail(EXIT_BAD_ARGUMENT, "a PNG is not for the terminal: add --output FILE")
    data = asyncio.run(_render(chosen, format, lang, moment, agency=agency))
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        try:
            output.write_bytes(data)
        except OSError as error:
            _fail(EXIT_FAILED, f"cannot write {output}: {error.strerror or error}")


async def _render(period, format: Format, lang: str, now: datetime, *, agency: bool = False) -> bytes:
    from pydantic import ValidationError

    from infra.keyring import Keyring, KeyringError
    from desk.charter.model import CharterError, load_charter
    from charterdesk.settings import Settings
    from desk.organisations.models import FIRST_ORGANISATION
    from desk.reports.agency import build_agency_report, facilities_of
    from desk.reports.report import build_report
    from infra.database import Store, StoreError
    from conversation.texts import Texts, TextsError

    try:
        settings = Settings()
    except ValidationError as error:
        _fail(
            EXIT_FAILED, f"invalid configuration: {error.errors()[0]['loc'][0]}: {error.errors()[0]['msg']}"
        )
    try:
        charter, texts = load_charter(settings.charter_file), Texts.load()
    except (CharterError, TextsError) as error:
        _fail(EXIT_FAILED, str(error))
    language = lang or charter.languages[0]
    if language not in charter.languages or not texts.speaks(language):
        _fail(
            EXIT_BAD_ARGUMENT,
            f'--lang "{language}" is not one of the charter\'s languages: {", ".join(charter.languages)}',
        )
    try:
        # Rating comments are encrypted.
        store = Store(settings.database_url, keyring=Keyring.from_file(settings.key_file))
    except (StoreError, KeyringError) as error:
        _fail(EXIT_FAILED, str(error))
    try:
        await store.migrate()
        async with store.unit_of_work() as session:
            if agency:
                # Every organisation, each by its own charter; the agency is CHARTER_FILE's body.
                facilities = await facilities_of(session=session, deployment_charter=charter)
                report = await build_agency_report(session=session, facilities=facilities, period=period, now=now)
            else:
                # CHARTER_FILE's figures: organisation 1's (charterdesk/assembly.py adopt_charter).
                report = await build_report(session=session, organisation_id=FIRST_ORGANISATION, charter=charter,
                                            period=period, now=now)
    except (StoreError, KeyringError, CharterError) as error:
        _fail(EXIT_FAILED, str(error))
    finally:
        await store.dispose()
    if agency:
        return _encode_agency(report, texts, language, format, charter)
    return _encode(report, texts, language, format)


def _encode_agency(report, texts, language: str, format: Format, charter) -> bytes:
    from conversation.reports.agency_csv import render_agency_csv
    from conversation.reports.agency_page import render_agency_page
    from conversation.reports.agency_text import render_agency_text

    agency, zone = charter.organisation.name, charter.timezone
    if format is Format.csv:
        return render_agency_csv(report)
    if format is Format.html:
        return render_agency_page(report, texts, language, agency=agency, timezone=zone).encode()
    return (render_agency_text(report, texts, language, agency=agency, timezone=zone) + "\n").encode()


def _encode(report, texts, language: str, format: Format) -> bytes:
    from conversation.reports.chart import render_png
    from conversation.reports.csv_file import render_csv
    from conversation.reports.page import render_page
    from conversation.reports.text import render_text

    if format is Format.csv:
        return render_csv(report)
    if format is Format.png:
        return render_png(report, texts, language)
    if format is Format.html:
        return render_page(report, texts, language, chart_png=render_png(report, texts, language)).encode()
    return (render_text(report, texts, language) + "\n").encode()


def _parse_as_of(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        _fail(
            EXIT_BAD_ARGUMENT,
            f'--as-of "{text}" is not an ISO 8601 timestamp (e.g. 2026-12-01T09:00:00+09:00)',
        )
    if moment.tzinfo is None:
        _fail(EXIT_BAD_ARGUMENT, f'--as-of "{text}" has no UTC offset (e.g. 2026-12-01T09:00:00+09:00)')
    return moment


def _fail(code: int, message: str) -> NoReturn:
    typer.echo(f"charterdesk report: {message}", err=True)
    raise typer.Exit(code)
