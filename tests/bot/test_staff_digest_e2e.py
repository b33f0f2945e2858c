"""End to end through the real bot: waiting cards go out as one digest, and its buttons show a ticket."""

from conversation.staff.cards import enqueue_staff_card
from tests import factories
from tests.bot.test_staff_e2e import STAFF_CHAT, buttons, staff_chat  # noqa: F401 (fixture)
from tests.conftest import at

RECEIVED = at("2026-11-23T10:15:00+09:00")


async def test_eight_waiting_cards_arrive_as_a_summary_and_one_digest_whose_buttons_show_each_ticket(
    store, sandbox, live, staff_chat  # noqa: F811
):
    desk = live.desk
    async with store.unit_of_work() as session:  # as intake leaves them: tickets and their cards, at once
        for n in range(8):
            ticket = await factories.ticket(session, desk.charter, received_at=RECEIVED, chat_id=700 + n,
                                            text=f"Question number {n} about housing")
            await session.flush()
            await enqueue_staff_card(session, desk, ticket, RECEIVED)
    summary, digest = await sandbox.wait_for_bot_messages(STAFF_CHAT, count=2)
    assert summary["text"].startswith("📋") and digest["text"].count("• ") == 8
    pressed = buttons(digest)
    assert len(pressed) == 8 and all(data.startswith("s:show:") for data in pressed)

    await sandbox.press_button(1002, STAFF_CHAT, digest["message_id"], pressed[3])
    *_, shown = await sandbox.wait_for_bot_messages(STAFF_CHAT, count=3)
    assert "I-1004" in shown["text"] and "Question number 3 about housing" in shown["text"]
    assert len(sandbox.callback_answers) == 1  # the press was answered (no spinner left turning)
