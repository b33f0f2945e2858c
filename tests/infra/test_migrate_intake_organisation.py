"""Migration 0018: updates stored at 0017 are organisation 1's; another organisation's bot may reuse their ids."""

import pytest
from sqlalchemy import MetaData, Table, insert, text

from bot import inbox
from bot.inbox import IntakeUpdate
from desk.organisations import service as organisations
from tests.conftest import at
from tests.infra.revisions import BACKENDS, store_at

NOW = at("2026-11-24T11:00:00+09:00")


@pytest.fixture(params=BACKENDS)
async def store_at_0017(request, tmp_path, data_keys):
    """A database at 0017 (an intake table keyed by update id alone), on its own."""
    async with store_at("0017_outbox_organisation", backend=request.param, tmp_path=tmp_path, keys=data_keys) as store:
        yield store


def update(update_id: int, chat: int, text_: str) -> dict:
    return {"update_id": update_id, "message": {"message_id": 1, "date": 0, "text": text_,
                                                "chat": {"id": chat, "type": "private"}}}


async def test_stored_updates_become_organisation_1s_and_ids_are_per_bot(store_at_0017):
    store = store_at_0017
    # The table as 0017 has it: every column but organisation_id; one update handled, one still waiting.
    at_0017 = Table("intake_updates", MetaData(), *(c._copy() for c in IntakeUpdate.__table__.columns
                                                      if c.name != "organisation_id"))
    async with store.engine.begin() as connection:
        await connection.execute(insert(at_0017), [
            {"update_id": 41, "payload": None, "received_at": NOW, "done_at": NOW, "chat_hash": None,
             "claimed_by": None, "lease_until": None},
            {"update_id": 42, "payload": '{"update_id": 42}', "received_at": NOW, "done_at": None,
             "chat_hash": None, "claimed_by": None, "lease_until": None},
        ])

    await store.migrate()

    async with store.engine.connect() as connection:
        owners = (await connection.execute(text("SELECT update_id, organisation_id FROM intake_updates"))).all()
    assert sorted(owners) == [(41, 1), (42, 1)]
    async with store.unit_of_work() as session:
        second = await organisations.add(session=session, slug="csagyi", name="CSAGYI", charter_file="x.yml", now=NOW)
        # A redelivery to organisation 1's bot is recognised; the same id from the second bot is a new update.
        assert await inbox.store(session, [update(41, 700, "again")], now=NOW) == 0
        assert await inbox.store(session, [update(41, 700, "hello")], now=NOW, organisation_id=second.id) == 1
    async with store.unit_of_work() as session:
        ours = await inbox.claim(session, claimant="a", limit=10, now=NOW)
        theirs = await inbox.claim(session, claimant="b", limit=10, now=NOW, organisation_id=second.id)
    assert [row.update_id for row in ours] == [42]
    assert [(row.update_id, row.data["message"]["text"]) for row in theirs] == [(41, "hello")]
    async with store.unit_of_work() as session:
        # Marking one bot's update 41 done leaves the other's alone.
        assert await inbox.mark_done(session, [41], now=NOW, claimant="b", organisation_id=second.id) == {41}
        assert await inbox.mark_done(session, [42], now=NOW, claimant="b") == set()
