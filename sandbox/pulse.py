"""A wake-everyone signal: waiters re-check a condition whenever something changes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Pulse:
    """Wakes all current waiters on `fire()`; waiters re-evaluate their own predicate."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake every waiter."""
        # A fresh Event per round, so a waiter never misses a fire that happens
        # between its predicate check and its wait.
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_until(self, predicate: Callable[[], T], timeout: float | None) -> T:
        """Wait until predicate() is truthy or timeout passes; return its last value."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not (value := predicate()):
            event = self._event
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return value
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return predicate()
        return value
