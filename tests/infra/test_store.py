"""The store on every backend: migrations, unit of work, idempotent inbound, ticket numbers."""

import pytest
from sqlalchemy import inspect, select

from desk.organisations.models import FIRST_ORGANISATION
from infra.database import Store, StoreError
from desk.tickets import lifecycle, service
from desk.tickets.models import Ticket, format_number, parse_number
from tests.conftest import at

NOW = at("2026-11-23T10:00:00+09:00")


async def test_migrations_create_every_table(store: Store):
    async with store.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"citizens", "tickets", "inbound_messages", "outbox", "alembic_version"} <= tables


async def test_migrating_twice_is_harmless(store: Store):
    await store.migrate()
    await store.migrate()


async def test_unit_of_work_commits_on_exit(store: Store):
    async with store.unit_of_work() as session:
        await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=42, language="ko", now=NOW)
    async with store.unit_of_work() as session:
        assert (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=42)).language == "ko"


async def test_unit_of_work_rolls_back_when_the_block_raises(store: Store):
    with pytest.raises(RuntimeError):
        async with store.unit_of_work() as session:
            await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=43, language="en", now=NOW)
            raise RuntimeError("boom")
    async with store.unit_of_work() as session:
        assert await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=43) is None


async def test_the_same_message_is_recorded_once(store: Store):
    async with store.unit_of_work() as session:
        first = await service.record_inbound(organisation_id=FIRST_ORGANISATION, session=session, chat_id=7, message_id=1, received_at=NOW)
    async with store.unit_of_work() as session:
        again = await service.record_inbound(organisation_id=FIRST_ORGANISATION, session=session, chat_id=7, message_id=1, received_at=NOW)
        other_chat = await service.record_inbound(organisation_id=FIRST_ORGANISATION, session=session, chat_id=8, message_id=1, received_at=NOW)
    assert first is not None and again is None and other_chat is not None


async def test_times_come_back_aware_and_equal(store: Store):
    received, due = at("2026-11-23T10:00:00+09:00"), at("2026-12-01T18:00:00+09:00")
    async with store.unit_of_work() as session:
        ticket = await lifecycle.create(
            organisation_id=FIRST_ORGANISATION, session=session, citizen=None, category="inquiry", language="ko", text="?", received_at=received, due_at=due
        )
    async with store.unit_of_work() as session:
        loaded = await session.get(Ticket, ticket.id)
    assert loaded.received_at == received and loaded.due_at == due
    assert loaded.due_at.utcoffset() is not None


async def test_ticket_numbers_carry_the_category_letter(store: Store):
    async with store.unit_of_work() as session:
        tickets = [
            await lifecycle.create(
                organisation_id=FIRST_ORGANISATION, session=session, citizen=None, category=c, language="en", text="x", received_at=NOW, due_at=NOW
            )
            for c in ("inquiry", "complaint", "non_response_complaint", "appointment_request")
        ]
    assert [t.number[0] for t in tickets] == ["I", "C", "N", "A"]
    assert tickets[0].number == "I-1001"
    async with store.unit_of_work() as session:
        assert len((await session.scalars(select(Ticket))).all()) == 4


def test_numbers_round_trip_and_reject_garbage():
    assert parse_number(format_number("complaint", 1043)) == ("complaint", 1043)
    assert parse_number(" i-1042 ") == ("inquiry", 1042)
    for bad in ("", "X-1042", "I-", "I-abc", "I-1000", "1042"):
        assert parse_number(bad) is None


async def test_an_unreachable_database_is_reported_clearly():
    store = Store("postgresql+asyncpg://someone:secret@127.0.0.1:1/nowhere")
    with pytest.raises(StoreError) as caught:
        await store.check()
    message = str(caught.value)
    assert "cannot reach the database at postgresql+asyncpg://someone:***@127.0.0.1:1/nowhere" in message
    assert "secret" not in message
    await store.dispose()


def test_a_malformed_url_is_reported_clearly():
    with pytest.raises(StoreError, match="not a database URL"):
        Store("not a url at all")


async def test_migrations_match_the_models(store: Store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from charterdesk.schema import metadata

    def differences(connection) -> list:
        return compare_metadata(MigrationContext.configure(connection), metadata)

    async with store.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_many_messages_are_recorded_in_one_insert_and_repeats_are_told_apart(store: Store):
    async with store.unit_of_work() as session:
        await service.record_inbound(organisation_id=FIRST_ORGANISATION, session=session, chat_id=7, message_id=1, received_at=NOW)
    async with store.unit_of_work() as session:
        new = await service.record_inbounds(organisation_id=FIRST_ORGANISATION, session=session, messages=[(7, 1, NOW), (7, 2, NOW), (8, 1, NOW)])
        assert await service.record_inbounds(organisation_id=FIRST_ORGANISATION, session=session, messages=[]) == []
    assert new == [False, True, True]
    async with store.unit_of_work() as session:
        assert await service.record_inbound(organisation_id=FIRST_ORGANISATION, session=session, chat_id=8, message_id=1, received_at=NOW) is None
        assert await service.record_inbounds(organisation_id=FIRST_ORGANISATION, session=session, messages=[(7, 2, NOW), (9, 5, NOW)]) == [False, True]
