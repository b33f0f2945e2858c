"""The outbox: unique keys, leases, outcomes, holds and blocks (sending itself: test_delivery.py)."""

import asyncio
from datetime import timedelta

from sqlalchemy import select

from desk.organisations.models import FIRST_ORGANISATION
from desk import outbox
from desk.outbox import Delivery, OutboxMessage
from infra.database import Store
from tests.conftest import at
from tests.outbox_counts import pending_count, status_counts

NOW = at("2026-11-23T10:00:00+09:00")


async def put(store: Store, key: str, *, claim: bool = False, not_before=None) -> outbox.Outgoing | None:
    async with store.unit_of_work() as session:
        return await outbox.enqueue(
            session, key=key, chat_id=5, text=f"text {key}", now=NOW, claim=claim, not_before=not_before
        )


async def row(store: Store, outbox_id: int) -> OutboxMessage:
    async with store.unit_of_work() as session:
        return await session.get(OutboxMessage, outbox_id)


async def test_a_key_is_promised_once(store: Store):
    assert await put(store, "ack:1") is not None
    assert await put(store, "ack:1") is None


async def test_claim_takes_due_unleased_rows_only(store: Store):
    due = await put(store, "due")
    await put(store, "later", not_before=NOW + timedelta(hours=1))
    await put(store, "leased", claim=True)
    async with store.unit_of_work() as session:
        claimed = await outbox.claim_due(session, now=NOW)
    assert [m.id for m in claimed] == [due.id]
    async with store.unit_of_work() as session:
        assert await outbox.claim_due(session, now=NOW) == []


async def test_an_expired_lease_is_claimed_again(store: Store):
    leased = await put(store, "leased", claim=True)
    async with store.unit_of_work() as session:
        claimed = await outbox.claim_due(session, now=NOW + outbox.LEASE + timedelta(seconds=1))
    assert [m.id for m in claimed] == [leased.id]


async def test_outcomes_are_recorded(store: Store):
    ids = [(await put(store, k)).id for k in ("a", "b", "c", "d", "e")]
    outcomes = [
        Delivery("sent", message_id=77),
        Delivery("retry", retry_after=30),
        Delivery("retry"),
        Delivery("undeliverable", reason="Forbidden: bot was blocked by the user"),
        Delivery("unknown", reason="timed out"),
    ]
    async with store.unit_of_work() as session:
        for outbox_id, delivery in zip(ids, outcomes, strict=True):
            await outbox.record(session, outbox_id=outbox_id, delivery=delivery, now=NOW)
    rows = [await row(store, i) for i in ids]
    assert (rows[0].status, rows[0].telegram_message_id, rows[0].sent_at) == ("sent", 77, NOW)
    assert (rows[1].status, rows[1].not_before) == ("pending", NOW + timedelta(seconds=30))
    assert (rows[2].status, rows[2].not_before) == ("pending", NOW + outbox.backoff(1))
    assert (rows[3].status, rows[3].last_error) == ("undeliverable", "Forbidden: bot was blocked by the user")
    assert rows[4].status == "unknown"
    async with store.unit_of_work() as session:
        assert await pending_count(session) == 2


def test_backoff_grows_and_is_capped():
    assert outbox.backoff(1) < outbox.backoff(2) < outbox.backoff(3)
    assert outbox.backoff(50) == outbox.MAX_BACKOFF


async def test_concurrent_dispatchers_never_claim_the_same_row(store: Store):
    # One row per chat: a chat's rows go to one dispatcher at a time, in order (see the per-chat tests below).
    for n in range(40):
        await put_to(store, f"k{n}", 100 + n)

    async def claim_some() -> list[int]:
        async with store.unit_of_work() as session:
            return [m.id for m in await outbox.claim_due(session, now=NOW, limit=15)]

    batches = await asyncio.gather(*(claim_some() for _ in range(4)))
    claimed = [i for batch in batches for i in batch]
    assert len(claimed) == len(set(claimed)) == 40


# --- in-flight marking, per-chat holds and blocks (the scheduler's dispatcher relies on these) ----


