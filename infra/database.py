"""The database: an async engine, one unit-of-work context manager, and Alembic migrations."""

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from infra import encrypted
from infra.keyring import Keyring

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# The advisory lock migrators take on PostgreSQL (any fixed number; "charterdesk" read as digits).
MIGRATION_LOCK = 0x63686172746572


class StoreError(Exception):
    """The database cannot be used; the message says which one and why, without its password."""


class Store:
    """Owns the engine and the keyring its encrypted columns use; hands out units of work.

    Without a keyring the store reaches the database (check, migrate an empty one, administer) but
    cannot read or write an encrypted column."""

    def __init__(self, url: str, *, keyring: Keyring | None = None, echo: bool = False) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise StoreError(f"DATABASE_URL is not a database URL: {url!r}") from exc
        self.safe_url = parsed.render_as_string(hide_password=True)
        options: dict = {"echo": echo}
        if parsed.get_backend_name() == "sqlite":
            # Writers queue for the file lock instead of failing at once with "database is locked".
            options["connect_args"] = {"timeout": 30}
            if parsed.database not in (None, "", ":memory:"):
                # Every transaction takes the write lock (BEGIN IMMEDIATE), so one connection does all
                # this process can: units of work queue for it in order, instead of several connections
                # polling the file lock in SQLite's busy handler (sleeps up to 100 ms; 3x the p99).
                options.update(pool_size=1, max_overflow=0, pool_timeout=30)
        else:
            options.update(pool_pre_ping=True, pool_size=10, max_overflow=10)
        self.engine: AsyncEngine = create_async_engine(parsed, **options)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _tune_sqlite)
            event.listen(self.engine.sync_engine, "begin", _begin_immediate)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.keyring = keyring

    @property
    def keyring(self) -> Keyring | None:
        """The data keys of this database (None: none loaded)."""
        return self._keyring

    @keyring.setter
    def keyring(self, ring: Keyring | None) -> None:
        # Replaced after `charterdesk keys rotate` adds a key, so this store writes with the new one.
        self._keyring = ring
        encrypted.attach(self.engine.dialect, ring)

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def unit_of_work(self, *, organisation_id: int | None = None) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: commits on exit, rolls back if the block raises.

        Chat ids hashed inside the block (encrypted.chat_hash_of) are hashed with this store's keys; its
        encrypted columns use `organisation_id`'s data keys (None: the organisation already served here)."""
        with encrypted.bound(self._keyring), encrypted.serving(organisation_id):
            async with self._sessions() as session, session.begin():
                yield session

    async def check(self) -> None:
        """Raise StoreError with a clear message if the database cannot be reached."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (OSError, OperationalError, InterfaceError, DBAPIError) as exc:
            raise StoreError(f"cannot reach the database at {self.safe_url}: {_reason(exc)}") from exc

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        await self.check()
        async with self.engine.connect() as connection:
            sqlite = self.dialect == "sqlite"
            if sqlite:
                # SQLite changes a column by rebuilding its table, which foreign keys would refuse midway
                # (SQLite's documented procedure); they are checked as a whole before the commit instead.
                await connection.run_sync(_foreign_keys, False)
            try:
                async with connection.begin():
                    if self.dialect == "postgresql":
                        # Bot replicas start (and migrate) at once: one migrator at a time, the others then
                        # find the schema current. Held until this transaction ends.
                        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
                    await connection.run_sync(_upgrade)
                    if sqlite:
                        await connection.run_sync(_check_foreign_keys)
            finally:
                if sqlite:
                    await connection.run_sync(_foreign_keys, True)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def alembic_config() -> Config:
    """Alembic configuration pointing at infra/migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    # "heads": work on separate features may add sibling revisions before a merge revision joins them.
    command.upgrade(config, "heads")


def _foreign_keys(connection, on: bool) -> None:
    # Straight to the driver: outside a transaction, where SQLite honours this pragma.
    cursor = connection.connection.dbapi_connection.cursor()
    cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    cursor.close()


def _check_foreign_keys(connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise StoreError(f"a migration left {len(broken)} rows with broken foreign keys, e.g. {tuple(broken[0])}")


def _tune_sqlite(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event open transactions itself (see _begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets the bot read while the scheduler writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Erased and deleted rows (retention, /forget) are overwritten with zeros, not left in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _begin_immediate(connection) -> None:
    # A deferred transaction that reads, then writes, fails at once with "database is locked" when
    # another writer got in between; taking the write lock up front makes writers queue instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__


def insert_ignoring_conflicts(session: AsyncSession, table, conflict_columns: Sequence[str]):
    """INSERT ... ON CONFLICT DO NOTHING for the session's backend (SQLite or PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
