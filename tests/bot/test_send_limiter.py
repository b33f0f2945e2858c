"""Telegram's flood limits as waits, on a fake clock: per chat, per group, overall, chats independent."""

import asyncio

from bot.ratelimit import Limits, SendLimiter


class FakeTime:
    """A clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def send_times(limiter: SendLimiter, time: FakeTime, chats: list[int]) -> list[tuple[int, float]]:
    times = []
    for chat in chats:
        await limiter.wait(chat)
        times.append((chat, time.now))
    return times


def within(times: list[float], period: float) -> int:
    """The most sends in any window [t, t + period) (less a hair, for float sums)."""
    return max(sum(1 for u in times if t <= u < t + period - 1e-9) for t in times)


async def test_one_private_chat_gets_one_message_per_second():
    time = FakeTime()
    limiter = SendLimiter(Limits(), clock=time.clock, sleep=time.sleep)
    times = [t for _, t in await send_times(limiter, time, [7] * 5)]
    assert times == [0.0, 1.0, 2.0, 3.0, 4.0]


async def test_a_group_gets_at_most_twenty_a_minute_even_after_a_pause():
    time = FakeTime()
    limiter = SendLimiter(Limits(), clock=time.clock, sleep=time.sleep)
    times = [t for _, t in await send_times(limiter, time, [-100] * 45)]
    assert within(times, 60.0) == 20


async def test_all_chats_together_get_at_most_thirty_a_second():
    time = FakeTime()
    limiter = SendLimiter(Limits(), clock=time.clock, sleep=time.sleep)
    times = [t for _, t in await send_times(limiter, time, list(range(1, 100)))]
    assert 25 <= within(times, 1.0) <= 30


async def test_a_waiting_chat_does_not_hold_up_the_others():
    limiter = SendLimiter(Limits(per_second=1000, chat_interval=0.2))  # real time: the two really wait together
    await limiter.wait(1)
    order = []

    async def send(chat):
        await limiter.wait(chat)
        order.append(chat)

    # Chat 1 must wait a second for its next slot; chat 2 goes at once.
    await asyncio.gather(send(1), send(2))
    assert order == [2, 1]


async def test_requests_that_leave_together_are_capped_per_second():
    time = FakeTime()
    limiter = SendLimiter(Limits(per_second=5, chat_interval=0), clock=time.clock, sleep=time.sleep)
    # Slots were taken earlier; now twelve requests are ready at the same moment.
    times = []
    for chat in range(12):
        await limiter.starting(chat)
        times.append(time.now)
    assert times[:5] == [0.0] * 5 and within(times, 1.0) == 5


async def test_answers_paced_by_the_overall_budget_alone_share_it_with_the_dispatcher_but_not_chat_spacing():
    time = FakeTime()
    limiter = SendLimiter(Limits(), clock=time.clock, sleep=time.sleep)
    answers = limiter.overall_only()
    times = []
    for n in range(60):
        pacing = answers if n % 2 else limiter  # handlers' answers and the dispatcher's sends, interleaved
        await pacing.wait(7 if n % 2 else 1000 + n)
        times.append(time.now)
    assert 25 <= within(times, 1.0) <= 30  # one overall budget for both
    assert answers.slowest == 0.0  # an answer never waits for its chat's spacing