async def put_to(store: Store, key: str, chat_id: int, **kw) -> outbox.Outgoing:
    async with store.unit_of_work() as session:
        return await outbox.enqueue(session, key=key, chat_id=chat_id, text=f"text {key}", now=NOW, **kw)


async def claim(store: Store, now=NOW, **kw) -> list[outbox.Outgoing]:
    async with store.unit_of_work() as session:
        return await outbox.claim_due(session, now=now, **kw)


async def test_a_row_whose_sender_died_mid_send_is_flagged_unknown_not_resent(store: Store):
    message = await put(store, "a")
    [claimed] = await claim(store)
    async with store.unit_of_work() as session:
        assert await outbox.mark_sending(session, outbox_ids=[message.id], now=NOW) == {message.id}
        assert await outbox.mark_sending(session, outbox_ids=[message.id], now=NOW) == set()  # only one sender
    # No outcome recorded: the process died. Once the lease is over, the row is flagged, not claimed.
    assert await claim(store, now=NOW + outbox.LEASE + timedelta(seconds=1)) == []
    flagged = await row(store, claimed.id)
    assert (flagged.status, flagged.sending_since) == ("unknown", None)


async def test_a_late_answer_overrides_unknown(store: Store):
    message = await put(store, "a")
    async with store.unit_of_work() as session:
        await outbox.mark_sending(session, outbox_ids=[message.id], now=NOW)
    await claim(store, now=NOW + outbox.LEASE * 2)
    async with store.unit_of_work() as session:
        await outbox.record(session, outbox_id=message.id, delivery=Delivery("sent", message_id=9), now=NOW)
    assert (await row(store, message.id)).status == "sent"


async def test_a_row_held_back_cannot_be_marked_for_sending(store: Store):
    message = await put(store, "a", not_before=NOW + timedelta(seconds=30))
    async with store.unit_of_work() as session:
        assert await outbox.mark_sending(session, outbox_ids=[message.id], now=NOW) == set()


async def test_a_retry_holds_back_the_rest_of_that_chat_only(store: Store):
    first = await put_to(store, "a1", 1)
    second = await put_to(store, "a2", 1)
    other = await put_to(store, "b1", 2)
    async with store.unit_of_work() as session:
        await outbox.record(session, outbox_id=first.id, delivery=Delivery("retry", retry_after=7), now=NOW)
    assert [m.id for m in await claim(store)] == [other.id]
    assert [m.id for m in await claim(store, now=NOW + timedelta(seconds=7))] == [first.id, second.id]


async def test_a_blocked_chat_skips_its_other_rows(store: Store):
    first = await put_to(store, "a1", 1)
    second = await put_to(store, "a2", 1)
    other = await put_to(store, "b1", 2)
    blocked = Delivery("undeliverable", reason="Forbidden: bot was blocked by the user", chat_blocked=True)
    async with store.unit_of_work() as session:
        await outbox.record(session, outbox_id=first.id, delivery=blocked, now=NOW)
    assert [(await row(store, i)).status for i in (first.id, second.id, other.id)] == ["blocked", "skipped", "pending"]


async def test_claims_can_skip_chats_and_cap_rows_per_chat(store: Store):
    ids = {key: (await put_to(store, key, chat)).id for key, chat in [("a1", 1), ("a2", 1), ("a3", 1), ("b1", 2), ("c1", 3)]}
    taken = await claim(store, skip_chats=[3], per_chat=2)
    assert [m.id for m in taken] == [ids["a1"], ids["a2"], ids["b1"]]
    assert [m.id for m in await claim(store)] == [ids["c1"]]  # a3 waits for a1 and a2


async def test_status_counts(store: Store):
    await put(store, "a")
    message = await put(store, "b")
    async with store.unit_of_work() as session:
        await outbox.record(session, outbox_id=message.id, delivery=Delivery("sent"), now=NOW)
        assert await status_counts(session) == {"pending": 1, "sent": 1}


async def test_a_chat_waits_while_an_earlier_row_of_it_is_leased(store: Store):
    first = await put_to(store, "a1", 1, claim=True)  # e.g. a handler is sending it right now
    second = await put_to(store, "a2", 1)
    other = await put_to(store, "b1", 2)
    assert [m.id for m in await claim(store)] == [other.id]
    assert [m.id for m in await claim(store, now=NOW + outbox.LEASE * 2)] == [first.id, second.id, other.id]


