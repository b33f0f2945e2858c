"""Group commit: concurrent units share a transaction; a failing unit fails alone, the others are kept."""

import asyncio

import pytest

from desk.organisations.models import FIRST_ORGANISATION
from desk.tickets import service
from desk.tickets.models import Citizen
from infra.database import Store
from infra.group_commit import GroupCommit
from tests.conftest import at

NOW = at("2026-11-23T10:00:00+09:00")


def citizen_unit(chat_id: int, *, fail: bool = False):
    async def unit(session):
        citizen = await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=chat_id, language="en", now=NOW)
        if fail:
            raise ValueError(f"unit {chat_id} fails")
        return citizen.id

    return unit


async def test_units_arriving_together_share_one_transaction(store: Store):
    commits = GroupCommit(store, parallel=1)
    ids = await asyncio.gather(*(commits.run(citizen_unit(100 + n)) for n in range(10)))
    assert len(set(ids)) == 10
    assert commits.units == 10
    # All ten were waiting when the runner started: one transaction.
    assert commits.transactions == 1
    async with store.unit_of_work() as session:
        for n in range(10):
            assert (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=100 + n)).id == ids[n]


async def test_a_failing_unit_fails_alone_and_the_others_are_committed(store: Store):
    commits = GroupCommit(store, parallel=1)
    units = [citizen_unit(200 + n, fail=n == 3) for n in range(6)]
    results = await asyncio.gather(*(commits.run(unit) for unit in units), return_exceptions=True)
    assert isinstance(results[3], ValueError)
    assert all(isinstance(r, int) for i, r in enumerate(results) if i != 3)
    async with store.unit_of_work() as session:
        assert await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=203) is None
        for n in (0, 1, 2, 4, 5):
            assert (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=200 + n)) is not None


async def test_groups_are_capped(store: Store):
    commits = GroupCommit(store, parallel=1, max_group=4)
    await asyncio.gather(*(commits.run(citizen_unit(300 + n)) for n in range(9)))
    assert commits.units == 9
    assert commits.transactions == 3  # 4, 4, then 1


@pytest.mark.parametrize("parallel", [1, 3])
async def test_every_caller_gets_its_own_result(store: Store, parallel: int):
    commits = GroupCommit(store, parallel=parallel)

    def echo(value: int):
        async def unit(_session):
            await asyncio.sleep(0)
            return value

        return unit

    assert await asyncio.gather(*(commits.run(echo(n)) for n in range(20))) == list(range(20))


async def test_a_batch_step_runs_once_per_transaction_for_all_its_units(store: Store):
    commits = GroupCommit(store, parallel=1)
    calls: list[list[int]] = []

    async def create_all(session, chat_ids):
        calls.append(list(chat_ids))
        made = [await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=c, language="en", now=NOW) for c in chat_ids]
        return [citizen.id for citizen in made]

    async def unit(session, citizen_id):
        return citizen_id

    async def plain(_session):
        return "plain"

    results = await asyncio.gather(
        *(commits.run(unit, step=create_all, item=500 + n) for n in range(5)), commits.run(plain)
    )
    assert calls == [[500, 501, 502, 503, 504]]
    assert results[5] == "plain" and len(set(results[:5])) == 5
    async with store.unit_of_work() as session:
        for n in range(5):
            assert (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=500 + n)).id == results[n]


async def test_a_failing_unit_with_a_batch_step_fails_alone(store: Store):
    commits = GroupCommit(store, parallel=1)
    calls: list[list[int]] = []

    async def create_all(session, chat_ids):
        calls.append(list(chat_ids))
        return [(await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=c, language="en", now=NOW)).id
                for c in chat_ids]

    async def unit(session, citizen_id):
        citizen = await session.get(Citizen, citizen_id)
        if citizen.chat_id == 602:
            raise ValueError("unit 602 fails")
        return citizen_id

    results = await asyncio.gather(*(commits.run(unit, step=create_all, item=600 + n) for n in range(4)),
                                   return_exceptions=True)
    assert isinstance(results[2], ValueError)
    # The group's step, then each unit again alone with a step of its own.
    assert calls == [[600, 601, 602, 603], [600], [601], [602], [603]]
    async with store.unit_of_work() as session:
        assert await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=602) is None
        assert (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=603)).id == results[3]


async def test_a_finish_runs_once_before_the_commit_and_gives_the_callers_their_results(store: Store):
    commits = GroupCommit(store, parallel=1)
    calls: list[list[int]] = []

    async def unit(session):
        return 700 + len(calls)

    async def create_all(session, chat_ids):
        calls.append(list(chat_ids))
        made = [await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=c, language="en", now=NOW) for c in chat_ids]
        return [citizen.id for citizen in made]

    results = await asyncio.gather(*(commits.run(unit, finish=create_all) for _ in range(3)), commits.run(unit))
    assert calls == [[700, 700, 700]]
    assert results[3] == 700 and len(set(results[:3])) == 1
    async with store.unit_of_work() as session:
        assert (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=700)).id == results[0]


async def test_a_group_holds_one_organisations_units_and_uses_its_keys(store: Store, data_keys):
    from sqlalchemy import text

    from desk.organisations import service as organisations
    from infra import encrypted, keyring

    async with store.unit_of_work() as session:
        second = (await organisations.add(session=session, slug="second", name="", charter_file="x", now=NOW)).id
    keyring.add_data_key(data_keys.path, organisation=second)
    commits = GroupCommit(store, parallel=1)

    async def unit_in(organisation_id: int, chat_id: int):
        async def unit(session):
            citizen = await service.upsert_citizen(organisation_id=organisation_id, session=session, chat_id=chat_id,
                                                   language="en", now=NOW)
            return citizen.id
        with encrypted.serving(organisation_id):  # as the caller serving that organisation would be
            return await commits.run(unit)

    await asyncio.gather(*(unit_in(FIRST_ORGANISATION if n % 2 else second, 400 + n) for n in range(8)))
    assert (commits.units, commits.transactions) == (8, 2)  # arriving mixed, run as one group per organisation
    async with store.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT organisation_id, chat_id FROM citizens"))).all()
    assert {(owner, keyring.key_id_of(value)) for owner, value in rows} == {(FIRST_ORGANISATION, 1), (second, 2)}
