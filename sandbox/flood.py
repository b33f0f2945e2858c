"""Telegram's flood limit for groups: a bot may post about 20 messages a minute into one group.

Past it Telegram answers 429 with `retry_after`, the seconds until the oldest message of the last
minute leaves the window. Edits count too: a bot that edits a message in a tight loop is throttled
the same way. Only calls Telegram accepted count (a 400 posts nothing).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .errors import ApiError

WINDOW_SECONDS = 60.0
# Methods that put or change a message in a chat.
POSTING = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageReplyMarkup",
    }
)


class GroupFlood:
    """Counts what a bot posted into each group over the last minute; refuses the call past the limit."""

    def __init__(self, per_minute: int | None = 20, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._posted: dict[int, deque[float]] = {}

    def check(self, method: str, chat: dict[str, Any] | None) -> None:
        """Raise Telegram's 429 if this call would post into a group past its limit."""
        if not self._counted(method, chat):
            return
        recent = self._recent(chat["id"])
        if len(recent) >= self.per_minute:  # type: ignore[operator]
            wait = recent[0] + WINDOW_SECONDS - self._clock()
            raise ApiError(429, retry_after=max(1, math.ceil(wait)))

    def posted(self, method: str, chat: dict[str, Any] | None) -> None:
        """Count a call Telegram accepted."""
        if self._counted(method, chat):
            self._recent(chat["id"]).append(self._clock())

    def _counted(self, method: str, chat: dict[str, Any] | None) -> bool:
        return (
            self.per_minute is not None
            and method in POSTING
            and chat is not None
            and chat.get("type") in ("group", "supergroup")
        )

    def _recent(self, chat_id: int) -> deque[float]:
        recent = self._posted.setdefault(chat_id, deque())
        while recent and recent[0] <= self._clock() - WINDOW_SECONDS:
            recent.popleft()
        return recent
