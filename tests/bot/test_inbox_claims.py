"""Intake claims shared by replicas: each row to one claimant, a chat's rows in order, lapsed leases
taken over, and only the claimant marks a row done. On SQLite, and on PostgreSQL when configured."""

import asyncio
from datetime import timedelta

import pytest

from bot import inbox
from tests.conftest import at

NOW = at("2026-11-23T10:00:00+09:00")
LEASE = inbox.LEASE


def message(update_id: int, chat: int) -> dict:
    return {"update_id": update_id, "message": {"message_id": update_id, "chat": {"id": chat, "type": "private"},
                                                 "date": 0, "text": f"m{update_id}"}}


async def stored(store, *updates: dict) -> None:
    async with store.unit_of_work() as session:
        await inbox.store(session, list(updates), now=NOW)


async def claim(store, claimant: str, *, limit: int = 100, now=NOW) -> list[int]:
    async with store.unit_of_work() as session:
        return [row.update_id for row in await inbox.claim(session, claimant=claimant, limit=limit, now=now)]


async def done(store, ids, claimant: str, *, now=NOW) -> set[int]:
    async with store.unit_of_work() as session:
        return await inbox.mark_done(session, ids, now=now, claimant=claimant)


async def test_a_claim_takes_each_chats_first_update_and_a_second_claimant_gets_none_of_them(store):
    await stored(store, message(1, 7), message(2, 8), message(3, 7), message(4, 9))
    assert await claim(store, "a", limit=2) == [1, 2]
    # 3 waits behind 1 (chat 7, held by a); 4 is free.
    assert await claim(store, "b") == [4]
    assert await claim(store, "b") == []


async def test_the_holder_of_a_chat_takes_its_next_update_and_nobody_else_does(store):
    await stored(store, message(1, 7), message(2, 7), message(3, 7))
    assert await claim(store, "a") == [1]
    assert await claim(store, "b") == []
    # While a still handles 1, 2 may join it: a keeps the chat's order itself.
    assert await claim(store, "a") == [2]
    assert await done(store, [1, 2], "a") == {1, 2}
    # Once a chat's earlier updates are done, whoever looks first takes the next.
    assert await claim(store, "b") == [3]


async def test_a_lapsed_lease_is_taken_over_in_order_and_the_stale_claimant_cannot_mark_it_done(store):
    await stored(store, message(1, 7), message(2, 7), message(3, 8))
    assert await claim(store, "dead") == [1, 3]
    assert await claim(store, "b", now=NOW + LEASE - timedelta(seconds=1)) == []
    later = NOW + LEASE + timedelta(seconds=1)
    assert await claim(store, "b", now=later) == [1, 3]
    assert await claim(store, "b", now=later) == [2]
    assert await done(store, [1, 3], "dead", now=later) == set()
    assert await done(store, [1, 2, 3], "b", now=later) == {1, 2, 3}
    assert await claim(store, "c", now=later) == []


async def test_a_renewed_lease_is_not_taken_over_and_a_taken_over_one_is_not_renewed(store):
    await stored(store, message(1, 7), message(2, 8))
    await claim(store, "a")
    async with store.unit_of_work() as session:
        assert await inbox.renew(session, [1], claimant="a", now=NOW + LEASE / 2) == {1}
    later = NOW + LEASE + timedelta(seconds=1)
    assert await claim(store, "b", now=later) == [2]
    async with store.unit_of_work() as session:
        assert await inbox.renew(session, [1, 2], claimant="a", now=later) == {1}


async def test_released_claims_are_free_at_once(store):
    await stored(store, message(1, 7), message(2, 7))
    assert await claim(store, "a") == [1]
    async with store.unit_of_work() as session:
        await inbox.release(session, [1], claimant="b", now=NOW)  # not b's: nothing changes
    assert await claim(store, "c") == []
    async with store.unit_of_work() as session:
        await inbox.release(session, [1], claimant="a", now=NOW)
    assert await claim(store, "c") == [1]


async def test_updates_without_a_chat_are_claimed_in_any_company(store):
    await stored(store, {"update_id": 1, "inline_query": {"id": "q", "from": {"id": 5}, "query": "", "offset": ""}},
                 {"update_id": 2, "poll": {"id": "p"}}, message(3, 7))
    assert await claim(store, "a", limit=1) == [1]
    assert await claim(store, "b") == [2, 3]


async def test_the_chat_is_stored_as_its_lookup_hash(store):
    await stored(store, message(1, 424242), {"update_id": 2, "callback_query": {
        "id": "c", "from": {"id": 5}, "chat_instance": "x", "data": "d", "message": message(9, 424242)["message"]}})
    async with store.engine.connect() as connection:
        from sqlalchemy import text
        hashes = (await connection.execute(text("SELECT chat_hash FROM intake_updates ORDER BY update_id"))).scalars().all()
    assert hashes[0] == hashes[1] and hashes[0] is not None and "424242" not in hashes[0]


