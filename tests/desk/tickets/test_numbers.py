"""Ticket numbers per organisation: each counts from I-1001, a typed number finds only its own organisation's
ticket, and concurrent openings never share a number nor skip one."""

import asyncio

import pytest
from sqlalchemy import select

from desk.organisations import service as organisations
from desk.organisations.models import FIRST_ORGANISATION, Organisation
from desk.tickets import lifecycle, numbers, service
from desk.tickets.enums import Category
from desk.tickets.models import Ticket
from tests import factories
from tests.conftest import at

RECEIVED = at("2026-11-23T10:15:00+09:00")
OPENINGS = 50


async def second_organisation(store) -> int:
    async with store.unit_of_work() as session:
        added = await organisations.add(session=session, slug="second", name="Second", charter_file="x.yml",
                                        now=RECEIVED)
        return added.id


async def open_anonymous(session, charter, organisation_id: int, category=Category.INQUIRY) -> Ticket:
    return await lifecycle.open_ticket(
        session=session, organisation_id=organisation_id, charter=charter, citizen=None, category=category,
        language="en", text="?", received_at=RECEIVED, anonymous=True,
    )


async def test_each_organisation_counts_from_1001_across_categories(store, charter):
    second = await second_organisation(store)
    async with store.unit_of_work() as session:
        first_numbers = [(await open_anonymous(session, charter, FIRST_ORGANISATION, category)).number
                         for category in (Category.INQUIRY, Category.COMPLAINT)]
        second_numbers = [(await open_anonymous(session, charter, second, category)).number
                          for category in (Category.INQUIRY, Category.APPOINTMENT_REQUEST, Category.COMPLAINT)]
    assert first_numbers == ["I-1001", "C-1002"]
    assert second_numbers == ["I-1001", "A-1002", "C-1003"]
    async with store.unit_of_work() as session:
        counters = dict((await session.execute(select(Organisation.id, Organisation.next_ticket_number))).all())
    assert counters == {FIRST_ORGANISATION: 1003, second: 1004}


async def test_a_typed_number_finds_only_its_own_organisations_ticket(store, charter):
    second = await second_organisation(store)
    async with store.unit_of_work() as session:
        ours = await factories.ticket(session, charter, received_at=RECEIVED, text="Ours")
        await factories.ticket(session, charter, received_at=RECEIVED, text="Theirs", organisation_id=second)
        only_theirs = await factories.ticket(session, charter, received_at=RECEIVED, text="Theirs too",
                                             organisation_id=second)
    assert only_theirs.serial == 1002
    async with store.unit_of_work() as session:
        found = await service.get_ticket_by_number(session=session, organisation_id=FIRST_ORGANISATION, serial=1001)
        assert (found.id, found.text) == (ours.id, "Ours")
        theirs = await service.get_ticket_by_number(session=session, organisation_id=second, serial=1001)
        assert theirs.text == "Theirs"
        assert await service.get_ticket_by_number(session=session, organisation_id=FIRST_ORGANISATION,
                                                  serial=1002) is None


async def test_a_rolled_back_opening_gives_its_number_back(store, charter):
    with pytest.raises(RuntimeError):
        async with store.unit_of_work() as session:
            await open_anonymous(session, charter, FIRST_ORGANISATION)
            raise RuntimeError("the citizen's message could not be stored")
    async with store.unit_of_work() as session:
        assert (await open_anonymous(session, charter, FIRST_ORGANISATION)).number == "I-1001"


async def test_a_batch_takes_consecutive_numbers_at_once(store):
    async with store.unit_of_work() as session:
        assert await numbers.allocate(session=session, organisation_id=FIRST_ORGANISATION, count=3) == 1001
        assert await numbers.allocate(session=session, organisation_id=FIRST_ORGANISATION) == 1004


async def test_no_numbers_for_an_unknown_organisation_or_an_empty_batch(store):
    async with store.unit_of_work() as session:
        with pytest.raises(LookupError):
            await numbers.allocate(session=session, organisation_id=999)
        with pytest.raises(ValueError):
            await numbers.allocate(session=session, organisation_id=FIRST_ORGANISATION, count=0)


async def test_concurrent_openings_never_share_a_number_nor_skip_one(store, charter):
    """50 openings in transactions of their own, at once, in two organisations; some roll back after taking a
    number. On PostgreSQL the transactions overlap (the pool holds 20 connections) and wait on the counter row."""
    second = await second_organisation(store)

    async def opening(n: int) -> None:
        organisation_id = FIRST_ORGANISATION if n % 2 else second
        async with store.unit_of_work() as session:
            await open_anonymous(session, charter, organisation_id)
            await asyncio.sleep(0.01)  # keep the transaction open while the others arrive
            if n % 10 == 0:
                raise RuntimeError("rolled back")

    outcomes = await asyncio.gather(*(opening(n) for n in range(OPENINGS)), return_exceptions=True)
    assert sum(isinstance(o, RuntimeError) for o in outcomes) == OPENINGS // 10
    assert not [o for o in outcomes if o is not None and not isinstance(o, RuntimeError)]
    async with store.unit_of_work() as session:
        rows = (await session.execute(select(Ticket.organisation_id, Ticket.serial))).all()
    for organisation_id in (FIRST_ORGANISATION, second):
        serials = sorted(serial for owner, serial in rows if owner == organisation_id)
        assert serials == list(range(1001, 1001 + len(serials))), organisation_id
    assert len(rows) == OPENINGS - OPENINGS // 10
