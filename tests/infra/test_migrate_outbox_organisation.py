"""Migration 0017: the outbox's rows of a database at 0016 belong to organisation 1, and keys become per organisation."""

from datetime import timedelta

import pytest
from sqlalchemy import MetaData, Table, insert, text

from desk import outbox
from desk.organisations import service as organisations
from desk.outbox import OutboxMessage
from tests.conftest import at
from tests.infra.revisions import BACKENDS, store_at

NOW = at("2026-11-24T11:00:00+09:00")
CHAT = 700


@pytest.fixture(params=BACKENDS)
async def store_at_0016(request, tmp_path, data_keys):
    """A database at 0016 (organisations, but an outbox without them), on its own."""
    async with store_at("0016_ticket_numbers", backend=request.param, tmp_path=tmp_path, keys=data_keys) as store:
        yield store


async def test_existing_outbox_rows_become_organisation_1s_and_keys_are_unique_per_organisation(store_at_0016):
    store = store_at_0016
    rows = [
        {"key": "reply:a:5", "chat_id": CHAT, "text": "sent before", "status": "sent", "not_before": NOW,
         "attempts": 1, "created_at": NOW - timedelta(hours=1), "sent_at": NOW - timedelta(hours=1)},
        {"key": "reply:a:6", "chat_id": CHAT, "text": "still owed", "status": "pending", "not_before": NOW,
         "attempts": 0, "created_at": NOW, "sent_at": None},
    ]
    # The table as 0016 has it: every column but organisation_id (chat_hash comes from its Python default).
    at_0016 = Table("outbox", MetaData(), *(c._copy() for c in OutboxMessage.__table__.columns
                                              if c.name != "organisation_id"))
    async with store.engine.begin() as connection:
        await connection.execute(insert(at_0016), rows)

    await store.migrate()

    async with store.engine.connect() as connection:
        owners = (await connection.execute(text("SELECT key, organisation_id FROM outbox ORDER BY id"))).all()
    assert owners == [("reply:a:5", 1), ("reply:a:6", 1)]
    async with store.unit_of_work() as session:
        second = await organisations.add(session=session, slug="szeged", name="Szeged", charter_file="x.yml", now=NOW)
        # The same key in organisation 1 is a promise made already; in another organisation it is a new one.
        assert await outbox.enqueue(session, key="reply:a:6", chat_id=CHAT, text="again", now=NOW) is None
        made = await outbox.enqueue(session, key="reply:a:6", chat_id=CHAT, text="theirs", now=NOW,
                                    organisation_id=second.id)
        assert made is not None and made.organisation_id == second.id
    async with store.unit_of_work() as session:
        # The row owed from before the migration is claimed as organisation 1's, the new one as its own.
        claimed = await outbox.claim_due(session, now=NOW)
    assert [(m.text, m.organisation_id) for m in claimed] == [("still owed", 1), ("theirs", second.id)]
