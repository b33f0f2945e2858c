"""Wakes the open streams of a visitor in this process when a line is added to their feed.

Only a hint: a stream also reads the feed every few seconds, so lines written by another process
(a scheduler of its own, another replica) reach it too.
"""

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager


class Notifier:
    """Per-visitor events that open streams wait on."""

    def __init__(self) -> None:
        self._waiting: defaultdict[int, set[asyncio.Event]] = defaultdict(set)

    @contextmanager
    def listening(self, visitor_id: int) -> Iterator[asyncio.Event]:
        """An event set whenever the visitor's feed grows, for as long as the block runs."""
        event = asyncio.Event()
        self._waiting[visitor_id].add(event)
        try:
            yield event
        finally:
            self._waiting[visitor_id].discard(event)
            if not self._waiting[visitor_id]:
                del self._waiting[visitor_id]

    def wake(self, visitor_id: int) -> None:
        """The visitor's feed has grown."""
        for event in self._waiting.get(visitor_id, ()):
            event.set()