async def test_a_delivery_shows_a_blocked_citizen_is_reachable_again(store: Store):
    from desk.tickets import service

    async with store.unit_of_work() as session:
        citizen = await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=5, language="en", now=NOW)
        citizen.unreachable_at = NOW
    queued = await put(store, "push")
    assert await claim(store) == []  # nothing more is attempted to a chat that blocked us
    assert (await row(store, queued.id)).status == "skipped"
    reply = await put(store, "reply", claim=True)  # they wrote again; the handler answers at once
    async with store.unit_of_work() as session:
        await outbox.record(session, outbox_id=reply.id, delivery=Delivery("sent", message_id=3), now=NOW)
        assert (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=5)).unreachable_at is None


async def test_release_gives_back_leases_but_not_a_row_being_sent(store: Store):
    idle = await put(store, "idle", claim=True)
    sending = await put(store, "sending", claim=True)
    async with store.unit_of_work() as session:
        await outbox.mark_sending(session, outbox_ids=[sending.id], now=NOW)
        await outbox.release(session, [idle.id, sending.id])
    assert (await row(store, idle.id)).lease_until is None
    # Its request may have left: only its lease running out decides (flagged unknown, not sent again).
    assert (await row(store, sending.id)).lease_until is not None


async def test_deferred_rows_are_written_together_in_their_order_and_a_key_once(store: Store):
    async with store.unit_of_work() as session:
        await outbox.enqueue(session, key="old", chat_id=1, text="before", now=NOW)
    async with store.unit_of_work() as session:
        outbox.defer_writes(session)
        promised = [
            await outbox.enqueue(session, key="a", chat_id=1, text="first", now=NOW, claim=True),
            await outbox.enqueue(session, key="old", chat_id=1, text="again", now=NOW),
            await outbox.enqueue(session, key="b", chat_id=2, text="second", now=NOW),
            await outbox.enqueue(session, key="a", chat_id=1, text="a repeat", now=NOW),
        ]
        assert all(message.id < 0 for message in promised)  # placeholders until written
        ids = await outbox.write_deferred(session)
        assert await outbox.write_deferred(session) == {}
        sent = outbox.resolved(promised, ids)
    assert [message.text for message in sent] == ["first", "second"]
    assert sent[0].id < sent[1].id
    async with store.unit_of_work() as session:
        rows = {row.key: row for row in (await session.scalars(select(OutboxMessage))).all()}
    assert rows["a"].text == "first" and rows["a"].lease_until is not None and rows["a"].id == sent[0].id
    assert rows["b"].chat_id == 2 and rows["old"].text == "before"
    assert len(rows) == 3


async def test_taking_over_a_chat_leases_its_owed_rows_in_order_and_flags_a_begun_send(store: Store):
    begun = await put(store, "begun", claim=True)
    owed = await put(store, "owed", claim=True)  # leased to the dead sender; its lease still runs
    due = await put(store, "due")
    held = await put(store, "held", not_before=NOW + timedelta(minutes=5))  # not due: keeps its place
    other = await put_to(store, "other", 6)
    later = NOW + timedelta(seconds=1)
    async with store.unit_of_work() as session:
        await outbox.mark_sending(session, outbox_ids=[begun.id], now=NOW)
        # Written by a live sender after the dead one's claim on the chat ended: not taken.
        since = await outbox.enqueue(session, key="since", chat_id=5, text="since", now=later, claim=True)
    async with store.unit_of_work() as session:
        taken = await outbox.take_over_chat(
            session, chat_hash=(await session.get(OutboxMessage, owed.id)).chat_hash, written_until=NOW,
            now=later,
        )
    assert [m.id for m in taken] == [owed.id, due.id]
    flagged = await row(store, begun.id)
    assert (flagged.status, flagged.sending_since) == ("unknown", None)
    assert (await row(store, owed.id)).lease_until == later + outbox.LEASE
    assert (await row(store, held.id)).lease_until is None
    assert (await row(store, other.id)).lease_until is None
    assert (await row(store, since.id)).lease_until == later + outbox.LEASE  # its own sender's lease
