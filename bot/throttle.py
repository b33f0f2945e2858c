"""Per-chat flood limit: a sliding window counted in memory, so it leaves no trace of who wrote when.

One process takes a bot's updates (Telegram gives long polling to one consumer), so counting in
that process is enough; a restart forgets the counts, which only ever errs towards the citizen.
"""

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

# An album of ten photos arrives as ten messages; twenty a minute leaves room for that and a note.
FLOOD_LIMIT = 20
FLOOD_WINDOW = timedelta(seconds=60)
# Every this many checks, chats that have been quiet for a whole window are forgotten.
PRUNE_EVERY = 500

Verdict = Literal["ok", "warn", "drop"]


@dataclass
class FloodGuard:
    """At most `limit` updates per chat in any `window`; the first one over is told, later ones dropped."""

    limit: int = FLOOD_LIMIT
    window: timedelta = FLOOD_WINDOW
    _seen: dict[int, deque[datetime]] = field(default_factory=dict)
    _warned: dict[int, datetime] = field(default_factory=dict)
    _checks: int = 0

    def check(self, chat_id: int, now: datetime) -> Verdict:
        """Count one update of `chat_id` at `now`: 'ok' to handle it, 'warn' to say why not, 'drop'."""
        self._checks += 1
        if self._checks % PRUNE_EVERY == 0:
            self._prune(now)
        seen = self._seen.setdefault(chat_id, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) < self.limit:
            seen.append(now)
            return "ok"
        warned = self._warned.get(chat_id)
        if warned is not None and warned > now - self.window:
            return "drop"
        self._warned[chat_id] = now
        return "warn"

    def _prune(self, now: datetime) -> None:
        quiet = [chat for chat, seen in self._seen.items() if not seen or seen[-1] <= now - self.window]
        for chat in quiet:
            self._seen.pop(chat, None)
            self._warned.pop(chat, None)
