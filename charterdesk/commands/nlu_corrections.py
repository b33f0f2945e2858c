"""`charterdesk nlu corrections` and `charterdesk nlu retrain`: what staff corrected, and learning from it.

Both read the organisation's database (DATABASE_URL, CHARTERDESK_KEY_FILE) and charter (CHARTER_FILE).
"""

import asyncio
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from nlu.classifier import DATA_DIR as DEFAULT_DATA_DIR

EXIT_FAILED = 1
EXIT_REFUSED = 2

OPT_IN = "nlu:\n  learn_from_corrections: true"


def corrections(
    recent: Annotated[int, typer.Option(min=0, help="list this many of the latest corrections")] = 10,
    show_text: Annotated[
        bool, typer.Option("--show-text", help="include each listed correction's message (citizens' words)")
    ] = False,
) -> None:
    """What staff corrected: a from -> to table of ticket categories, and the latest corrections."""
    counts, latest = asyncio.run(_read(recent))
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(confusion_table(counts))
    if not latest:
        return
    table = Table(title=f"Latest {len(latest)}")
    for column in ("when (UTC)", "ticket", "from", "to", "staff", *(["message"] if show_text else [])):
        table.add_column(column)
    for row in latest:
        cells = [
            f"{row.corrected_at:%Y-%m-%d %H:%M}", _number(row), row.from_category, row.to_category, str(row.staff_id)
        ]
        if show_text:
            cells.append(row.text if row.text is not None else "(erased)")
        table.add_row(*cells)
    console.print(table)


def retrain(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="folder holding the training data nlu.yml")
    ] = DEFAULT_DATA_DIR,
) -> None:
    """Fit the embedded classifier on nlu.yml plus the staff's corrections (the charter must opt in)."""
    from nlu import corrections as fits

    charter = _charter()
    if not charter.nlu.learn_from_corrections:
        _fail(
            EXIT_REFUSED,
            "the charter does not let the classifier learn from staff corrections (it holds citizens' "
            f"messages); to opt in, add to the charter:\n{OPT_IN}",
        )
    corrected = asyncio.run(_examples())
    done = fits.retrain(charter.organisation.name, corrected, data_dir=data_dir)
    typer.echo(
        f"fitted on {done.base} examples of nlu.yml and {done.added} corrected messages "
        f"({done.skipped} skipped: no ticket category or a language the classifier does not know)\n"
        f"kept at {done.path}; `charterdesk run` uses it from its next start"
    )


def confusion_table(counts) -> Table:
    """Rows: the category the front door chose; columns: the one staff gave."""
    from desk.tickets.enums import Category

    table = Table(title=f"Corrections: {sum(counts.values())} (rows: opened as, columns: corrected to)")
    table.add_column("from \\ to")
    for category in Category:
        table.add_column(category.value, justify="right")
    table.add_column("total", justify="right")
    for source in Category:
        row = [counts.get((source, target), 0) for target in Category]
        table.add_row(source.value, *(str(n) if n else "." for n in row), str(sum(row)))
    return table


def _number(row) -> str:
    from desk.tickets.models import format_number

    serial = row.ticket.serial
    return f"{format_number(row.from_category, serial)} -> {format_number(row.to_category, serial)}"


async def _read(recent: int):
    from desk.tickets import corrections as kept

    async def read(session):
        return await kept.confusion(session=session), await kept.recent(session=session, limit=recent)

    return await _in_store(read)


async def _examples():
    from desk.tickets import corrections as kept
    from nlu.corrections import Corrected

    async def read(session):
        rows = await kept.examples(session=session)
        return [Corrected(text=r.text, category=r.category, language=r.language) for r in rows]

    return await _in_store(read)


async def _in_store(read):
    from infra.database import Store, StoreError
    from infra.keyring import Keyring, KeyringError

    settings = _settings()
    try:
        # The messages kept with corrections are encrypted.
        store = Store(settings.database_url, keyring=Keyring.from_file(settings.key_file, create=False))
    except (StoreError, KeyringError) as error:
        _fail(EXIT_FAILED, str(error))
    try:
        await store.migrate()
        async with store.unit_of_work() as session:
            return await read(session)
    except (StoreError, KeyringError) as error:
        _fail(EXIT_FAILED, str(error))
    finally:
        await store.dispose()


def _settings():
    from pydantic import ValidationError

    from charterdesk.settings import Settings

    try:
        return Settings()
    except ValidationError as error:
        problem = error.errors()[0]
        _fail(EXIT_FAILED, f"invalid configuration: {problem['loc'][0]}: {problem['msg']}")


def _charter():
    from desk.charter.model import CharterError, load_charter

    try:
        return load_charter(_settings().charter_file)
    except CharterError as error:
        _fail(EXIT_FAILED, str(error))


def _fail(code: int, message: str) -> NoReturn:
    typer.echo(f"charterdesk nlu: {message}", err=True)
    raise typer.Exit(code)
