"""Per-organisation data keys: a row written for one organisation cannot be read in another's unit of work (a
clear, logged error, never the plaintext); each organisation's key rotates alone; a key file from before keeps
working unchanged."""

import logging

import pytest
from sqlalchemy import select, text

from charterdesk import rotation
from desk import outbox
from desk.organisations import service as organisations
from desk.organisations.models import FIRST_ORGANISATION
from desk.tickets import lifecycle, service
from desk.tickets.enums import Category
from desk.tickets.models import Ticket
from infra import keyring
from infra.keyring import Keyring, KeyringError
from tests.conftest import at

NOW = at("2026-11-23T10:15:00+09:00")


def test_a_value_of_another_organisations_key_is_refused_and_logged(tmp_path, caplog):
    path = tmp_path / "k"
    Keyring.from_file(path)
    assert keyring.add_data_key(path, organisation=2) == 2
    ring = Keyring.from_file(path)
    theirs = ring.encrypt("Kovács Anna", purpose="citizens.display_name", organisation=2)
    assert keyring.key_id_of(theirs) == 2
    assert ring.decrypt(theirs, purpose="citizens.display_name", organisation=2) == "Kovács Anna"
    with caplog.at_level(logging.WARNING, logger="infra.keyring"), \
            pytest.raises(KeyringError, match="belongs to another organisation") as refused:
        ring.decrypt(theirs, purpose="citizens.display_name", organisation=FIRST_ORGANISATION)
    assert "Kovács" not in str(refused.value) and "Kovács" not in caplog.text
    assert "organisation 2's, not 1's" in caplog.text
    ours = ring.encrypt("Kim", purpose="p")  # the first organisation's, as every value was before
    with pytest.raises(KeyringError, match="another organisation"):
        ring.decrypt(ours, purpose="p", organisation=2)
    with pytest.raises(KeyringError, match="no data key of organisation 3"):
        ring.encrypt("x", purpose="p", organisation=3)


def test_a_single_organisation_key_file_works_unchanged(tmp_path):
    path = tmp_path / "k"
    old = Keyring.from_file(path)
    before = path.read_text()
    written = old.encrypt("hello", purpose="p")
    ring = Keyring.from_file(path)
    assert path.read_text() == before  # reading it changes nothing
    assert (ring.current_id, ring.current_ids, ring.data_key_ids) == (1, {1}, [1])
    assert ring.decrypt(written, purpose="p") == "hello"
    # A second organisation's key is added beside the first's, whose lines stay as they were.
    keyring.add_data_key(path, organisation=2)
    assert before.splitlines()[-1] in path.read_text().splitlines()
    assert Keyring.from_file(path).decrypt(written, purpose="p") == "hello"


def test_a_key_file_where_two_organisations_share_a_key_id_is_a_clear_error(tmp_path):
    path = tmp_path / "k"
    path.write_text("anon {k}\nhash {k}\n1 {k}\no2.1 {k}\n".format(k="A" * 43 + "="))
    path.chmod(0o600)
    with pytest.raises(KeyringError, match="data key id 1 appears twice"):
        Keyring.from_file(path, create=False)


def test_retiring_keeps_each_organisations_current_key(tmp_path):
    path = tmp_path / "k"
    Keyring.from_file(path)
    keyring.add_data_key(path, organisation=2)  # 2
    keyring.add_data_key(path, organisation=2)  # 3
    with pytest.raises(KeyringError, match="current key of organisation 2"):
        keyring.remove_data_key(path, 3)
    with pytest.raises(KeyringError, match="current key of organisation 1"):
        keyring.remove_data_key(path, 1)
    keyring.remove_data_key(path, 2)
    ring = Keyring.from_file(path)
    assert (ring.data_key_ids, ring.owner_of(3), ring.current_for(2)) == ([1, 3], 2, 3)


@pytest.fixture
async def second(store, data_keys):
    """Organisation 2 with a data key of its own, in the key file the store's keyring reads."""
    async with store.unit_of_work() as session:
        added = await organisations.add(session=session, slug="second", name="Second", charter_file="x.yml", now=NOW)
    keyring.add_data_key(data_keys.path, organisation=added.id)
    return added.id


