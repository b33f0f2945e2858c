"""Injected failures: make chosen Bot API calls answer errors or hang, a counted number of times."""

from __future__ import annotations

import itertools
import time
from dataclasses import asdict, dataclass
from typing import Any

from .errors import ApiError


@dataclass
class Fault:
    """One planned failure; `times` is what is left (None = until removed)."""

    id: int
    method: str | None
    chat_id: int | None
    error_code: int | None
    retry_after: int | None
    description: str | None
    stall_seconds: float | None
    times: int | None

    def matches(self, method: str, chat_id: Any) -> bool:
        """Whether this fault applies to a call of `method` about `chat_id`."""
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> ApiError | None:
        """The error to answer with once any stall is over (None = answer normally)."""
        if self.error_code is None:
            return None
        return ApiError(self.error_code, self.description, retry_after=self.retry_after)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the HTTP API."""
        return asdict(self)


@dataclass(frozen=True)
class Call:
    """One Bot API call as it arrived: wall-clock time, method, chat, and the error it was answered with."""

    at: float
    method: str
    chat_id: Any
    error_code: int | None
    retry_after: int | None


class Faults:
    """The planned failures of one sandbox, consumed in the order they were added; every call is logged."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self.log: list[Call] = []

    def add(
        self,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        error_code: int | None = None,
        retry_after: int | None = None,
        description: str | None = None,
        stall_seconds: float | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Plan a failure for matching calls (method/chat_id None = any); returns it."""
        if error_code is None and stall_seconds is None:
            raise ValueError("a fault needs an error_code, stall_seconds, or both")
        if error_code == 429 and retry_after is None:
            retry_after = 1  # Telegram always says how long to wait
        fault = Fault(
            next(self._ids), method, chat_id, error_code, retry_after, description, stall_seconds, times
        )
        self._faults.append(fault)
        return fault

    def take(self, method: str, chat_id: Any) -> Fault | None:
        """Consume one use of the first fault matching this call, if any, and log the call."""
        taken = next((fault for fault in self._faults if fault.matches(method, chat_id)), None)
        if taken is not None and taken.times is not None:
            taken.times -= 1
            if taken.times <= 0:
                self._faults.remove(taken)
        code = taken.error_code if taken else None
        self.log.append(Call(time.time(), method, chat_id, code, taken.retry_after if taken else None))
        return taken

    def note(self, method: str, chat_id: Any, error: ApiError) -> None:
        """Log a call the sandbox refused by itself (the group flood limit), not by a planned fault."""
        self.log.append(Call(time.time(), method, chat_id, error.error_code, error.retry_after))

    def calls_to(self, chat_id: Any, method: str = "sendMessage") -> list[Call]:
        """Logged calls of `method` about one chat, in order of arrival."""
        return [call for call in self.log if call.chat_id == chat_id and call.method == method]

    def remove(self, fault_id: int) -> bool:
        """Cancel one fault; False if it was already used up or unknown."""
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.id != fault_id]
        return len(self._faults) < before

    def clear(self) -> None:
        """Cancel every planned fault."""
        self._faults.clear()

    def __iter__(self):
        return iter(list(self._faults))

    def __len__(self) -> int:
        return len(self._faults)
