"""Migration 0014: a single-organisation database at 0012 becomes organisation 1 of many, and keeps working."""

from datetime import timedelta

import pytest
from sqlalchemy import insert, text

from charterdesk.assembly import assemble
from charterdesk.settings import Settings
from conversation.citizen import anonymous, flows
from conversation.citizen.flows import Inbound
from conversation.staff import console
from conversation.staff.turn import Request
from desk.anonymous import receipts
from desk.anonymous.receipts import Receipt
from desk.audit import AuditEntry
from desk.organisations.models import Organisation
from desk.staff.access import Actor
from desk.staff.models import Staff
from desk.surveys import Rating
from desk.tickets.models import Citizen, InboundMessage, Ticket
from desk.tickets.questions import Question
from infra.database import Store
from infra.sealing import Sealer
from tests.conftest import ROOT, at
from tests.infra.revisions import BACKENDS, store_at

RECEIVED = at("2026-11-23T10:15:00+09:00")
NOW = at("2026-11-24T11:00:00+09:00")
CHAT = 700
STAFF_CHAT = -1001234567890
OFFICER = Actor(1001, "김담당", "kim", "en")
SCOPED = ("citizens", "tickets", "inbound_messages", "staff_members", "audit_log", "citizen_questions",
          "language_choices")


@pytest.fixture(params=BACKENDS)
async def store_at_0012(request, tmp_path, data_keys):
    """A database at revision 0012 (before organisations), on its own so migrating it disturbs no other test."""
    async with store_at("0012_senders", backend=request.param, tmp_path=tmp_path, keys=data_keys) as store:
        yield store


async def write_0012_rows(store: Store) -> str:
    """What a one-charter deployment holds at 0012: a citizen with an open inquiry and an answered, rated one, an
    anonymous complaint with its receipt, staff, a language choice, a question, an audit entry; the receipt code.

    Written through the tables' columns (encrypted as the app encrypts them), leaving out organisation_id,
    which 0012 does not have."""
    code = receipts.new_code()
    rows = [
        (Staff, [{"telegram_id": 1001, "name": "김담당", "role": "officer", "added_at": RECEIVED},
                 {"telegram_id": 1002, "name": "이상담", "role": "agent", "added_at": RECEIVED}]),
        (Citizen, [{"id": 1, "chat_id": CHAT, "language": "en", "display_name": "Kim", "created_at": RECEIVED}]),
        (Ticket, [
            {"id": 1, "category": "inquiry", "status": "open", "citizen_id": 1, "anonymous": False, "language": "en",
             "received_at": RECEIVED, "due_at": RECEIVED + timedelta(days=3), "text": "When is the office open?"},
            {"id": 2, "category": "complaint", "status": "open", "citizen_id": None, "anonymous": True,
             "language": "en", "received_at": RECEIVED, "due_at": RECEIVED + timedelta(days=7),
             "text": "The ramp is blocked."},
            {"id": 3, "category": "inquiry", "status": "answered", "citizen_id": 1, "anonymous": False,
             "language": "en", "received_at": RECEIVED, "due_at": RECEIVED + timedelta(days=3),
             "answered_at": RECEIVED + timedelta(hours=2), "text": "Do you have a lift?"},
        ]),
        (InboundMessage, [{"chat_id": CHAT, "message_id": 5, "received_at": RECEIVED, "ticket_id": 1}]),
        (Receipt, [{"lookup": code[:5], "code_hash": receipts._HASHER.hash(code), "ticket_id": 2}]),
        (Rating, [{"ticket_id": 3, "score": 5, "created_at": RECEIVED + timedelta(hours=3)}]),
        (Question, [{"kind": "followup", "chat_id": CHAT, "language": "en", "created_at": RECEIVED}]),
        (AuditEntry, [{"at": RECEIVED, "actor_id": 1001, "actor_role": "officer", "action": "show",
                       "outcome": "done", "ticket_id": 1}]),
    ]
    async with store.engine.begin() as connection:
        for model, values in rows:
            columns = {name for row in values for name in row}
            # Only the columns named (and those with a Python default, such as chat_hash): not organisation_id.
            statement = insert(model.__table__)
            await connection.execute(statement, [{c: row.get(c) for c in columns} for row in values])
        # Its key is (organisation_id, chat_hash) now: through the table it would be written without the first.
        await connection.execute(text("INSERT INTO language_choices (chat_hash, language, chosen_at) VALUES (:h, 'en', :at)"),
                                 {"h": store.keyring.chat_hash(CHAT), "at": RECEIVED})
    return code


async def test_a_single_organisation_database_becomes_organisation_1_and_keeps_working(store_at_0012, tmp_path):
    store = store_at_0012
    code = await write_0012_rows(store)

    await store.migrate()

    async with store.engine.connect() as connection:
        for table in SCOPED:
            owners = (await connection.execute(text(f"SELECT organisation_id FROM {table}"))).scalars().all()
            assert owners and set(owners) == {1}, table
        organisations = (await connection.execute(text("SELECT id, slug, name FROM organisations"))).all()
    assert organisations == [(1, "main", "")]

    # The app starts on it: organisation 1 gets CHARTER_FILE's name, and the charter's staff stay its members.
    settings = Settings(DATABASE_URL=store.engine.url.render_as_string(hide_password=False),
                        CHARTER_FILE=ROOT / "charter.yml", CHARTERDESK_KEY_FILE=store.keyring.path)
    components = await assemble(settings)
    try:
        desk = components.desk
        assert desk.organisation_id == 1
        async with components.store.unit_of_work() as session:
            first = await session.get(Organisation, 1)
            assert (first.name, first.charter_file) == (desk.charter.organisation.name, str(ROOT / "charter.yml"))
            # /show of a ticket written before the migration, by a member written before it.
            request = Request(command="show", chat_id=STAFF_CHAT, text="I-1001", key="m:1", message_id=91)
            shown = await console.handle(session=session, desk=desk, actor=OFFICER, request=request, now=NOW)
        assert "When is the office open?" in "\n".join(m.text for m in shown.outgoing)

        # /status: the citizen, found by (organisation, chat), sees both their tickets.
        inbound = Inbound(chat_id=CHAT, message_id=6, text="/status", received_at=NOW, telegram_language="en")
        async with components.store.unit_of_work() as session:
            status = await flows.show_status(session=session, desk=desk, inbound=inbound, argument="", now=NOW)
        listed = "\n".join(m.text for m in status.outgoing)
        assert "I-1001" in listed and "I-1003" in listed

        # The anonymous complaint's receipt code still opens its status.
        async with components.store.unit_of_work() as session:
            by_code = await anonymous.status_by_code(
                session=session, desk=desk, sealer=Sealer.from_keyring(store.keyring), chat_id=CHAT + 1,
                message_id=None, code_text=receipts.display(code), received_at=NOW, language="en", now=NOW,
            )
        assert "C-1002" in by_code.outgoing[0].text

        # The message seen before the migration is still a duplicate; a new one is new.
        from desk.tickets import service

        async with components.store.unit_of_work() as session:
            assert await service.record_inbound(session=session, organisation_id=1, chat_id=CHAT, message_id=5,
                                                received_at=NOW) is None
            assert await service.record_inbound(session=session, organisation_id=1, chat_id=CHAT, message_id=7,
                                                received_at=NOW) is not None
    finally:
        await components.close()
