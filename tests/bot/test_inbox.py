"""Durable intake table: stored once, read back in order, payload dropped when handled, purged later."""

from datetime import timedelta

from sqlalchemy import func, select, text

from bot import inbox
from bot.inbox import IntakeUpdate
from tests.conftest import at

NOW = at("2026-11-23T10:00:00+09:00")


def update(update_id: int, text_: str = "hello") -> dict:
    return {"update_id": update_id, "message": {"message_id": update_id, "chat": {"id": 7, "type": "private"},
                                                 "date": 0, "text": text_}}


async def test_an_update_id_is_stored_once(store):
    async with store.unit_of_work() as session:
        assert await inbox.store(session, [update(1), update(2)], now=NOW) == 2
    async with store.unit_of_work() as session:
        assert await inbox.store(session, [update(2), update(3)], now=NOW) == 1
        assert await inbox.store(session, [], now=NOW) == 0
    async with store.unit_of_work() as session:
        assert (await session.execute(select(func.count()).select_from(IntakeUpdate))).scalar_one() == 3


async def test_waiting_comes_back_in_update_order_without_the_skipped(store):
    async with store.unit_of_work() as session:
        await inbox.store(session, [update(5, "five"), update(3, "three"), update(4, "four")], now=NOW)
    async with store.unit_of_work() as session:
        rows = await inbox.waiting(session, limit=10)
        assert [r.update_id for r in rows] == [3, 4, 5]
        assert [r.data["message"]["text"] for r in rows] == ["three", "four", "five"]
        assert rows[0].received_at == NOW
        assert [r.update_id for r in await inbox.waiting(session, limit=10, skip={3, 5})] == [4]
        assert [r.update_id for r in await inbox.waiting(session, limit=2)] == [3, 4]


async def test_the_payload_is_encrypted_at_rest(store):
    async with store.unit_of_work() as session:
        await inbox.store(session, [update(1, "MARKER-한글-text")], now=NOW)
    async with store.engine.connect() as connection:
        [raw] = (await connection.execute(text("SELECT payload FROM intake_updates"))).scalars().all()
    assert "MARKER" not in raw and "update_id" not in raw


async def test_handled_updates_lose_their_payload_and_are_not_waiting(store):
    async with store.unit_of_work() as session:
        await inbox.store(session, [update(1), update(2)], now=NOW)
    async with store.unit_of_work() as session:
        await inbox.mark_done(session, [1], now=NOW)
        await inbox.mark_done(session, [], now=NOW)
    async with store.unit_of_work() as session:
        assert [r.update_id for r in await inbox.waiting(session, limit=10)] == [2]
        assert await inbox.backlog(session, now=NOW + timedelta(seconds=30)) == (1, 30.0)
        # A redelivery of a handled update is still recognised.
        assert await inbox.store(session, [update(1)], now=NOW) == 0
    async with store.engine.connect() as connection:
        payloads = dict((await connection.execute(text("SELECT update_id, payload FROM intake_updates"))).all())
    assert payloads[1] is None and payloads[2] is not None


async def test_purge_forgets_only_long_handled_ids(store):
    async with store.unit_of_work() as session:
        await inbox.store(session, [update(1), update(2), update(3)], now=NOW)
        await inbox.mark_done(session, [1], now=NOW)
        await inbox.mark_done(session, [2], now=NOW + timedelta(hours=12))
    async with store.unit_of_work() as session:
        assert await inbox.purge_done(session, now=NOW + inbox.KEEP_DONE + timedelta(seconds=1)) == 1
    async with store.unit_of_work() as session:
        ids = (await session.execute(select(IntakeUpdate.update_id).order_by(IntakeUpdate.update_id))).scalars().all()
        assert ids == [2, 3]
        assert await inbox.backlog(session, now=NOW) == (1, 0.0)


async def test_a_payload_that_does_not_decrypt_is_returned_empty_not_raised(store):
    async with store.unit_of_work() as session:
        await inbox.store(session, [update(1), update(2)], now=NOW)
    async with store.engine.begin() as connection:
        await connection.execute(text("UPDATE intake_updates SET payload = 'cd1:1:AAAA' WHERE update_id = 1"))
    async with store.unit_of_work() as session:
        rows = await inbox.waiting(session, limit=10)
    assert [(r.update_id, r.data is None) for r in rows] == [(1, True), (2, False)]


async def test_an_empty_table_has_no_backlog(store):
    async with store.unit_of_work() as session:
        assert await inbox.backlog(session, now=NOW) == (0, 0.0)
