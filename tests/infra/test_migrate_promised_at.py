"""Migration 0015: tickets get their first promise stored; older rows keep it where due_at still is it."""

from datetime import timedelta

import pytest
from sqlalchemy import insert, inspect, select, text

from desk.audit import AuditEntry
from desk.organisations.models import FIRST_ORGANISATION
from desk.reports.period import parse_period
from desk.reports.report import build_report
from desk.tickets.models import Ticket
from tests.conftest import at
from tests.infra.revisions import BACKENDS, store_at

RECEIVED = at("2026-11-02T10:00:00+09:00")  # a Monday
AS_OF = at("2026-12-20T10:00:00+09:00")


@pytest.fixture(params=BACKENDS)
async def store_at_0014(request, tmp_path, data_keys):
    """A database at 0014 (organisations, no promised_at), on its own."""
    async with store_at("0014_organisations", backend=request.param, tmp_path=tmp_path, keys=data_keys) as store:
        yield store


def ticket(id_, *, due_days, interim=False, answered_hours=None):
    return {
        "id": id_, "organisation_id": 1, "category": "inquiry", "status": "open", "citizen_id": None,
        "anonymous": False, "language": "en", "received_at": RECEIVED, "due_at": RECEIVED + timedelta(days=due_days),
        "interim_at": RECEIVED + timedelta(days=1) if interim else None, "text": "a question",
        "answered_at": None if answered_hours is None else RECEIVED + timedelta(hours=answered_hours),
    }


async def test_existing_tickets_keep_due_at_as_promise_unless_it_may_have_moved(store_at_0014, charter):
    store = store_at_0014
    first_promise = charter.due_at("inquiry", RECEIVED)
    untouched = ticket(1, due_days=0) | {"due_at": first_promise}
    moved_by_interim = ticket(2, due_days=30, interim=True, answered_hours=24 * 20)  # answered after the first promise
    reopened = ticket(3, due_days=40)  # reopen cleared interim_at; the audit log remembers the reopen
    refused_reopen = ticket(4, due_days=0) | {"due_at": first_promise}
    columns = {name for row in (untouched, moved_by_interim) for name in row}
    async with store.engine.begin() as connection:
        await connection.execute(insert(Ticket.__table__),
                                 [{c: row.get(c) for c in columns} for row in (untouched, moved_by_interim,
                                                                               reopened, refused_reopen)])
        await connection.execute(insert(AuditEntry.__table__), [
            {"organisation_id": 1, "at": RECEIVED, "actor_id": 1001, "actor_role": "officer", "action": "reopen",
             "outcome": outcome, "ticket_id": ticket_id}
            for ticket_id, outcome in ((3, "done"), (4, "refused"))
        ])

    await store.migrate()

    async with store.unit_of_work() as session:
        promised = dict((await session.execute(select(Ticket.id, Ticket.promised_at).order_by(Ticket.id))).all())
        assert promised == {1: first_promise, 2: None, 3: None, 4: first_promise}
        # The report settles the two it could not tell from the charter, and judges ticket 2 by its first promise.
        report = await build_report(session=session, organisation_id=FIRST_ORGANISATION, charter=charter,
                                    period=parse_period("2026-11"), now=AS_OF)
    inquiries = report.whole.by_clock["inquiry"]
    assert (inquiries.received, inquiries.on_time, inquiries.late) == (4, 0, 4)
    async with store.unit_of_work() as session:
        settled = dict((await session.execute(select(Ticket.id, Ticket.promised_at))).all())
    assert settled == {1: first_promise, 2: first_promise, 3: first_promise, 4: first_promise}


async def test_downgrade_drops_the_column(store_at_0014):
    store = store_at_0014
    await store.migrate()
    from alembic import command

    from infra.database import alembic_config

    def downgrade(connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0014_organisations")

    async with store.engine.begin() as connection:
        await connection.run_sync(downgrade)
        columns = await connection.run_sync(lambda sync: [c["name"] for c in inspect(sync).get_columns("tickets")])
    assert "promised_at" not in columns
    async with store.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM tickets"))).scalar() == 0
