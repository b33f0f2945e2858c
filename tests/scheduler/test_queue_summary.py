"""The live queue summary through the sandbox: posted when a burst starts, edited as its figures change."""

from sqlalchemy import select

from bot.edits import TelegramEditor
from bot.ratelimit import SendLimiter
from conversation.staff.queue_summary import SummaryKeeper
from desk.outbox import OutboxMessage
from tests.conversation.staff.test_digests import fold, open_with_cards
from tests.scheduler.conftest import NO_LIMITS, real_now


async def summary_row(store) -> OutboxMessage:
    async with store.unit_of_work() as session:
        query = select(OutboxMessage).where(OutboxMessage.key.startswith("summary:"))
        (row,) = (await session.scalars(query)).all()
        return row


async def test_the_summary_is_posted_with_the_first_digest_and_edited_when_figures_change(
    store, desk, sandbox, transport, make_dispatcher
):
    staff_chat = desk.charter.staff_chat_id
    await open_with_cards(store, desk, 7)
    await fold(store, desk, now=real_now())
    dispatcher = make_dispatcher()
    await dispatcher.drain()
    texts = [m["text"] for m in sandbox.bot_messages(staff_chat)]
    # The summary first, then the digest listing all seven.
    assert len(texts) == 2 and texts[1].count("• ") == 7
    row = await summary_row(store)
    assert row.status == "sent" and texts[0] == row.text
    language = desk.staff_chat_language()
    # Received in November: today all are past due, which counts as due soon.
    assert desk.texts.render("utter_staff_queue_summary", language, at="", new=7, open=7, due_soon=7,
                             soon_hours=24, latest="I-1007").split("\n", 1)[1] == texts[0].split("\n", 1)[1]

    keeper = SummaryKeeper(store, desk, TelegramEditor(transport.bot), pacing=SendLimiter(NO_LIMITS), clock=real_now)
    assert await keeper.refresh() is False  # nothing changed: no edit spent
    assert sandbox.calls["editMessageText"] == 0

    await open_with_cards(store, desk, 3, chat_id=900)
    assert await keeper.refresh() is True
    (summary,) = [m for m in sandbox.bot_messages(staff_chat) if m["message_id"] == row.telegram_message_id]
    assert "I-1010" in summary["text"] and "10" in summary["text"].splitlines()[1]
    assert len(sandbox.bot_messages(staff_chat)) == 2  # edited in place, not posted again
    assert await keeper.refresh() is False


async def test_an_edit_refused_by_the_flood_limit_waits_and_loses_nothing(store, desk, sandbox, transport, make_dispatcher):
    staff_chat = desk.charter.staff_chat_id
    await open_with_cards(store, desk, 7)
    await fold(store, desk, now=real_now())
    await make_dispatcher().drain()
    sandbox.faults.add(method="editMessageText", chat_id=staff_chat, error_code=429, retry_after=30)
    keeper = SummaryKeeper(store, desk, TelegramEditor(transport.bot), pacing=None, clock=real_now)
    await open_with_cards(store, desk, 1, chat_id=900)
    assert await keeper.refresh() is False
    # Quiet until retry_after has passed: no second call meanwhile.
    assert await keeper.refresh() is False
    assert sandbox.calls["editMessageText"] == 1
    keeper._quiet_until = 0.0  # as if the 30 s had passed
    assert await keeper.refresh() is True


async def test_no_summary_is_edited_before_one_was_posted(store, desk, sandbox, transport):
    keeper = SummaryKeeper(store, desk, TelegramEditor(transport.bot), pacing=None, clock=real_now)
    await open_with_cards(store, desk, 2)
    assert await keeper.refresh() is False
    assert sandbox.calls["editMessageText"] == 0
