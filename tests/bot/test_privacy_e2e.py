"""End to end through the sandbox Bot API: /mydata, /forget, staff commands by edit or forward, and logs."""

import asyncio
import json
import logging
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from desk.organisations.models import FIRST_ORGANISATION
from desk import audit
from conversation.citizen.anonymous import OUTBOX_PREFIX
from bot.inbox import IntakeUpdate
from desk.outbox import OutboxMessage
from desk.reports.period import Period
from tests.bot.test_staff_e2e import (
    STAFF_CHAT,
    audit_actions,
    buttons,
    open_ticket,
    staff_chat,
    staff_says,
    ticket,
)
from tests.conversation.citizen.test_privacy import scan, totals

__all__ = ["staff_chat"]  # the fixture, imported so pytest finds it here

CITIZEN = 76_543_217
MARKER, USERNAME = "QUOKKA-3319", "quokka_person"
INQUIRY = f"{MARKER} What documents do I need for the housing benefit?"
# Loggers of the sandbox stand for Telegram's own servers: they see everything anyway.
TELEGRAM_SIDE = ("sandbox", "aiohttp")


async def report_totals(live) -> list[tuple]:
    from desk.reports.report import build_report

    now = datetime.now(UTC)
    today = now.astimezone(live.charter.timezone).date()
    period = Period(date(today.year - 1, 1, 1), date(today.year + 1, 12, 31), "days")
    async with live.store.unit_of_work() as session:
        return totals(await build_report(session=session, organisation_id=FIRST_ORGANISATION, charter=live.charter, period=period, now=now))


async def settled(sandbox, live) -> None:
    """Wait until no promised message to anyone is left and every stored update is handled."""

    async def quiet() -> bool:
        async with live.store.unit_of_work() as session:
            pending = await session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.key.startswith(OUTBOX_PREFIX)))
            waiting = await session.scalar(
                select(func.count()).select_from(IntakeUpdate).where(IntakeUpdate.payload.is_not(None)))
        return pending == 0 and waiting == 0

    for _ in range(100):
        if await quiet():
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("outbox or intake never settled")


def personal_in_logs(caplog, *needles: str) -> dict[str, int]:
    ours = [r for r in caplog.records if not r.name.startswith(TELEGRAM_SIDE)]
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in ours)
    return {needle: text.count(needle) for needle in needles}


async def test_mydata_then_forget_leave_nothing_and_logs_say_nothing_personal(sandbox, staff_chat, live, caplog):
    caplog.set_level(logging.DEBUG)
    ack, _ = await open_ticket(sandbox, CITIZEN, INQUIRY, name="Quokka", username=USERNAME)
    assert "I-1001" in ack["text"]
    await staff_says(sandbox, 1002, "/reply I-1001 Bring your ID card to room 3.")
    await sandbox.wait_for_bot_messages(CITIZEN, count=2)
    figures = await report_totals(live)

    sent = await sandbox.send_text(CITIZEN, "/mydata")
    [document] = await sandbox.wait_for_bot_messages(CITIZEN, after_message_id=sent["message_id"])
    assert document["document"]["file_name"].endswith(".json") and document["caption"].startswith("Here is everything")
    data = json.loads(sandbox.files.get(document["document"]["file_id"]).content)
    assert data["citizen"]["chat_id"] == CITIZEN
    [held] = data["tickets"]
    assert held["number"] == "I-1001" and held["text"] == INQUIRY
    assert [h["kind"] for h in held["history"]] == ["staff_reply"]

    asked = await sandbox.send_text(CITIZEN, "/forget")
    [question] = await sandbox.wait_for_bot_messages(CITIZEN, after_message_id=asked["message_id"])
    assert buttons(question) == ["c:forget:yes", "c:forget:no"] and "your 1 request(s)" in question["text"]
    staff_before = len(sandbox.bot_messages(STAFF_CHAT))
    await sandbox.press_button(CITIZEN, CITIZEN, question["message_id"], "c:forget:yes")
    [done] = await sandbox.wait_for_bot_messages(CITIZEN, after_message_id=question["message_id"])
    assert done["text"].startswith("Done.")
    notices = await sandbox.wait_for_bot_messages(STAFF_CHAT, count=staff_before + 1)
    assert "I-1001" in notices[-1]["text"] and "/forget" in notices[-1]["text"]
    assert (await ticket(live.store)).status == "closed"
    await settled(sandbox, live)

    needles = (MARKER, str(CITIZEN), USERNAME, live.keyring.chat_hash(CITIZEN))
    assert await scan(live.store, *needles) == dict.fromkeys(needles, 0)
    assert await report_totals(live) == figures
    assert personal_in_logs(caplog, MARKER, str(CITIZEN), USERNAME) == {MARKER: 0, str(CITIZEN): 0, USERNAME: 0}
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # DEBUG was on: silence is not an accident


async def test_edited_and_forwarded_staff_commands_do_nothing(sandbox, staff_chat, live):
    await open_ticket(sandbox, 821, "What documents do I need for the housing benefit?")
    # A colleague's harmless message edited into a command: edits are never commands.
    typed = await sandbox.send_text(1002, "see you at lunch", chat_id=STAFF_CHAT)
    await sandbox.edit_text(1002, STAFF_CHAT, typed["message_id"], "/close I-1001")
    # A citizen's message shaped like a command, forwarded by staff: it must not act with staff rights.
    bait = await sandbox.send_text(821, "/reply I-1001 Your benefit is approved.")
    [_, refused] = await sandbox.wait_for_bot_messages(821, count=2)
    assert "registered desk staff only" in refused["text"]  # typed by a non-staff member: refused and audited
    await sandbox.forward(1002, 821, bait["message_id"], chat_id=STAFF_CHAT)
    sandbox.user(1002, "이상담", username="lee", language_code="en")
    await sandbox.forward(1002, 821, bait["message_id"])  # into the staff member's private chat with the bot
    [private] = await sandbox.wait_for_bot_messages(1002)
    assert private["text"].startswith("There is no command /reply")

    # Updates of one chat are handled in order: once /show is answered, the edit and the forward were seen.
    shown = await staff_says(sandbox, 1002, "/show I-1001")
    assert "I-1001" in shown["text"]
    stored = await ticket(live.store)
    assert stored.status == "open" and stored.answered_at is None and stored.closed_at is None
    assert await audit_actions(live.store, actor_id=1002) == [("show", "done")]
    assert len(sandbox.bot_messages(821)) == 2  # no "approved" answer ever reached the citizen
    assert await audit_actions(live.store, actor_hash=live.keyring.chat_hash(821)) == [("reply", "refused")]  # by hash, not id
    assert len(sandbox.bot_messages(STAFF_CHAT)) == 2  # the card and the /show answer
    async with live.store.unit_of_work() as session:
        assert await audit.count(session, outcome=audit.DONE, action="close") == 0
        assert await audit.count(session, outcome=audit.DONE, action="reply") == 0