async def test_claimants_racing_never_share_a_row_nor_a_chat(store):
    """Four claimants at once over 200 updates of 20 chats: each row once, a chat's rows in order."""
    chats = 20
    await stored(store, *[message(n, 100 + n % chats) for n in range(1, 201)])
    taken: dict[int, str] = {}
    order: dict[int, list[int]] = {}

    async def replica(name: str) -> None:
        while True:
            try:
                ids = await claim(store, name, limit=7)
            except Exception as exc:  # noqa: BLE001 - SQLite's one writer: a busy database is tried again
                if store.dialect != "sqlite":
                    raise
                assert "locked" in str(exc) or "busy" in str(exc).lower(), exc
                await asyncio.sleep(0.01)
                continue
            if not ids:
                if len(taken) == 200:
                    return
                await asyncio.sleep(0.01)
                continue
            for update_id in ids:
                assert update_id not in taken, (update_id, taken[update_id], name)
                taken[update_id] = name
                order.setdefault(100 + update_id % chats, []).append(update_id)
            await asyncio.sleep(0)
            assert await done(store, ids, name) == set(ids)

    await asyncio.wait_for(asyncio.gather(*(replica(name) for name in "abcd")), 120)
    assert sorted(taken) == list(range(1, 201))
    assert all(ids == sorted(ids) for ids in order.values())
    assert len(set(taken.values())) > 1


async def test_a_taken_over_update_waits_while_an_answer_written_under_the_old_claim_is_to_leave(store):
    """A replica that died after writing an answer and before sending it: the update is not claimed as
    usual but taken over by a claimant that sends that answer first, so the chat's next answer cannot
    overtake it."""
    from desk import outbox

    await stored(store, message(1, 7), message(2, 8))
    assert await claim(store, "dead") == [1, 2]
    async with store.unit_of_work() as session:
        answer = await outbox.enqueue(session, key="answer-7", chat_id=7, text="ack", now=NOW, claim=True)
        # Not yet due and not leased: it holds nothing back.
        await outbox.enqueue(session, key="later-8", chat_id=8, text="survey", now=NOW,
                             not_before=NOW + timedelta(days=1))
    later = NOW + LEASE + timedelta(seconds=1)
    assert await claim(store, "b", now=later) == [2]
    assert await done(store, [2], "b", now=later) == {2}
    # However long it waits, `claim` leaves it; `claim_taken_over` leases it with the answers owed.
    assert await claim(store, "c", now=NOW + 3 * LEASE) == []
    async with store.unit_of_work() as session:
        taken = await inbox.claim_taken_over(session, claimant="c", limit=10, now=later)
        assert [row.waiting.update_id for row in taken] == [1]
        assert taken[0].old_claim_ended == NOW + LEASE
        owed = await outbox.take_over_chat(
            session, chat_hash=taken[0].chat_hash, written_until=taken[0].old_claim_ended, now=later
        )
        assert [row.id for row in owed] == [answer.id]
        assert await inbox.claim_taken_over(session, claimant="b", limit=10, now=later) == []
        await inbox.release(session, [1], claimant="c", now=later)
        await outbox.record_sent(session, message_ids={answer.id: 99}, now=later)
        # Written after the dead claim ended (another handler's card to the same chat): no reason to wait.
        await outbox.enqueue(session, key="card-7", chat_id=7, text="card", now=later + timedelta(seconds=1),
                             claim=True)
    assert await claim(store, "b", now=later + timedelta(seconds=1)) == [1]


async def test_an_answer_in_flight_does_not_hold_back_its_own_claimants_next_update(store):
    from desk import outbox

    await stored(store, message(1, 7), message(2, 7))
    assert await claim(store, "a") == [1]
    async with store.unit_of_work() as session:
        await outbox.enqueue(session, key="answer-7", chat_id=7, text="ack", now=NOW, claim=True)
    assert await done(store, [1], "a") == {1}
    assert await claim(store, "b") == [2]


async def test_the_claims_of_dead_claimants_can_be_freed_at_once(store):
    await stored(store, message(1, 7), message(2, 8), message(3, 9))
    await claim(store, "dead", limit=1)
    await claim(store, "alive", limit=1)
    async with store.unit_of_work() as session:
        assert await inbox.claimants(session) == {"dead", "alive"}
        assert await inbox.release_all(session, claimants={"dead"}, now=NOW) == 1
        assert await inbox.release_all(session, claimants=(), now=NOW) == 0
    assert await claim(store, "new") == [1, 3]


def test_an_earlier_run_on_this_host_is_dead_and_a_live_process_or_another_host_is_not():
    import os
    import subprocess
    import sys

    from bot.intake import dead_on_this_host, replica_id

    me = replica_id()
    host = me.rsplit(":", 2)[0]
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = int(finished.stdout)
    assert dead_on_this_host(f"{host}:{gone}:abcd", me)
    assert dead_on_this_host(f"{host}:{os.getpid()}:abcd", me)  # our pid, another run: a restarted container
    assert not dead_on_this_host(me, me)
    assert not dead_on_this_host(f"{host}:{os.getppid()}:abcd", me)  # alive
    assert not dead_on_this_host(f"elsewhere:{gone}:abcd", me)
    assert not dead_on_this_host("not-a-replica-id", me)
