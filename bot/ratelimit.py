"""Telegram's flood limits as waits: per chat, per group, and for the bot as a whole.

Each limit is an even spacing between sends, not a bucket: a bucket of 30 per second lets a burst
of 30 go right after a full second of sending, i.e. up to 60 in one second, which is what Telegram
answers with 429. Spacing keeps every window of the period within the limit.

Telegram counts the limits per bot token, not per process: with N processes sending as one bot (bot
replicas, schedulers), each paces at its share (`SendLimiter.share`, told N by bot/senders.py's heartbeat).
"""

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

# Every this many sends, chats whose spacing has run out are forgotten (bounds memory).
PRUNE_EVERY = 1000
# The spacing aims 10% under the overall limit: the moment a request really leaves jitters with the
# database write before it, and the hard cap in `starting` should seldom have to hold anything back.
OVERALL_MARGIN = 0.9


@dataclass(frozen=True)
class Limits:
    """Telegram's documented limits (their defaults), or lower ones when processes share a bot."""

    per_second: float = 30.0  # all chats together
    chat_interval: float = 1.0  # seconds between two messages to one private chat
    group_per_minute: float = 20.0  # messages to one group or channel

    def interval(self, chat_id: int) -> float:
        """Seconds between two messages to this chat (groups and channels have negative ids)."""
        return 60.0 / self.group_per_minute if chat_id < 0 else self.chat_interval

    @property
    def slowest(self) -> float:
        """The longest spacing between two messages to one chat, private or group."""
        return max(self.chat_interval, 60.0 / self.group_per_minute)

    def shared_by(self, senders: int) -> "Limits":
        """One sender's share when `senders` processes send as the same bot. The overall and the group
        limits are split (every sender writes to the staff group); a private chat's spacing is not: its
        messages come from one sender at a time (the replica holding the chat's updates, or a dispatcher)."""
        senders = max(1, senders)
        return replace(
            self, per_second=self.per_second / senders, group_per_minute=self.group_per_minute / senders
        )


class SendLimiter:
    """Waits until a message to a chat may go; chats wait independently, the overall limit is shared.

    The pacing (desk.delivery.Pacing) the outbox deliverer applies to Telegram's sends."""

    def __init__(
        self,
        limits: Limits = Limits(),
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = self.whole = limits
        self._clock = clock
        self._sleep = sleep
        self._next_for_chat: dict[int, float] = {}
        self._next_overall = 0.0
        self._sends = 0
        # When the requests of the last second really left: no one-second window holds more than the limit.
        self._started: deque[float] = deque()

    @property
    def slowest(self) -> float:
        """The longest spacing between two messages to one chat (the deliverer leases rows by it)."""
        return self.limits.slowest

    async def wait(self, chat_id: int) -> None:
        """Return when one message to `chat_id` may be sent; the slot is then taken (see `starting`)."""
        # The chat's own slot first, so a chat that must wait holds no overall slot meanwhile.
        await self._until(self._reserve_chat(chat_id))
        await self._until(self._reserve_overall())

    def overall_only(self) -> "OverallPacing":
        """This limiter's overall budget alone, for answers to a message just received: their chat's order
        is held by the intake while they wait, so chat and group spacing is left to PTB's AIORateLimiter."""
        return OverallPacing(self)

    def share(self, senders: int) -> None:
        """From now on pace at one share of the whole limits, `senders` processes sending as this bot."""
        self.limits = self.whole.shared_by(senders)

    async def starting(self, chat_id: int) -> None:
        """A request to `chat_id` leaves now: held while the last second already had the overall limit;
        the chat's next message then waits a full interval from this moment."""
        while True:
            now = self._clock()
            while self._started and self._started[0] + 1.0 <= now + 1e-9:  # a hair, for float sums
                self._started.popleft()
            if len(self._started) < max(1, int(self.limits.per_second)):
                break
            await self._sleep(self._started[0] + 1.0 - now)
        self._started.append(now)
        at = now + self.limits.interval(chat_id)
        self._next_for_chat[chat_id] = max(self._next_for_chat.get(chat_id, at), at)

    def _reserve_chat(self, chat_id: int) -> float:
        now = self._clock()
        self._forget_idle(now)
        at = max(now, self._next_for_chat.get(chat_id, now))
        self._next_for_chat[chat_id] = at + self.limits.interval(chat_id)
        return at

    def _reserve_overall(self) -> float:
        at = max(self._clock(), self._next_overall)
        self._next_overall = at + 1.0 / (self.limits.per_second * OVERALL_MARGIN)
        return at

    async def _until(self, moment: float) -> None:
        delay = moment - self._clock()
        if delay > 0:
            await self._sleep(delay)

    def _forget_idle(self, now: float) -> None:
        self._sends += 1
        if self._sends % PRUNE_EVERY == 0:
            self._next_for_chat = {chat: at for chat, at in self._next_for_chat.items() if at > now}


class OverallPacing:
    """A SendLimiter's overall budget (shared with the process's dispatcher), without per-chat spacing."""

    def __init__(self, limiter: SendLimiter) -> None:
        self.limiter = limiter

    @property
    def slowest(self) -> float:
        """No per-chat spacing here."""
        return 0.0

    async def wait(self, chat_id: int) -> None:
        """Return when the overall budget lets one more message go."""
        await self.limiter._until(self.limiter._reserve_overall())

    async def starting(self, chat_id: int) -> None:
        """A request leaves now (held while the last second already had the overall limit)."""
        await self.limiter.starting(chat_id)
