"""End to end, per language: an anonymous complaint through the real bot polling the sandbox.

The receipt code opens the complaint, the sealed channel delivers an answer, nothing that identifies
the sender is stored anywhere near the complaint (every table is read), and wrong codes are
throttled at five per chat.
"""

import re

import pytest
from sqlalchemy import select

from desk.anonymous import traces
from conversation.citizen import anonymous
from desk.anonymous.receipts import Receipt
from desk.outbox import OutboxMessage
from desk.tickets.models import Ticket, TicketEntry
from tests.bot.citizen_steps import buttons, eventually, press, rows_mentioning, say

SENDERS = {
    # Distinctive ids and names, so a search of every table cannot miss or mistake them.
    "ko": (771_234_501, "민원인비밀", "secret_ko", "직원이 너무 불친절해서 화가 납니다. 창구 직원 교육이 필요합니다."),
    "en": (771_234_502, "Sender Hidden", "secret_en", "The staff at the front desk were very rude to me today."),
    "hu": (771_234_503, "Rejtett Küldő", "secret_hu", "Az ügyintéző nagyon udvariatlan volt velem a pultnál."),
}
WRONG = "1111 2222 3333 4444"


async def no_anonymous_rows_left(store) -> bool:
    async with store.unit_of_work() as session:
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith("anon:")))).all()
    return not rows


@pytest.mark.parametrize("language", ["ko", "en", "hu"])
async def test_an_anonymous_complaint_keeps_its_sender_unknown(sandbox, live, language):
    user, name, username, complaint = SENDERS[language]
    texts = live.desk.texts
    sandbox.user(user, name, username=username, language_code=language)
    sandbox.group(live.charter.staff_chat_id, "Staff")

    [explained] = await say(sandbox, user, "/anonymous")
    assert explained["text"] == texts.render("utter_anonymous_explain", language)
    [receipt] = await say(sandbox, user, complaint)
    code = re.search(r"\d{4} \d{4} \d{4} \d{4}", receipt["text"]).group().replace(" ", "")
    number = re.search(r"C-\d{4}", receipt["text"]).group()
    assert [data for _, data in buttons(receipt)] == [f"c:seal:{code}", "c:noseal"]

    # The sender asks to be told here: their chat is sealed into the receipt, nowhere in clear.
    [sealed] = await press(sandbox, user, receipt, f"c:seal:{code}")
    assert sealed["text"] == texts.render("utter_anonymous_sealed", language, number=number)

    # The code opens the complaint.
    [status] = await say(sandbox, user, f"/status {code}")
    assert number in status["text"] and texts.render("utter_status_no_reply", language) in status["text"]

    # Staff answer (the console writes a staff_reply entry); the sealed channel pushes it here.
    async with live.store.unit_of_work() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.anonymous.is_(True)))
        assert ticket.citizen_id is None and ticket.text == complaint and ticket.category == "complaint"
        session.add(TicketEntry(ticket_id=ticket.id, kind="staff_reply", author_id=1001, text="We are sorry.",
                                created_at=ticket.received_at))
    sealer = live.sealer  # the running process's
    async with live.store.unit_of_work() as session:
        pushed = await anonymous.push_sealed_answers(session=session, desk=live.desk, sealer=sealer,
                                                           now=ticket.received_at)
    assert len(pushed) in (0, 2)  # 0: the scheduler's own pass came first
    # The answer, then the rating question: both through the sealed channel, delivered by the dispatcher.
    push, question = await sandbox.wait_for_bot_messages(user, count=2, after_message_id=status["message_id"])
    assert "We are sorry." in push["text"] and number in push["text"]
    assert number in question["text"] and len(question["reply_markup"]["inline_keyboard"][0]) == 5

    # Wrong codes: five are checked, the sixth attempt is refused even with the right code.
    for _ in range(5):
        [wrong] = await say(sandbox, user, f"/status {WRONG}")
        assert wrong["text"] == texts.render("utter_code_wrong", language)
    [refused] = await say(sandbox, user, f"/status {code}")
    assert refused["text"] == texts.render("utter_code_throttled", language, minutes=10)

    # Whatever the path left behind: the sweep deletes delivered rows the dispatcher sent.
    async with live.store.unit_of_work() as session:
        await traces.scrub_delivered(session=session)
    assert await eventually(lambda: no_anonymous_rows_left(live.store))
    # No table holds the chat id, the name or the username: not the ticket, its history, the
    # receipt, the idempotency records, the outbox, the throttle, the citizens table. The intake table
    # drops the last update's payload when its handler has returned, a moment after its answer arrived.
    async def nothing_mentions_the_sender():
        return await rows_mentioning(live.store, [user, name, username]) == []

    assert await eventually(nothing_mentions_the_sender), await rows_mentioning(live.store, [user, name, username])
    async with live.store.unit_of_work() as session:
        receipt_row = await session.scalar(select(Receipt).where(Receipt.ticket_id == ticket.id))
    assert code not in receipt_row.code_hash and receipt_row.code_hash.startswith("$argon2id$")
    assert sealer.unseal_chat(receipt_row.sealed_chat, purpose=f"receipt-chat:{ticket.id}") == user


async def test_no_thanks_leaves_the_answer_to_status_code_and_cancel_stores_nothing(sandbox, live):
    user = 771_234_504
    sandbox.user(user, "Anon", language_code="en")
    texts = live.desk.texts
    await say(sandbox, user, "/anonymous")
    [stopped] = await say(sandbox, user, "/cancel")
    assert stopped["text"] == texts.render("utter_anonymous_cancelled", "en")
    # After /cancel the next message is an ordinary one again.
    [ack] = await say(sandbox, user, "How do I apply for the housing benefit?")
    assert ack["text"].startswith("We have received your inquiry")
    [receipt] = await say(sandbox, user, "/anonymous The waiting room was locked at 10 in the morning.")
    [declined] = await press(sandbox, user, receipt, "c:noseal")
    assert declined["text"] == texts.render("utter_anonymous_not_sealed", "en")
    async with live.store.unit_of_work() as session:
        receipt_row = await session.scalar(select(Receipt))
    assert receipt_row.sealed_chat is None


async def test_files_are_refused_on_the_anonymous_path_and_the_wait_goes_on(sandbox, live):
    user = 771_234_505
    sandbox.user(user, "Anon", language_code="hu")
    await say(sandbox, user, "/anonymous")
    before = sandbox.messages(user)[-1]["message_id"]
    await sandbox.send_photo(user, "itt a bizonyíték")
    [refused] = await sandbox.wait_for_bot_messages(user, after_message_id=before)
    assert refused["text"] == live.desk.texts.render("utter_anonymous_text_only", "hu")
    [receipt] = await say(sandbox, user, "A váróteremben nem volt fűtés egész héten.")
    assert "Nyugtakód" in receipt["text"]
