"""Turn text + parse_mode into Telegram's (text, entities), with Telegram's parse errors."""

from __future__ import annotations

import re
from typing import Any

from .entities import FormatError, u16
from .errors import bad_request
from .parse_html import parse_html
from .parse_markdown import parse_markdown, parse_markdown_v2

_PARSERS = {"html": parse_html, "markdownv2": parse_markdown_v2, "markdown": parse_markdown}
_COMMAND = re.compile(r"(?:(?<=\s)|^)/[A-Za-z0-9_]+(?:@[A-Za-z][A-Za-z0-9_]*)?")


def command_entities(text: str) -> list[dict[str, Any]]:
    """bot_command entities Telegram detects by itself (PTB's CommandHandler needs them)."""
    return [
        {"type": "bot_command", "offset": u16(text[: m.start()]), "length": u16(m[0])}
        for m in _COMMAND.finditer(text)
    ]


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace like Telegram does, moving entities with the text."""
    stripped = text.strip()
    lead = u16(text[: len(text) - len(text.lstrip())])
    size = u16(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def format_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None, *, limit: int, what: str
) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and sorted entities for a message text or caption, or a Telegram 400."""
    if entities is not None:
        # Explicit entities win over parse_mode, as in the Bot API.
        found = [dict(entity) for entity in entities]
    elif parse_mode:
        parser = _PARSERS.get(parse_mode.lower())
        if parser is None:
            raise bad_request("unsupported parse_mode")
        try:
            text, found = parser(text)
        except FormatError as exc:
            raise bad_request(f"can't parse entities: {exc}") from exc
    else:
        found = []
    auto = command_entities(text) if entities is None else []
    text, found = _strip(text, found + auto)
    if what == "message" and not text:
        raise bad_request("message text is empty")
    if u16(text) > limit:
        raise bad_request(f"{'message' if what == 'message' else 'message caption'} is too long")
    found.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return text, found
