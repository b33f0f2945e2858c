"""A database left at an older migration, on its own, so that migrating it disturbs no other test."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from infra.database import Store, alembic_config
from infra.keyring import Keyring
from tests.conftest import SERVER_URL, _create_database, _drop_database, _scratch_name

BACKENDS = ["sqlite"] + (["postgresql"] if SERVER_URL else [])


@asynccontextmanager
async def store_at(revision: str, *, backend: str, tmp_path: Path, keys: Keyring) -> AsyncIterator[Store]:
    """A fresh SQLite file or PostgreSQL database migrated up to `revision` only, with `keys`."""
    name = f"{_scratch_name()}_{revision}"
    if backend == "sqlite":
        store = Store(f"sqlite+aiosqlite:///{tmp_path / f'{revision}.db'}", keyring=keys)
    else:
        from sqlalchemy.engine import make_url

        await _create_database(name)
        store = Store(make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False), keyring=keys)
    from alembic import command

    def upgrade(connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with store.engine.begin() as connection:
        await connection.run_sync(upgrade)
    try:
        yield store
    finally:
        await store.dispose()
        if backend == "postgresql":
            await _drop_database(name)
