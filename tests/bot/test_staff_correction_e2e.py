"""End to end through the sandbox: a staff correction moves a ticket to the other clock and tells the citizen the new date."""

from sqlalchemy import select

from desk.tickets.corrections import Correction
from desk.tickets.enums import Category
from tests.bot.test_staff_e2e import STAFF_CHAT, buttons, open_ticket, staff_chat, staff_says, ticket  # noqa: F401

HOUSING_QUESTION = "What documents do I need for the housing benefit?"


async def test_the_card_button_moves_the_ticket_to_the_complaint_clock_and_tells_the_citizen(sandbox, staff_chat, live):
    ack, card = await open_ticket(sandbox, 821, HOUSING_QUESTION)
    opened = await ticket(live.store)
    assert "I-1001" in ack["text"] and live.desk.moment(opened.due_at, "en") in ack["text"]
    assert "s:cat:1:C" in buttons(card) and "s:cat:1:I" not in buttons(card)

    await sandbox.press_button(1002, STAFF_CHAT, card["message_id"], "s:cat:1:C")
    [_, told] = await sandbox.wait_for_bot_messages(821, count=2)
    new_due = live.charter.due_at(Category.COMPLAINT, opened.received_at)  # counted from the original receipt
    assert new_due != opened.due_at
    assert told["text"].startswith('Your request I-1001 is now filed as "complaint" under the number C-1001')
    assert live.desk.moment(new_due, "en") in told["text"] and live.desk.moment(opened.due_at, "en") not in told["text"]
    [confirmation] = await sandbox.wait_for_bot_messages(STAFF_CHAT, after_message_id=card["message_id"])
    assert "I-1001 → C-1001" in confirmation["text"]
    assert any("I-1001 → C-1001" in (answer.get("text") or "") for answer in sandbox.callback_answers)

    moved = await ticket(live.store)
    assert (moved.category, moved.due_at) == (Category.COMPLAINT, new_due)
    async with live.store.unit_of_work() as session:
        [kept] = (await session.scalars(select(Correction))).all()
        assert (kept.from_category, kept.to_category, kept.staff_id, kept.text) == ("inquiry", "complaint", 1002, HOUSING_QUESTION)

    # The number the citizen was first given still works, and shows the new promise.
    await sandbox.send_text(821, "/status I-1001")
    [*_, status] = await sandbox.wait_for_bot_messages(821, count=3)
    assert "C-1001" in status["text"] and live.desk.moment(new_due, "en") in status["text"]


async def test_a_typed_correction_tells_a_korean_citizen_in_korean(sandbox, staff_chat, live):
    await open_ticket(sandbox, 822, "기초생활수급 신청하려면 어떤 서류가 필요한가요?", language="ko")
    opened = await ticket(live.store)
    confirmation = await staff_says(sandbox, 1002, "/category I-1001 complaint")
    assert "I-1001 → C-1001 (complaint)" in confirmation["text"]
    [_, told] = await sandbox.wait_for_bot_messages(822, count=2)
    new_due = live.charter.due_at(Category.COMPLAINT, opened.received_at)
    assert told["text"].startswith("접수하신 I-1001 건을 민원(으)로 분류하여 처리합니다. 새 번호는 C-1001입니다")
    assert live.desk.moment(new_due, "ko") in told["text"]
