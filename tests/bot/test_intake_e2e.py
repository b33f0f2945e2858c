"""End to end: citizens write to the real bot through the sandbox Bot API over HTTP."""

import asyncio
import sys
from datetime import UTC, datetime

from sqlalchemy import func, select

from desk.tickets.models import Ticket
from tests.conftest import ROOT

MESSAGES = {
    "ko": (201, "기초생활수급 신청하려면 어떤 서류가 필요한가요?", "문의가 접수되었습니다"),
    "en": (202, "Nobody has answered my letter for two weeks, this is unacceptable", "We are sorry for the trouble"),
    "hu": (203, "Szeretnék időpontot kérni jövő csütörtökre tanácsadásra", "Időpontkérését"),
}


async def charter_due(category: str, received: datetime) -> datetime:
    """What `charterdesk charter due` prints, run as a person would run it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "charterdesk", "charter", "due", str(ROOT / "charter.yml"), category,
        received.isoformat(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return datetime.fromisoformat(out.decode().strip())


async def tickets_by_number(store) -> dict[str, Ticket]:
    async with store.unit_of_work() as session:
        return {t.number: t for t in (await session.scalars(select(Ticket))).all()}


async def test_each_language_gets_a_ticket_answer_due_when_the_charter_says(sandbox, live):
    sent = {}
    for language, (user_id, text, _) in MESSAGES.items():
        sandbox.user(user_id, f"Citizen {language}", language_code=language)
        sent[language] = await sandbox.send_text(user_id, text)
    tickets = {}
    for language, (user_id, _, opening) in MESSAGES.items():
        [reply] = await sandbox.wait_for_bot_messages(user_id)
        assert reply["text"].startswith(opening), reply["text"]
        tickets.update(await tickets_by_number(live.store))
        [number] = [n for n in tickets if n in reply["text"]]
        ticket = tickets[number]
        received = datetime.fromtimestamp(sent[language]["date"], UTC)
        due = await charter_due(ticket.category, received)
        assert ticket.due_at == due
        assert live.desk.moment(due, language) in reply["text"]
    assert sorted(n[0] for n in tickets) == ["A", "C", "I"]


async def test_the_same_update_delivered_twice_makes_one_ticket(sandbox, live):
    sandbox.user(301, "Twice", language_code="en")
    message = await sandbox.send_text(301, "How can I apply for home care for my mother?")
    [ack] = await sandbox.wait_for_bot_messages(301)
    [update_id] = [u for u, update in sandbox.world.history.items() if update.get("message") == message]
    sandbox.redeliver(update_id)
    # Updates are handled in order: once "thanks" is answered, the repeat has been handled too.
    await sandbox.send_text(301, "thank you very much")
    replies = await sandbox.wait_for_bot_messages(301, count=2)
    assert replies[0] == ack and "Thank you" in replies[1]["text"]
    async with live.store.unit_of_work() as session:
        assert (await session.execute(select(func.count()).select_from(Ticket))).scalar_one() == 1
    assert len(sandbox.bot_messages(301)) == 2


async def test_start_and_help_answer_in_the_users_language(sandbox, live):
    sandbox.user(401, "Anna", language_code="hu")
    await sandbox.send_text(401, "/start")
    [notice] = await sandbox.wait_for_bot_messages(401)
    assert "Adatvédelem" in notice["text"] and live.charter.organisation.name in notice["text"]
    await sandbox.send_text(401, "/help")
    [_, help_text] = await sandbox.wait_for_bot_messages(401, count=2)
    assert "I-1042" in help_text["text"]


async def test_a_sticker_gets_a_polite_answer_and_no_ticket(sandbox, live):
    sandbox.user(501, "Min", language_code="ko")
    await sandbox.send_sticker(501)
    [reply] = await sandbox.wait_for_bot_messages(501)
    assert reply["text"] == live.desk.texts.render("utter_unsupported_message", "ko")
    assert await tickets_by_number(live.store) == {}


async def test_an_acknowledgement_refused_by_telegram_is_retried_by_the_scheduler(sandbox, live):
    sandbox.user(601, "Retry", language_code="en")
    sandbox.faults.add(method="sendMessage", chat_id=601, error_code=429, retry_after=1, times=1)
    await sandbox.send_text(601, "What documents do I need for the housing benefit?")
    [reply] = await sandbox.wait_for_bot_messages(601, timeout=15)
    assert "I-1001" in reply["text"]
    assert sandbox.calls["sendMessage"] >= 2


async def test_a_replica_taking_over_a_chat_first_sends_the_answer_its_dead_claimant_owed(sandbox, live):
    """A replica claimed the citizen's update, wrote an answer to the chat and died before sending it.
    The answer's lease still runs (no dispatcher may send it yet): the bot taking the update over sends
    it first, then handles the update, so the update's own answer comes after it."""
    from datetime import timedelta

    from bot import inbox
    from desk import outbox

    sandbox.user(701, "Taken over", language_code="en")
    now = datetime.now(UTC)
    claimed = now - inbox.LEASE - timedelta(seconds=2)  # the dead replica's claim ran out 2 s ago
    update = {"update_id": 9_000_001, "message": {
        "message_id": 9_000_001, "date": int(claimed.timestamp()), "text": MESSAGES["en"][1],
        "chat": {"id": 701, "type": "private", "first_name": "Taken over"},
        "from": {"id": 701, "is_bot": False, "first_name": "Taken over", "language_code": "en"},
    }}
    async with live.store.unit_of_work() as session:
        await inbox.store(session, [update], now=claimed)
        dead = await inbox.claim(session, claimant="dead", limit=10, now=claimed)
        assert [w.update_id for w in dead] == [9_000_001]
        await outbox.enqueue(
            session, key="owed-701", chat_id=701, text="the answer owed", now=now - timedelta(seconds=3),
            claim=True,
        )
    first, second = await sandbox.wait_for_bot_messages(701, count=2, timeout=20)
    assert first["text"] == "the answer owed"
    assert second["text"].startswith(MESSAGES["en"][2])
