"""Flood limit per chat (in memory) and wrong-code attempts (in the database)."""

from datetime import timedelta

from bot.throttle import FloodGuard
from desk.anonymous.attempts import WRONG_CODE, count_attempt, is_throttled
from tests.conftest import at

NOW = at("2026-11-23T10:00:00+09:00")


def test_a_chat_over_the_limit_is_told_once_then_dropped_until_the_window_moves():
    guard = FloodGuard(limit=3, window=timedelta(seconds=60))
    seconds = [0, 1, 2, 3, 4]
    verdicts = [guard.check(7, NOW + timedelta(seconds=s)) for s in seconds]
    assert verdicts == ["ok", "ok", "ok", "warn", "drop"]
    assert guard.check(8, NOW + timedelta(seconds=5)) == "ok"  # other chats are not affected
    # 60 s after the first message it has left the window.
    assert guard.check(7, NOW + timedelta(seconds=60)) == "ok"
    assert guard.check(7, NOW + timedelta(seconds=61)) == "ok"
    assert guard.check(7, NOW + timedelta(seconds=62)) == "ok"
    assert guard.check(7, NOW + timedelta(seconds=63)) == "warn"


def test_quiet_chats_are_forgotten():
    guard = FloodGuard(limit=3, window=timedelta(seconds=60))
    for chat in range(500):
        guard.check(chat, NOW)
    for chat in range(500, 1000):
        guard.check(chat, NOW + timedelta(minutes=5))
    # Every 500 checks, chats quiet for a whole window are dropped: the first 500 are gone.
    assert min(guard._seen) >= 500


async def test_five_wrong_codes_in_ten_minutes_and_no_more(store):
    window = timedelta(minutes=10)
    limits = {"kind": WRONG_CODE, "subject": "hash-of-chat", "window": window}
    async with store.unit_of_work() as session:
        for minute in range(5):
            assert not await is_throttled(session=session, limit=5, now=NOW + timedelta(minutes=minute), **limits)
            await count_attempt(session=session, now=NOW + timedelta(minutes=minute), **limits)
        assert await is_throttled(session=session, limit=5, now=NOW + timedelta(minutes=9), **limits)
        other = {**limits, "subject": "another-chat"}
        assert not await is_throttled(session=session, limit=5, now=NOW + timedelta(minutes=9), **other)
        # Ten minutes after the first attempt, one slot is free again.
        assert not await is_throttled(session=session, limit=5, now=NOW + timedelta(minutes=10), **limits)
