"""A web answer whose send was marked and never recorded (the process died between the mark and the feed
write, or between the feed write and the record) is sent again by the next claim and shows exactly once;
a Telegram row in the same state is still flagged unknown, never repeated."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from desk import outbox
from desk.channels import web_chat_id
from desk.delivery import Deliverer
from desk.outbox import OutboxMessage
from tests.conftest import at
from web import feed
from web.feed import FeedMessage
from web.notifier import Notifier
from web.transport import WebTransport
from web.visitors import register

NOW = at("2026-11-24T11:00:00+09:00")
LATER = NOW + outbox.LEASE + timedelta(seconds=1)
TELEGRAM_CHAT = 4242


async def visitor_with_answer(store) -> tuple[int, outbox.Outgoing]:
    """A visitor and one promised answer to them, claimed and marked "sending" by a sender that then dies."""
    async with store.unit_of_work() as session:
        visitor, _ = await register(session=session, now=NOW)
        row = await outbox.enqueue(session, key="answer:1", chat_id=web_chat_id(visitor.id), text="Room 3.", now=NOW)
    await marked(store, row.id)
    return visitor.id, row


async def marked(store, outbox_id: int) -> None:
    async with store.unit_of_work() as session:
        [claimed] = await outbox.claim_due(session, now=NOW)
        assert claimed.id == outbox_id
        assert await outbox.mark_sending(session, outbox_ids=[outbox_id], now=NOW) == {outbox_id}


def transport(store, clock=lambda: LATER) -> WebTransport:
    return WebTransport(store, Notifier(), clock=clock)


async def lines_and_status(store, visitor_id: int, outbox_id: int) -> tuple[list[str], str]:
    async with store.unit_of_work() as session:
        lines = [line.text for line in await feed.after(session=session, visitor_id=visitor_id)]
        return lines, (await session.get(OutboxMessage, outbox_id)).status


async def claim_and_deliver(store) -> list[outbox.Outgoing]:
    async with store.unit_of_work() as session:
        claimed = await outbox.claim_due(session, now=LATER)
    deliverer = Deliverer(store, transport(store), clock=lambda: LATER)
    await deliverer.deliver(claimed)
    await deliverer.idle()
    return claimed


@pytest.mark.parametrize("wrote_the_line", [False, True], ids=["died-before-the-feed", "died-after-the-feed"])
async def test_a_marked_unrecorded_web_answer_is_sent_again_and_shown_once(store, wrote_the_line):
    visitor_id, row = await visitor_with_answer(store)
    if wrote_the_line:
        assert (await transport(store, clock=lambda: NOW).send(row)).outcome == "sent"  # ...and then died

    [again] = await claim_and_deliver(store)

    assert again.id == row.id
    assert await lines_and_status(store, visitor_id, row.id) == (["Room 3."], "sent")
    assert await claim_and_deliver(store) == []  # done with: nothing left to send a third time


async def test_a_takeover_of_the_chat_sends_the_web_answer_again(store):
    visitor_id, row = await visitor_with_answer(store)
    async with store.unit_of_work() as session:
        taken = await outbox.take_over_chat(
            session, chat_hash=(await session.get(OutboxMessage, row.id)).chat_hash, written_until=NOW, now=NOW
        )
    assert [message.id for message in taken] == [row.id]
    deliverer = Deliverer(store, transport(store), clock=lambda: NOW)
    await deliverer.deliver(taken)
    await deliverer.idle()
    assert await lines_and_status(store, visitor_id, row.id) == (["Room 3."], "sent")


async def test_a_marked_unrecorded_telegram_answer_is_still_flagged_unknown(store):
    async with store.unit_of_work() as session:
        row = await outbox.enqueue(session, key="answer:tg", chat_id=TELEGRAM_CHAT, text="Room 3.", now=NOW)
    await marked(store, row.id)

    assert await claim_and_deliver(store) == []
    async with store.unit_of_work() as session:
        assert (await session.get(OutboxMessage, row.id)).status == "unknown"


async def test_the_feed_takes_one_line_per_outbox_row_and_lets_go_when_the_row_is_deleted(store):
    visitor_id, row = await visitor_with_answer(store)
    for _ in range(3):
        assert (await transport(store).send(row)).outcome == "sent"
    async with store.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(FeedMessage)) == 1
        # The anonymous path deletes its rows once sent; the line stays, unlinked, so a new row that
        # SQLite gives the same id is still written.
        await session.execute(delete(OutboxMessage).where(OutboxMessage.id == row.id))
    async with store.unit_of_work() as session:
        reused = await outbox.enqueue(session, key="answer:2", chat_id=web_chat_id(visitor_id), text="Next.", now=NOW)
    assert (await transport(store).send(reused)).outcome == "sent"
    async with store.unit_of_work() as session:
        lines = await feed.after(session=session, visitor_id=visitor_id)
    assert [(line.text, line.outbox_id) for line in lines] == [("Room 3.", None), ("Next.", reused.id)]


class CountedNotices:
    """Records which visitors were told an answer is waiting (the e-mail itself is tested in test_web_mail_e2e)."""

    def __init__(self) -> None:
        self.told: list[int] = []

    async def answer_waiting(self, visitor_id: int) -> bool:
        self.told.append(visitor_id)
        return True


async def test_a_line_written_before_the_crash_is_not_announced_by_e_mail_again(store):
    visitor_id, row = await visitor_with_answer(store)
    notices = CountedNotices()
    first = WebTransport(store, Notifier(), clock=lambda: NOW, notices=notices)
    assert (await first.send(row)).outcome == "sent"  # ...and then the sender died before recording it
    again = WebTransport(store, Notifier(), clock=lambda: LATER, notices=notices)

    assert (await again.send(row)).outcome == "sent"

    assert notices.told == [visitor_id]
    assert (await lines_and_status(store, visitor_id, row.id))[0] == ["Room 3."]