async def open_for(store, charter, organisation_id: int, words: str) -> int:
    async with store.unit_of_work(organisation_id=organisation_id) as session:
        ticket = await lifecycle.open_ticket(
            session=session, organisation_id=organisation_id, charter=charter, citizen=None,
            category=Category.INQUIRY, language="en", text=words, received_at=NOW, anonymous=True,
        )
        await outbox.enqueue(session, key=f"ack:{ticket.id}", chat_id=700, text=f"Got it: {words}", now=NOW)
        return ticket.id


async def raw_texts(store) -> dict[int, str]:
    async with store.engine.connect() as connection:
        return dict((await connection.execute(text("SELECT id, text FROM tickets"))).all())


async def test_a_row_written_for_one_organisation_cannot_be_read_in_anothers(store, charter, second):
    ours = await open_for(store, charter, FIRST_ORGANISATION, "our citizen's question")
    theirs = await open_for(store, charter, second, "their citizen's question")
    stored = await raw_texts(store)
    assert (keyring.key_id_of(stored[ours]), keyring.key_id_of(stored[theirs])) == (1, 2)

    async with store.unit_of_work(organisation_id=second) as session:
        assert (await session.get(Ticket, theirs)).text == "their citizen's question"
    # Organisation 1's unit of work (and one that names none) reading organisation 2's row: refused.
    for served in (FIRST_ORGANISATION, None):
        with pytest.raises(KeyringError, match="belongs to another organisation"):
            async with store.unit_of_work(organisation_id=served) as session:
                await session.get(Ticket, theirs)
    with pytest.raises(KeyringError, match="belongs to another organisation"):
        async with store.unit_of_work(organisation_id=second) as session:
            await session.get(Ticket, ours)
    # Scoped lookups never load the other's row, so they answer "none" rather than fail on its key.
    async with store.unit_of_work() as session:
        assert await service.get_ticket(session=session, organisation_id=FIRST_ORGANISATION, ticket_id=theirs) is None
        assert await service.held_elsewhere(session=session, organisation_id=FIRST_ORGANISATION, ticket_id=theirs)
        both_first = await service.get_ticket_by_number(session=session, organisation_id=FIRST_ORGANISATION,
                                                        serial=1001)  # each organisation has an I-1001
        assert (both_first.id, both_first.text) == (ours, "our citizen's question")
    # A query over both (an export that forgot its filter) fails whole instead of showing the other's row.
    with pytest.raises(KeyringError):
        async with store.unit_of_work() as session:
            (await session.scalars(select(Ticket))).all()

    # Transport state is the dispatcher's, whoever wrote it: both acknowledgements are readable to it.
    async with store.unit_of_work() as session:
        sent = sorted(m.text for m in (await session.scalars(select(outbox.OutboxMessage))).all())
    assert sent == ["Got it: our citizen's question", "Got it: their citizen's question"]


async def test_rotating_one_organisations_key_leaves_the_others_values_alone(store, charter, second, data_keys):
    ours = await open_for(store, charter, FIRST_ORGANISATION, "ours")
    theirs = await open_for(store, charter, second, "theirs")
    new = keyring.add_data_key(data_keys.path, organisation=second)
    ring = store.keyring = Keyring.from_file(data_keys.path)
    assert (ring.current_for(FIRST_ORGANISATION), ring.current_for(second)) == (1, new)

    assert await rotation.pending(store, ring=ring) == 1  # their ticket's text; outbox rows are organisation 1's
    done = await rotation.reencrypt(store, ring=ring)
    assert (done.total, done.reencrypted["tickets.text"]) == (1, 1)
    stored = await raw_texts(store)
    assert (keyring.key_id_of(stored[ours]), keyring.key_id_of(stored[theirs])) == (1, new)
    assert await rotation.key_use(store) == {1: 5, new: 1}  # ours, and both outbox rows (chat id, text)
    await rotation.check_readable(store, ring=ring)
    async with store.unit_of_work(organisation_id=second) as session:
        assert (await session.get(Ticket, theirs)).text == "theirs"
    async with store.unit_of_work() as session:
        assert (await session.get(Ticket, ours)).text == "ours"
    keyring.remove_data_key(data_keys.path, 2)  # organisation 2's old key, no longer used
