"""Migration 0016: ticket numbers become a column counted per organisation; every number told before it still
finds its ticket, and each organisation's next ticket follows its highest number."""

from datetime import timedelta

import pytest
from sqlalchemy import insert, text

from alembic import command
from desk.tickets import lifecycle, service
from desk.tickets.enums import Category
from desk.tickets.models import Ticket
from infra.database import _foreign_keys, alembic_config
from tests.conftest import at
from tests.infra.revisions import BACKENDS, store_at

RECEIVED = at("2026-11-23T10:15:00+09:00")
# ticket id -> its organisation, as a database at 0015 holds them: numbers were id + 1000 across organisations.
OWNERS = {1: 1, 2: 2, 3: 1, 4: 2, 5: 2}


@pytest.fixture(params=BACKENDS)
async def store_at_0015(request, tmp_path, data_keys):
    async with store_at("0015_ticket_promised_at", backend=request.param, tmp_path=tmp_path, keys=data_keys) as store:
        yield store


async def write_0015_rows(store) -> None:
    """Three organisations (the third without tickets) and five tickets numbered I-1001..I-1005 between two."""
    organisations = [{"id": n, "slug": f"org{n}", "name": "", "charter_file": "", "created_at": RECEIVED}
                     for n in (2, 3)]
    tickets = [
        {"id": ticket_id, "organisation_id": owner, "category": "inquiry", "status": "open", "citizen_id": None,
         "anonymous": True, "language": "en", "received_at": RECEIVED, "due_at": RECEIVED + timedelta(days=3),
         "text": f"Question {ticket_id}"}
        for ticket_id, owner in OWNERS.items()
    ]
    async with store.engine.begin() as connection:
        # Only the columns 0015 has: not next_ticket_number (its Python default would name it), not tickets.number.
        await connection.execute(text(
            "INSERT INTO organisations (id, slug, name, charter_file, created_at) "
            "VALUES (:id, :slug, :name, :charter_file, :created_at)"
        ), organisations)
        await connection.execute(insert(Ticket.__table__), tickets)
        if store.dialect == "postgresql":
            await connection.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), 5)"))
            await connection.execute(text("SELECT setval(pg_get_serial_sequence('organisations', 'id'), 3)"))


async def test_old_numbers_keep_finding_their_tickets_and_counters_continue_past_them(store_at_0015, charter):
    store = store_at_0015
    await write_0015_rows(store)

    await store.migrate()

    async with store.engine.connect() as connection:
        numbered = dict((await connection.execute(text("SELECT id, number FROM tickets"))).all())
        counters = dict((await connection.execute(text("SELECT id, next_ticket_number FROM organisations"))).all())
    assert numbered == {ticket_id: ticket_id + 1000 for ticket_id in OWNERS}
    assert counters == {1: 1004, 2: 1006, 3: 1001}
    async with store.unit_of_work() as session:
        # I-1004 was told to a citizen of organisation 2: it still names that ticket there, and nothing in 1.
        told = await service.get_ticket_by_number(session=session, organisation_id=2, serial=1004)
        assert (told.id, told.text, told.number) == (4, "Question 4", "I-1004")
        assert await service.get_ticket_by_number(session=session, organisation_id=1, serial=1004) is None
        opened = {
            organisation_id: (await lifecycle.open_ticket(
                session=session, organisation_id=organisation_id, charter=charter, citizen=None,
                category=Category.COMPLAINT, language="en", text="new", received_at=RECEIVED, anonymous=True,
            )).number
            for organisation_id in (1, 2, 3)
        }
    assert opened == {1: "C-1004", 2: "C-1006", 3: "C-1001"}


async def test_downgrade_is_refused_once_tickets_are_numbered_per_organisation(store_at_0015, charter):
    store = store_at_0015
    await write_0015_rows(store)
    await store.migrate()

    async def downgrade() -> None:
        def run(connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0015_ticket_promised_at")

        async with store.engine.connect() as connection:
            # As Store.migrate does: SQLite rebuilds organisations, which its foreign keys would refuse midway.
            if store.dialect == "sqlite":
                await connection.run_sync(_foreign_keys, False)
            async with connection.begin():
                await connection.run_sync(run)

    await downgrade()  # every number is still id + 1000: nothing would change
    async with store.engine.connect() as connection:
        columns = (await connection.execute(text("SELECT * FROM tickets"))).keys()
    assert "number" not in columns
    await store.migrate()
    async with store.unit_of_work() as session:
        await lifecycle.open_ticket(
            session=session, organisation_id=3, charter=charter, citizen=None, category=Category.INQUIRY,
            language="en", text="new", received_at=RECEIVED, anonymous=True,
        )  # organisation 3's I-1001, while ticket 6 would be I-1006 by id
    with pytest.raises(RuntimeError, match="numbered per organisation"):
        await downgrade()
