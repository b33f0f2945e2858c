"""Alembic environment: uses the caller's connection when given one (Store.migrate), else DATABASE_URL."""

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

from charterdesk.settings import Settings
from charterdesk.schema import metadata


def run_with(connection) -> None:
    """Run migrations on a synchronous connection facade."""
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_from_settings() -> None:
    """Run migrations against DATABASE_URL (the `alembic` command line)."""
    engine = create_async_engine(Settings().database_url)
    async with engine.begin() as connection:
        await connection.run_sync(run_with)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_with(connection)
else:
    asyncio.run(run_from_settings())
