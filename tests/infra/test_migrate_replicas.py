"""Replicas starting at once migrate at once: on PostgreSQL one migrates, the others find the schema current."""

import asyncio

import pytest
from sqlalchemy import make_url, text

from infra.database import Store
from tests import conftest


@pytest.mark.skipif(not conftest.SERVER_URL, reason="PostgreSQL only (set TEST_DATABASE_URL)")
async def test_three_migrators_at_once_on_an_empty_database_all_succeed(data_keys):
    name = f"{conftest._scratch_name()}_migrators"
    await conftest._create_database(name)
    url = make_url(conftest.SERVER_URL).set(database=name).render_as_string(hide_password=False)
    stores = [Store(url, keyring=data_keys) for _ in range(3)]
    try:
        await asyncio.gather(*(store.migrate() for store in stores))
        async with stores[0].engine.connect() as connection:
            versions = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    finally:
        for store in stores:
            await store.dispose()
        await conftest._drop_database(name)
    assert versions == ["0010_senders"]  # the newest migration
