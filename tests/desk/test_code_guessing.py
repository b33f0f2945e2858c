"""Issue 18: wrong receipt codes from many chats share one budget per minute, with a metric and a staff alert."""

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from bot import metrics
from conversation.citizen import anonymous
from desk.anonymous.attempts import GuessBudget
from desk.outbox import OutboxMessage
from tests.conftest import at
from tests.desk.test_anonymous import code_in, sealer  # noqa: F401 (the sealer fixture)

RECEIVED = at("2026-11-23T10:15:00+09:00")
WRONG = "0000 0000 0000 0000"


async def check(store, desk, sealer, chat_id: int, code: str, now) -> str:
    async with store.unit_of_work() as session:
        answer = await anonymous.status_by_code(
            session=session, desk=desk, sealer=sealer, chat_id=chat_id, message_id=None, code_text=code,
            received_at=now, language="en", now=now,
        )
    return answer.outgoing[0].text


def counted(outcome: str) -> float:
    return metrics.REGISTRY.get_sample_value("charterdesk_receipt_code_checks_total", {"outcome": outcome}) or 0.0


async def staff_alerts(store, desk) -> list[str]:
    async with store.unit_of_work() as session:
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("code-guessing:%")))).all()
    assert all(row.chat_id == desk.charter.staff_chat_id for row in rows)
    return [row.text for row in rows]


async def test_many_chats_guessing_share_one_budget_and_staff_are_told_once(store, desk, sealer):
    guarded = replace(desk, code_guesses=GuessBudget(limit=3))
    async with store.unit_of_work() as session:
        taken = await anonymous.take_complaint(session=session, desk=guarded, sealer=sealer, chat_id=9000,
                                               message_id=1, text="The waiting room was locked.",
                                               received_at=RECEIVED, language="en", now=RECEIVED)
    code = code_in(taken)
    before = {outcome: counted(outcome) for outcome in ("wrong", "refused_global", "opened")}
    wrong = desk.texts.render("utter_code_wrong", "en")
    paused = desk.texts.render("utter_code_throttled", "en", minutes=1)

    # Three chats, one wrong code each: each well under its own limit of five, together at the budget.
    for chat in (9101, 9102, 9103):
        assert await check(store, guarded, sealer, chat, WRONG, RECEIVED + timedelta(seconds=chat - 9100)) == wrong
    # A fourth chat, and even the right code, wait until the minute has passed.
    assert await check(store, guarded, sealer, 9104, WRONG, RECEIVED + timedelta(seconds=10)) == paused
    assert await check(store, guarded, sealer, 9000, code, RECEIVED + timedelta(seconds=20)) == paused
    [alert] = await staff_alerts(store, desk)  # once in the window, however many checks were refused
    assert alert == desk.texts.render("utter_staff_code_guessing", "ko", count=3, minutes=1, limit=3)
    assert "9104" not in alert

    assert "C-1001" in await check(store, guarded, sealer, 9000, code, RECEIVED + timedelta(seconds=62))
    assert counted("wrong") - before["wrong"] == 3
    assert counted("refused_global") - before["refused_global"] == 2
    assert counted("opened") - before["opened"] == 1


async def test_the_default_budget_leaves_a_citizens_own_typos_alone(store, desk, sealer):
    assert desk.code_guesses == GuessBudget(limit=30, window=timedelta(minutes=1))
    for second in range(5):
        assert await check(store, desk, sealer, 9200, WRONG, RECEIVED + timedelta(seconds=second)) == \
            desk.texts.render("utter_code_wrong", "en")
    assert await staff_alerts(store, desk) == []
