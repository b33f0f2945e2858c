"""`charterdesk keys`: rotate the data key (re-encrypting every stored value) and retire old keys."""

import asyncio
from typing import NoReturn

import typer

app = typer.Typer(no_args_is_help=True)


@app.command()
def rotate(
    new_key: bool = typer.Option(
        True, "--new-key/--resume", help="Add a new current key first (default), or only finish an interrupted run."
    ),
    batch: int = typer.Option(500, min=1, help="Rows per transaction."),
    org: str | None = typer.Option(
        None, "--org", help="The organisation (slug) whose key is rotated; default: the first (CHARTER_FILE's)."
    ),
) -> None:
    """Add a new current data key, then re-encrypt every encrypted column under it, in batches.

    Each organisation has data keys of its own: the new key is ORG's, and only values under ORG's older keys
    move to it (an interrupted run of any organisation is finished by `--resume`, which rotates none).

    Safe to interrupt: run `charterdesk keys rotate --resume` to finish. Rows still in plaintext (from
    before encryption at rest) are encrypted too. Running bot and scheduler processes read the new key
    from the key file when they meet it; restart them so that they also write with it, then run
    `--resume` once more to pick up what they wrote meanwhile.
    """
    asyncio.run(_rotate(new_key=new_key, batch=batch, org=org))


@app.command()
def retire(key_id: int = typer.Argument(..., help="The data key to remove from the key file.")) -> None:
    """Remove an old data key from the key file, refused while any stored value still uses it."""
    asyncio.run(_retire(key_id))


@app.command()
def status() -> None:
    """The key file's data keys and how many stored values each one encrypts."""
    asyncio.run(_status())


async def _rotate(*, new_key: bool, batch: int, org: str | None) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from infra import keyring
    from charterdesk import rotation

    settings, store, ring = await _open()
    console = Console()
    try:
        organisation = await _organisation(store, org)
        if new_key:
            kid = keyring.add_data_key(settings.key_file, organisation=organisation)
            ring = store.keyring = keyring.Keyring.from_file(settings.key_file, create=False)
            console.print(f"added data key {kid} of organisation {organisation} to {settings.key_file}; "
                          "it is now its current key")
        total = await rotation.pending(store, ring=ring)
        columns = (TextColumn("re-encrypting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("rows", total=total)
            result = await rotation.reencrypt(
                store, ring=ring, batch=batch, progress=lambda done: progress.advance(task, done)
            )
        for name in result.reencrypted:
            moved, plain = result.reencrypted[name], result.encrypted[name]
            if moved or plain:
                console.print(f"  {name}: {moved} re-encrypted, {plain} encrypted from plaintext")
        current = ", ".join(str(kid) for kid in sorted(ring.current_ids))
        console.print(f"{result.total} values rewritten in {result.batches} batches under current data key(s) {current}")
        use = await rotation.key_use(store)
        unused = [kid for kid in ring.data_key_ids if kid not in ring.current_ids and not use.get(kid)]
        if unused:
            console.print(f"no stored value uses data key(s) {', '.join(map(str, unused))} any more: "
                          "`charterdesk keys retire ID` removes one")
    except keyring.KeyringError as error:
        _fail(str(error))
    finally:
        await store.dispose()


async def _retire(key_id: int) -> None:
    from infra import keyring
    from charterdesk import rotation

    settings, store, ring = await _open()
    try:
        if key_id in ring.current_ids:
            _fail(f"data key {key_id} is the current key of organisation {ring.owner_of(key_id)}: "
                  "rotate to a new one first")
        in_use = (await rotation.key_use(store)).get(key_id, 0)
        if in_use:
            _fail(f"{in_use} stored values still use data key {key_id}: run `charterdesk keys rotate --resume` first")
        keyring.remove_data_key(settings.key_file, key_id)
        typer.echo(f"removed data key {key_id} from {settings.key_file}")
    except keyring.KeyringError as error:
        _fail(str(error))
    finally:
        await store.dispose()


async def _status() -> None:
    from charterdesk import rotation

    settings, store, ring = await _open()
    try:
        use = await rotation.key_use(store)
    finally:
        await store.dispose()
    for kid in ring.data_key_ids:
        marker = " (current)" if kid in ring.current_ids else ""
        typer.echo(f"data key {kid}{marker}: {use.pop(kid, 0)} values (organisation {ring.owner_of(kid)})")
    for kid, count in sorted(use.items()):
        typer.echo(f"data key {kid} (MISSING from {settings.key_file}): {count} values cannot be read")


async def _organisation(store, slug: str | None) -> int:
    """The id of the organisation named by `slug` (None: the first); exits if there is none."""
    from desk.organisations import service
    from desk.organisations.models import FIRST_ORGANISATION

    if slug is None:
        return FIRST_ORGANISATION
    async with store.unit_of_work() as session:
        found = await service.get(session=session, slug=slug)
    if found is None:
        _fail(f'no organisation "{slug}" (`charterdesk org list` shows them)')
    return found.id


async def _open():
    """Settings, a migrated store and the key file's keyring; a missing key file is an error, not a new key."""
    from pydantic import ValidationError

    from infra import keyring
    from charterdesk.settings import Settings
    from infra.database import Store, StoreError

    try:
        settings = Settings()
    except ValidationError as error:
        _fail(f"bad settings: {error}")
    try:
        ring = keyring.Keyring.from_file(settings.key_file, create=False)
        store = Store(settings.database_url, keyring=ring)
    except (keyring.KeyringError, StoreError) as error:
        _fail(str(error))
    try:
        await store.migrate()
    except (StoreError, keyring.KeyringError) as error:
        await store.dispose()
        _fail(str(error))
    return settings, store, ring


def _fail(message: str) -> NoReturn:
    typer.echo(f"charterdesk keys: {message}", err=True)
    raise typer.Exit(1)
