"""Each Store reads and writes with its own keyring: two organisations' databases in one process."""

import asyncio

import pytest
from sqlalchemy import select, text

from desk.organisations.models import FIRST_ORGANISATION
from desk import outbox
from desk.tickets import lifecycle, service
from desk.tickets.models import Ticket
from infra.database import Store
from infra.keyring import Keyring, KeyringError
from tests.conftest import at

NOW = at("2026-11-23T10:00:00+09:00")
CHAT = 5550100


@pytest.fixture
async def two_stores(tmp_path):
    """Two databases, each with keys of its own, open at the same time."""
    stores = [
        Store(f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}", keyring=Keyring.from_file(tmp_path / f"{name}.key"))
        for name in ("north", "south")
    ]
    for store in stores:
        await store.migrate()
    yield stores
    for store in stores:
        await store.dispose()


async def _write(store: Store, words: str) -> None:
    async with store.unit_of_work() as session:
        citizen = await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT, language="en", now=NOW)
        await asyncio.sleep(0)  # let the other store's unit of work run in between
        await lifecycle.create(organisation_id=FIRST_ORGANISATION, session=session, citizen=citizen, category="inquiry", language="en",
                                    text=words, received_at=NOW, due_at=NOW)
        await outbox.enqueue(session, key="k", chat_id=CHAT, text=words, now=NOW)


async def _raw(store: Store, sql: str):
    async with store.engine.connect() as connection:
        return (await connection.execute(text(sql))).one()


async def test_two_stores_in_one_process_each_encrypt_and_hash_with_their_own_keys(two_stores):
    north, south = two_stores
    await asyncio.gather(_write(north, "north words"), _write(south, "south words"))

    for store, words in ((north, "north words"), (south, "south words")):
        other = south if store is north else north
        (stored,) = await _raw(store, "SELECT text FROM tickets")
        (chat_hash,) = await _raw(store, "SELECT chat_hash FROM citizens")
        assert store.keyring.decrypt(stored, purpose="tickets.text") == words
        with pytest.raises(KeyringError):
            other.keyring.decrypt(stored, purpose="tickets.text")
        assert chat_hash == store.keyring.chat_hash(CHAT) != other.keyring.chat_hash(CHAT)
        async with store.unit_of_work() as session:
            assert (await session.scalar(select(Ticket.text))) == words
            assert (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT)).chat_id == CHAT


async def test_a_unit_of_work_inside_another_stores_hashes_with_its_own_keys(two_stores):
    north, south = two_stores
    await _write(north, "north words")
    await _write(south, "south words")
    async with north.unit_of_work() as outer:
        async with south.unit_of_work() as inner:
            assert (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=inner, chat_id=CHAT)).chat_id == CHAT
        assert (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=outer, chat_id=CHAT)).chat_id == CHAT


async def test_a_store_opened_with_the_wrong_keys_cannot_read_the_other_database(two_stores, tmp_path):
    north, south = two_stores
    await _write(north, "north words")
    mixed = Store(str(north.engine.url), keyring=south.keyring)
    try:
        async with mixed.unit_of_work() as session:
            with pytest.raises(KeyringError, match="not the one it was written with"):
                await session.scalar(select(Ticket.text))
            assert await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT) is None  # its hash is not there
    finally:
        await mixed.dispose()
