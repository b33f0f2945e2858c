"""Shared fixtures: a migrated Store per database backend, pinned clocks, the default charter."""

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from charterdesk.schema import metadata
from infra.database import Store
from conversation.texts import Texts

ROOT = Path(__file__).resolve().parent.parent
SERVER_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if SERVER_URL else [])
# Each run gets a scratch database on that server (pytest_sessionstart), so runs never empty each other's.
POSTGRES_URL = SERVER_URL


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _create_database(name: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(SERVER_URL))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_database(name: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(SERVER_URL))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def _scratch_name() -> str:
    return f"charterdesk_test_{os.getpid()}"


def pytest_sessionstart(session) -> None:
    """Point PostgreSQL tests at a fresh scratch database of this run."""
    global POSTGRES_URL
    if SERVER_URL:
        asyncio.run(_create_database(_scratch_name()))
        POSTGRES_URL = make_url(SERVER_URL).set(database=_scratch_name()).render_as_string(hide_password=False)


def pytest_sessionfinish(session, exitstatus) -> None:
    """Drop this run's scratch database."""
    if SERVER_URL:
        asyncio.run(_drop_database(_scratch_name()))


@pytest.fixture
def data_keys(tmp_path_factory):
    """Every test encrypts with keys of its own, in the file the `live` fixture's processes load too."""
    from infra.keyring import Keyring

    return Keyring.from_file(tmp_path_factory.mktemp("keys") / "charterdesk.key")


@pytest.fixture(scope="session")
def charter():
    """The repository's default charter."""
    from desk.charter.model import load_charter

    return load_charter(ROOT / "charter.yml")


@pytest.fixture(scope="session")
def texts() -> Texts:
    """Every text of domain.yml."""
    return Texts.load()


@pytest.fixture(scope="session")
def desk(charter, texts):
    """The organisation as the flows see it."""
    from conversation.citizen.flows import Desk

    return Desk(charter=charter, texts=texts)


async def _reset_postgres(store: Store) -> None:
    async with store.engine.begin() as connection:
        await connection.run_sync(metadata.drop_all)
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


# Reset and migrate PostgreSQL once per run; each test then only empties the tables.
_postgres_ready = False


@pytest.fixture(params=BACKENDS)
async def store(request, tmp_path, data_keys) -> AsyncIterator[Store]:
    """A migrated, empty database with the test's keys: a fresh SQLite file, or the PostgreSQL test database
    emptied after use."""
    global _postgres_ready
    if request.param == "sqlite":
        store = Store(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}", keyring=data_keys)
        await store.migrate()
        yield store
        await store.dispose()
        return
    store = Store(POSTGRES_URL, keyring=data_keys)
    if not _postgres_ready:
        await _reset_postgres(store)
        await store.migrate()
        _postgres_ready = True
    try:
        yield store
    finally:
        await truncate_all(store)
        await store.dispose()


async def truncate_all(store: Store) -> None:
    """Empty every table and restart ids, so each test sees ticket I-1001 first; organisation 1 stays, as
    migration 0014 leaves it in a fresh database."""
    names = ", ".join(table.name for table in metadata.sorted_tables)
    async with store.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        await connection.execute(text(
            "INSERT INTO organisations (slug, name, charter_file, created_at) VALUES ('main', '', '', now())"
        ))


@pytest.fixture
def database_url(store: Store) -> str:
    """The URL of the `store` fixture's database, for processes that open their own Store."""
    return store.engine.url.render_as_string(hide_password=False)


def at(text_: str) -> datetime:
    """An aware datetime from ISO 8601 text, in UTC."""
    return datetime.fromisoformat(text_).astimezone(UTC)
