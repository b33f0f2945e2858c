"""The outbox's rows of two organisations in one database: each organisation's sweeps, /forget and retention
touch only its own, and each row names the bot it leaves through."""

from datetime import timedelta

from sqlalchemy import select

from conversation.citizen.flows import Desk
from conversation.promises import notices
from desk import outbox
from desk.charter.model import load_charter
from desk.organisations import service as organisations
from desk.outbox import Delivery, OutboxMessage
from desk.privacy import chats, retention
from tests.conftest import ROOT, at

NOW = at("2026-11-24T10:00:00+09:00")
CHAT = 700  # the same user, writing to both organisations' bots


async def second_desk(store, texts) -> Desk:
    async with store.unit_of_work() as session:
        second = await organisations.add(session=session, slug="csagyi", name="CSAGYI",
                                         charter_file=str(ROOT / "charters" / "csagyi.yml"), now=NOW)
    return Desk(charter=load_charter(ROOT / "charters" / "csagyi.yml"), texts=texts, organisation_id=second.id)


async def rows(store) -> list[tuple[int, str, str]]:
    async with store.unit_of_work() as session:
        query = select(OutboxMessage.organisation_id, OutboxMessage.key, OutboxMessage.status).order_by(OutboxMessage.id)
        return list((await session.execute(query)).all())


async def test_failed_sends_are_reported_to_their_own_organisations_staff_chat(store, desk, texts):
    other = await second_desk(store, texts)
    async with store.unit_of_work() as session:
        for each in (desk, other):
            made = await outbox.enqueue(session, key="reply:x:1", chat_id=CHAT, text="hello", now=NOW,
                                        organisation_id=each.organisation_id)
            await outbox.record(session, outbox_id=made.id, delivery=Delivery("unknown", reason="timed out"), now=NOW)
    async with store.unit_of_work() as session:
        assert await notices.report_failed_sends(session=session, desk=desk, now=NOW) == 1
    async with store.unit_of_work() as session:
        notice = await session.scalar(select(OutboxMessage).where(OutboxMessage.key.startswith(notices.NOTICE_KEY)))
        assert (notice.organisation_id, notice.chat_id) == (1, desk.charter.staff_chat_id)
        assert await notices.report_failed_sends(session=session, desk=other, now=NOW) == 1
    async with store.unit_of_work() as session:
        query = select(OutboxMessage.organisation_id, OutboxMessage.chat_id).where(
            OutboxMessage.key.startswith(notices.NOTICE_KEY)).order_by(OutboxMessage.id)
        assert (await session.execute(query)).all() == [
            (1, desk.charter.staff_chat_id), (other.organisation_id, other.charter.staff_chat_id)
        ]


async def test_a_blocked_bot_forget_and_retention_touch_only_their_organisations_rows(store, desk, texts):
    other = await second_desk(store, texts)
    async with store.unit_of_work() as session:
        for each in (desk, other):
            for n in (1, 2):
                await outbox.enqueue(session, key=f"m:{n}", chat_id=CHAT, text="x", now=NOW,
                                     organisation_id=each.organisation_id)
    async with store.unit_of_work() as session:
        [first, *_] = await outbox.claim_due(session, now=NOW)
        # The citizen blocked organisation 1's bot: its rows for the chat are given up, the other bot's stay.
        await outbox.record(session, outbox_id=first.id, now=NOW,
                            delivery=Delivery("undeliverable", reason="Forbidden: blocked", chat_blocked=True))
    assert await rows(store) == [(1, "m:1", "blocked"), (1, "m:2", "skipped"),
                                 (2, "m:1", "pending"), (2, "m:2", "pending")]
    async with store.unit_of_work() as session:
        await chats.forget_chat(session=session, organisation_id=1, chat_id=CHAT)
    assert await rows(store) == [(2, "m:1", "pending"), (2, "m:2", "pending")]

    later = NOW + timedelta(minutes=5)  # the first claim's leases have run out
    async with store.unit_of_work() as session:
        await outbox.record_sent(session, message_ids={row.id: 1 for row in await outbox.claim_due(session, now=later)},
                                 now=later)
    years_later = NOW + timedelta(days=3 * 365)
    async with store.unit_of_work() as session:
        await retention.expire_messages(session=session, desk=desk, now=years_later)
    assert await rows(store) == [(2, "m:1", "sent"), (2, "m:2", "sent")]  # organisation 1's retention, its rows
    async with store.unit_of_work() as session:
        await retention.expire_messages(session=session, desk=other, now=years_later)
    assert await rows(store) == []
