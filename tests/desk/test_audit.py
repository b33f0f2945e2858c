"""The audit log: rows are appended in the caller's transaction and can never be changed or removed."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from desk.organisations.models import FIRST_ORGANISATION
from desk import audit
from tests.conftest import at

NOW = at("2026-11-23T10:00:00+09:00")


async def test_rows_come_back_per_ticket_oldest_first(store):
    async with store.unit_of_work() as session:
        for action in ("show", "reply", "close"):
            await audit.record(session, organisation_id=FIRST_ORGANISATION, action=action, actor_id=1002, actor_role="agent", ticket_id=7, now=NOW)
        await audit.record(session, organisation_id=FIRST_ORGANISATION, action="show", actor_id=1002, actor_role="agent", ticket_id=8, now=NOW)
        await audit.record(
            session, organisation_id=FIRST_ORGANISATION, action="reply", actor_id=555, actor_role=None, ticket_id=7, now=NOW, outcome=audit.REFUSED,
            detail="not staff",
        )
    async with store.unit_of_work() as session:
        rows = await audit.for_ticket(session, organisation_id=FIRST_ORGANISATION, ticket_id=7)
        assert [(r.action, r.outcome) for r in rows] == [
            ("show", "done"), ("reply", "done"), ("close", "done"), ("reply", "refused"),
        ]
        assert rows[0].at == NOW
        assert [r.action for r in await audit.for_ticket(session, organisation_id=FIRST_ORGANISATION, ticket_id=7, limit=2)] == ["close", "reply"]
        assert await audit.count(session, outcome=audit.REFUSED) == 1


async def test_a_rolled_back_action_leaves_no_row(store):
    with pytest.raises(RuntimeError):
        async with store.unit_of_work() as session:
            await audit.record(session, organisation_id=FIRST_ORGANISATION, action="reply", actor_id=1002, actor_role="agent", ticket_id=1, now=NOW)
            raise RuntimeError("the action failed")
    async with store.unit_of_work() as session:
        assert await audit.count(session) == 0


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET action = 'nothing'", "UPDATE audit_log SET detail = NULL", "DELETE FROM audit_log"],
)
async def test_the_database_refuses_to_change_or_delete_a_row(store, statement):
    async with store.unit_of_work() as session:
        await audit.record(session, organisation_id=FIRST_ORGANISATION, action="show", actor_id=1001, actor_role="officer", ticket_id=3, now=NOW)
    with pytest.raises(DBAPIError, match="append-only"):
        async with store.unit_of_work() as session:
            await session.execute(text(statement))
    async with store.unit_of_work() as session:
        [row] = await audit.for_ticket(session, organisation_id=FIRST_ORGANISATION, ticket_id=3)
        assert (row.action, row.actor_id) == ("show", 1001)

