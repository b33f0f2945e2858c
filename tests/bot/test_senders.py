"""Processes sending as one bot share its flood limits: each beats a row and paces at its share.
On SQLite, and on PostgreSQL when configured."""

from datetime import timedelta

from bot import senders
from bot.ratelimit import Limits, SendLimiter
from bot.senders import Heartbeat
from tests.bot.test_send_limiter import FakeTime, send_times, within
from tests.conftest import at

NOW = at("2026-11-23T10:00:00+09:00")
LEASE = timedelta(seconds=60)


def heartbeat(store, name: str, *, now=NOW) -> Heartbeat:
    return Heartbeat(store, SendLimiter(Limits()), name=name, clock=lambda: now, lease=LEASE)


async def test_each_live_sender_paces_at_its_share_of_the_overall_and_group_limits(store):
    first, second, third = (heartbeat(store, name) for name in ("bot-a", "bot-b", "scheduler"))
    assert await first.once() == 1
    assert first.limiter.limits == Limits()  # alone, the whole budget
    await second.once()
    assert await third.once() == 3
    assert await first.once() == 3
    assert first.limiter.limits.per_second == 10.0
    assert first.limiter.limits.group_per_minute == 20.0 / 3
    # A private chat's messages come from one sender at a time: its spacing is not split.
    assert first.limiter.limits.chat_interval == 1.0


async def test_a_sender_that_stops_or_goes_silent_for_a_lease_no_longer_counts(store):
    await heartbeat(store, "dead", now=NOW - LEASE - timedelta(seconds=1)).once()
    leaving, staying = heartbeat(store, "leaving"), heartbeat(store, "staying")
    await leaving.once()
    assert await staying.once() == 2  # the silent one is not counted
    await leaving.stop()  # never started its loop: stopping only removes its row
    assert await staying.once() == 1
    assert staying.limiter.limits == Limits()


async def test_a_sender_gone_a_day_is_forgotten(store):
    await heartbeat(store, "long gone", now=NOW - senders.FORGET_AFTER - timedelta(seconds=1)).once()
    await heartbeat(store, "here").once()
    async with store.unit_of_work() as session:
        assert await senders.live(session, now=NOW, within=senders.FORGET_AFTER * 2) == 1


async def test_three_senders_at_their_share_keep_the_bot_within_thirty_a_second_together():
    everyone = []
    for replica in range(3):
        time = FakeTime()
        limiter = SendLimiter(Limits(), clock=time.clock, sleep=time.sleep)
        limiter.share(3)
        # Each replica answers its own chats; all three start at the same moment.
        chats = list(range(1000 * replica, 1000 * replica + 120))
        everyone += [t for _, t in await send_times(limiter, time, chats)]
    assert 25 <= within(sorted(everyone), 1.0) <= 30


async def test_the_one_second_cap_holds_a_senders_share_too():
    time = FakeTime()
    limiter = SendLimiter(Limits(), clock=time.clock, sleep=time.sleep)
    limiter.share(3)
    started = []
    for chat in range(1, 40):
        await limiter.starting(chat)  # no spacing asked for: only the cap holds them
        started.append(time.now)
    assert within(started, 1.0) == 10
