"""Encryption at rest on both backends: what the database holds, lookups by hash, rotation, the migration."""

import pytest
from sqlalchemy import select, text

from desk.organisations.models import FIRST_ORGANISATION
from infra import keyring
from desk import outbox
from charterdesk import rotation
from infra.keyring import KeyringError
from desk.outbox import OutboxMessage
from infra.database import Store
from desk.tickets import lifecycle, service
from desk.tickets.models import Citizen, Ticket, TicketEntry
from tests.conftest import at
from tests.infra.revisions import BACKENDS, store_at

NOW = at("2026-11-23T10:00:00+09:00")
CHAT = 5550123987
WORDS = "내 이웃이 복지 지원금을 부정 수령하고 있습니다"


async def _seed(store: Store, chats: range) -> None:
    async with store.unit_of_work() as session:
        for chat in chats:
            citizen = await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=chat, language="ko", now=NOW)
            citizen.display_name, citizen.username = f"Kim {chat}", f"kim_{chat}"
            ticket = await lifecycle.create(organisation_id=FIRST_ORGANISATION, session=session, citizen=citizen, category="complaint",
                                            language="ko", text=f"{WORDS} {chat}", received_at=NOW, due_at=NOW)
            session.add(TicketEntry(ticket_id=ticket.id, kind="citizen_message", text=f"{WORDS} again", created_at=NOW))
            await outbox.enqueue(session, key=f"t:{chat}", chat_id=chat, text=f"answer to {chat}", now=NOW)


async def _raw(store: Store, sql: str) -> list:
    async with store.engine.connect() as connection:
        return (await connection.execute(text(sql))).all()


async def test_the_database_holds_ciphertext_and_the_code_sees_plain_values(store: Store):
    await _seed(store, range(CHAT, CHAT + 1))
    (chat, name, user), = await _raw(store, "SELECT chat_id, display_name, username FROM citizens")
    (ticket_text,), = await _raw(store, "SELECT text FROM tickets")
    (out_chat, out_text), = await _raw(store, "SELECT chat_id, text FROM outbox")
    for stored in (chat, name, user, ticket_text, out_chat, out_text):
        assert str(stored).startswith("cd1:1:")
    assert str(CHAT) not in f"{chat}{out_chat}" and "kim_" not in user and "복지" not in ticket_text
    async with store.unit_of_work() as session:
        citizen = await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT)
        assert (citizen.chat_id, citizen.display_name, citizen.username) == (CHAT, f"Kim {CHAT}", f"kim_{CHAT}")
        assert (await session.scalar(select(Ticket.text))) == f"{WORDS} {CHAT}"
        [claimed] = await outbox.claim_due(session, now=NOW)
        assert (claimed.chat_id, claimed.text) == (CHAT, f"answer to {CHAT}")


async def test_lookups_go_by_keyed_hash_and_an_encrypted_column_refuses_comparison(store: Store):
    await _seed(store, range(CHAT, CHAT + 3))
    async with store.unit_of_work() as session:
        assert (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT + 1)).chat_id == CHAT + 1
        assert await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT + 9) is None
        # The same message twice is still recognised (unique hash + message id).
        assert await service.record_inbound(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT, message_id=1, received_at=NOW) is not None
        assert await service.record_inbound(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT, message_id=1, received_at=NOW) is None
        assert await service.record_inbound(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT + 1, message_id=1, received_at=NOW)
    hashes = {row[0] for row in await _raw(store, "SELECT chat_hash FROM citizens")}
    assert hashes == {store.keyring.chat_hash(CHAT + n) for n in range(3)}
    with pytest.raises(TypeError, match="chat_hash"):
        select(Citizen).where(Citizen.chat_id == CHAT)
    with pytest.raises(TypeError, match="chat_hash"):
        select(OutboxMessage).where(OutboxMessage.chat_id.in_([CHAT]))


async def test_a_tampered_row_is_a_clear_error_not_garbage(store: Store):
    await _seed(store, range(CHAT, CHAT + 1))
    (stored,), = await _raw(store, "SELECT text FROM tickets")
    kid, blob = keyring.parse(stored)
    forged = f"cd1:{kid}:" + __import__("base64").urlsafe_b64encode(blob[:-1] + bytes([blob[-1] ^ 1])).decode()
    async with store.engine.begin() as connection:
        await connection.execute(text("UPDATE tickets SET text = :t"), {"t": forged})
    async with store.unit_of_work() as session:
        with pytest.raises(KeyringError, match="tickets.text.*altered"):
            await session.scalar(select(Ticket.text))


async def test_another_key_file_cannot_read_the_rows(store: Store, tmp_path):
    await _seed(store, range(CHAT, CHAT + 1))
    store.keyring = keyring.Keyring.from_file(tmp_path / "someone-else.key")
    async with store.unit_of_work() as session:
        with pytest.raises(KeyringError, match="not the one it was written with"):
            await session.scalar(select(Ticket.text))


