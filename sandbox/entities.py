"""Building message text and entities; offsets and lengths in UTF-16 code units, as in the Bot API."""

from __future__ import annotations

from typing import Any


class FormatError(Exception):
    """Markup that Telegram would refuse with "can't parse entities"."""


def u16(text: str) -> int:
    """Length of text in UTF-16 code units (the Bot API's unit for offsets)."""
    return len(text.encode("utf-16-le")) // 2


def byte_offset(src: str, index: int) -> int:
    """The UTF-8 byte offset of a character index (Telegram's unit in parse errors)."""
    return len(src[:index].encode("utf-8"))


class TextBuilder:
    """Accumulates plain text and the entities opened and closed over it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        """Append plain text."""
        self.parts.append(text)
        self.pos += u16(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        """Close an entity that began at `start`; empty entities are dropped, as in Telegram."""
        if self.pos > start:
            self.entities.append({"type": kind, "offset": start, "length": self.pos - start, **extra})

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        """The plain text and the entities found."""
        return "".join(self.parts), self.entities
