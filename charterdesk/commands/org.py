"""`charterdesk org add|list|check|disable`: the organisations one deployment serves, each with its charter file.

Bad input (a malformed or taken slug, an unknown one, an invalid charter, disabling twice) is refused with
one line on stderr and exit code 2, before anything is written.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from charterdesk.commands.charter import summary
from desk.charter.model import Charter, CharterError, load_charter

app = typer.Typer(help="The organisations this deployment serves, each with its own charter file.",
                  no_args_is_help=True)

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
T = TypeVar("T")


@app.command()
def add(
    slug: Annotated[str, typer.Argument(help="short name: a-z, 0-9, _ and -, e.g. seoul-east")],
    charter_file: Annotated[Path, typer.Argument(help="the organisation's charter YAML file")],
) -> None:
    """Add an organisation run by CHARTER_FILE (validated first, as `charterdesk charter check` does)."""
    from desk.organisations import service

    try:
        service.check_slug(slug)
    except service.OrganisationError as error:
        _fail(EXIT_BAD_INPUT, str(error))
    charter = _load(charter_file)
    # Resolved: the processes reading it later need not start in this directory.
    path = str(charter_file.resolve())

    async def insert(session):
        return await service.add(session=session, slug=slug, name=charter.organisation.name, charter_file=path,
                                 now=datetime.now(UTC))

    added = _in_database(insert)
    typer.echo(f'added organisation {added.id} "{added.slug}": {added.name} ({added.charter_file})')
    _add_data_key(added.id, added.slug)


def _add_data_key(organisation_id: int, slug: str) -> None:
    """The new organisation's own data key, so its citizens' data is readable by it alone."""
    from infra.keyring import KeyringError, add_data_key

    key_file = _settings().key_file
    try:
        kid = add_data_key(key_file, organisation=organisation_id)
    except KeyringError as error:
        _fail(EXIT_FAILED, f"{error}; the organisation is added: `charterdesk keys rotate --org {slug}` gives it its key")
    typer.echo(f"added data key {kid} of organisation {organisation_id} to {key_file}")


@app.command(name="list")
def list_() -> None:
    """Every organisation: id, slug, name, charter file, and whether it is disabled."""
    from desk.organisations import service

    rows = _in_database(lambda session: service.listed(session=session))
    table = Table(title=f"Organisations: {len(rows)}")
    for column in ("id", "slug", "name", "charter file", "status"):
        table.add_column(column, no_wrap=column != "charter file")
    for row in rows:
        status = "active" if row.active else f"disabled {row.disabled_at:%Y-%m-%d %H:%M} UTC"
        table.add_row(str(row.id), row.slug, row.name or "(named at start-up)", row.charter_file or "(CHARTER_FILE)",
                      status)
    Console(width=160).print(table)


@app.command()
def check(slug: Annotated[str, typer.Argument(help="one organisation (default: every one)")] = "") -> None:
    """Validate the charter file of SLUG, or of every organisation; exit code 2 if one is invalid."""
    from desk.organisations import service

    if slug:
        found = _in_database(lambda session: service.get(session=session, slug=slug))
        if found is None:
            _fail(EXIT_BAD_INPUT, f'no organisation "{slug}"')
        rows = [found]
    else:
        rows = _in_database(lambda session: service.listed(session=session))
    console = Console(width=160)
    invalid = 0
    for row in rows:
        # Organisation 1 before its first start-up: its charter is CHARTER_FILE's.
        path = Path(row.charter_file) if row.charter_file else _settings().charter_file
        try:
            charter = load_charter(path)
        except CharterError as error:
            invalid += 1
            console.print(f"[red]✗[/red] {row.slug}: {error}", markup=True, highlight=False)
            continue
        console.print(f"[green]✓[/green] {row.slug}: {path}: {summary(charter)}", highlight=False)
        # Reported, not failed: the charter is what `check` validates, and a token may be set only where the
        # bot runs (its container's secret); `charterdesk run` refuses to start without it.
        if row.active and (problem := _token_problem(row)) is not None:
            console.print(f"[yellow]![/yellow] {row.slug}: {problem}", markup=True, highlight=False)
    if invalid:
        _fail(EXIT_BAD_INPUT, f"{invalid} of {len(rows)} charter file(s) invalid")


@app.command()
def disable(slug: Annotated[str, typer.Argument(help="the organisation to disable")]) -> None:
    """Stop SLUG taking messages; its tickets, figures and audit log stay."""
    from desk.organisations import service

    async def change(session):
        return await service.disable(session=session, slug=slug, now=datetime.now(UTC))

    disabled = _in_database(change)
    typer.echo(f'disabled organisation {disabled.id} "{disabled.slug}"')


def _token_problem(row) -> str | None:
    """Why the organisation's bot cannot start, if its token is missing or unreadable."""
    from charterdesk.settings import FILE_SUFFIX, TOKEN_PREFIX, TokenError, env_suffix
    from desk.organisations.models import FIRST_ORGANISATION

    first = row.id == FIRST_ORGANISATION
    try:
        if _settings().bot_token(row.slug, first=first):
            return None
    except TokenError as error:
        return str(error)
    if first:
        return "no bot token: set TELEGRAM_BOT_TOKEN"
    name = TOKEN_PREFIX + env_suffix(row.slug)
    return f"no bot token: set {name} or {name}{FILE_SUFFIX}"


def _load(file: Path) -> Charter:
    try:
        return load_charter(file)
    except CharterError as error:
        _fail(EXIT_BAD_INPUT, str(error))


def _settings():
    from pydantic import ValidationError

    from charterdesk.settings import Settings

    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        _fail(EXIT_FAILED, f"invalid configuration: {first['loc'][0]}: {first['msg']}")


def _in_database(work: Callable[..., Awaitable[T]]) -> T:
    """`work(session)` in one unit of work on DATABASE_URL (migrated first); a refusal exits 2, unwritten."""
    from desk.organisations.service import OrganisationError
    from infra.database import Store, StoreError
    from infra.keyring import Keyring, KeyringError

    settings = _settings()

    async def run() -> T:
        try:
            # The keys only let an older database migrate (its rows are encrypted on the way): none is read here.
            store = Store(settings.database_url, keyring=Keyring.from_file(settings.key_file))
        except (StoreError, KeyringError) as error:
            _fail(EXIT_FAILED, str(error))
        try:
            await store.migrate()
            async with store.unit_of_work() as session:
                return await work(session)
        finally:
            await store.dispose()

    try:
        return asyncio.run(run())
    except OrganisationError as error:  # raised inside the unit of work: it rolled back
        _fail(EXIT_BAD_INPUT, str(error))
    except (StoreError, KeyringError) as error:
        _fail(EXIT_FAILED, str(error))


def _fail(code: int, message: str) -> NoReturn:
    typer.echo(f"charterdesk org: {message}", err=True)
    raise typer.Exit(code)