async def test_rotation_reencrypts_every_row_in_batches_and_the_old_key_can_then_go(store: Store, data_keys):
    await _seed(store, range(CHAT, CHAT + 40))
    # A row from before encryption existed: rotation encrypts it as well.
    async with store.engine.begin() as connection:
        await connection.execute(text("UPDATE tickets SET text = 'plain old words' WHERE id = 1"))
    path = data_keys.path
    keyring.add_data_key(path)
    ring = store.keyring = keyring.Keyring.from_file(path)
    values = sum(1 for _ in rotation.encrypted_columns())
    assert values >= 8
    pending = await rotation.pending(store, ring=ring)
    # 40 citizens x (chat id, name, username) + 40 tickets + 40 entries + 40 outbox x (chat id, text).
    assert pending == 40 * 3 + 40 + 40 + 40 * 2
    # Interrupted after two batches, then resumed: every value is rewritten exactly once.
    done: list[int] = []

    def stop_after_two(count: int) -> None:
        done.append(count)
        if len(done) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await rotation.reencrypt(store, ring=ring, batch=7, progress=stop_after_two)
    assert await rotation.pending(store, ring=ring) == pending - 14
    result = await rotation.reencrypt(store, ring=ring, batch=7)
    assert result.total == pending - 14 and result.encrypted["tickets.text"] == 1
    assert await rotation.pending(store, ring=ring) == 0
    assert await rotation.key_use(store) == {2: pending}
    keyring.remove_data_key(path, 1)
    store.keyring = keyring.Keyring.from_file(path)
    async with store.unit_of_work() as session:
        citizens = (await session.scalars(select(Citizen).order_by(Citizen.id))).all()
        assert [c.chat_id for c in citizens] == list(range(CHAT, CHAT + 40))
        assert (await session.get(Ticket, 1)).text == "plain old words"
        assert (await session.get(Ticket, 2)).text == f"{WORDS} {CHAT + 1}"
        assert (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT + 39)).username == f"kim_{CHAT + 39}"
    # Nothing left to do: a second run rewrites nothing.
    assert (await rotation.reencrypt(store, ring=store.keyring)).total == 0


@pytest.fixture(params=BACKENDS)
async def old_store(request, tmp_path, data_keys):
    """A database at revision 0004 (before encryption), on its own so migrating it disturbs no other test."""
    async with store_at("0004", backend=request.param, tmp_path=tmp_path, keys=data_keys) as store:
        yield store


async def test_the_migration_encrypts_rows_written_before_it(old_store: Store):
    async with old_store.engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO citizens (id, chat_id, language, display_name, username, created_at) "
            "VALUES (1, :chat, 'hu', 'Kovács Anna', 'kovacs_a', :now)"), {"chat": CHAT, "now": NOW})
        await connection.execute(text(
            "INSERT INTO tickets (id, category, status, citizen_id, anonymous, language, received_at, due_at, text) "
            "VALUES (1, 'inquiry', 'open', 1, false, 'hu', :now, :now, 'Mikor nyit az iroda?')"), {"now": NOW})
        await connection.execute(text(
            "INSERT INTO inbound_messages (id, chat_id, message_id, received_at) VALUES (1, :chat, 7, :now)"),
            {"chat": CHAT, "now": NOW})
        await connection.execute(text(
            "INSERT INTO outbox (id, key, chat_id, text, status, not_before, attempts, created_at) "
            "VALUES (1, 'k', :chat, 'Válasz', 'pending', :now, 0, :now)"), {"chat": CHAT, "now": NOW})
        await connection.execute(text(
            "INSERT INTO language_choices (chat_id, language, chosen_at) VALUES (:chat, 'hu', :now)"),
            {"chat": CHAT, "now": NOW})
    await old_store.migrate()
    dump = repr(await _raw(old_store, "SELECT * FROM citizens")) + repr(await _raw(old_store, "SELECT * FROM tickets")) \
        + repr(await _raw(old_store, "SELECT * FROM outbox")) + repr(await _raw(old_store, "SELECT * FROM inbound_messages")) \
        + repr(await _raw(old_store, "SELECT * FROM language_choices"))
    for secret in (str(CHAT), "Kovács", "kovacs_a", "Mikor nyit", "Válasz"):
        assert secret not in dump
    from desk.tickets import citizens

    async with old_store.unit_of_work() as session:
        citizen = await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT)
        assert (citizen.chat_id, citizen.display_name, citizen.username) == (CHAT, "Kovács Anna", "kovacs_a")
        assert (await session.get(Ticket, 1)).text == "Mikor nyit az iroda?"
        assert await service.record_inbound(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT, message_id=7, received_at=NOW) is None
        assert await citizens.chosen_language(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT) == "hu"
        assert (await session.get(OutboxMessage, 1)).chat_id == CHAT


async def test_a_database_with_rows_is_not_migrated_without_keys(old_store: Store):
    async with old_store.engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO citizens (id, chat_id, language, created_at) VALUES (1, :chat, 'hu', :now)"),
            {"chat": CHAT, "now": NOW})
    old_store.keyring = None
    with pytest.raises(KeyringError, match="no data keys"):
        await old_store.migrate()
    (chat,), = await _raw(old_store, "SELECT chat_id FROM citizens")
    assert int(chat) == CHAT  # rolled back: nothing half-done


async def test_start_up_finds_a_key_file_that_cannot_read_the_database(store: Store, tmp_path, data_keys):
    await rotation.check_readable(store, ring=data_keys)  # an empty database: nothing to read
    await _seed(store, range(CHAT, CHAT + 1))
    await rotation.check_readable(store, ring=data_keys)
    # The key file was lost and a new one created, or another installation's file was copied in.
    with pytest.raises(KeyringError, match="new.key cannot read this database"):
        await rotation.check_readable(store, ring=keyring.Keyring.from_file(tmp_path / "new.key"))
