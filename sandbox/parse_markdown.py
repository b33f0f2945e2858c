"""Telegram's MarkdownV2 and legacy Markdown parse modes."""

from __future__ import annotations

import re
from typing import Any

from .entities import FormatError, TextBuilder, byte_offset

_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_V2_MARKERS = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}
_ENTITY_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}
_V2_ESCAPE = re.compile(r"\\([\x01-\x7e])")


def _find_closer(src: str, start: int, closer: str, escapes: bool) -> int:
    i = start
    while i < len(src):
        if escapes and src[i] == "\\":
            i += 2
            continue
        if src.startswith(closer, i):
            return i
        i += 1
    return -1


def _code(src: str, i: int, out: TextBuilder, *, escapes: bool) -> int:
    """Consume a `code` or ```pre``` span starting at i; return the index after it."""
    fence = "```" if src.startswith("```", i) else "`"
    end = _find_closer(src, i + len(fence), fence, escapes)
    if end < 0:
        kind = "Pre" if fence == "```" else "Code"
        raise FormatError(f"Can't find end of {kind} entity at byte offset {byte_offset(src, i)}")
    body = src[i + len(fence) : end]
    extra: dict[str, Any] = {}
    if fence == "```" and "\n" in body:
        first, rest = body.split("\n", 1)
        if first and " " not in first:
            extra["language"] = first
        if not first or "language" in extra:
            body = rest
    start = out.pos
    out.add(_V2_ESCAPE.sub(r"\1", body) if escapes else body)
    out.entity("pre" if fence == "```" else "code", start, **extra)
    return end + len(fence)


def parse_markdown_v2(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2, including its reserved-character rule."""
    out = TextBuilder()
    stack: list[tuple[str, int, int]] = []
    quote_start: int | None = None
    i = 0
    while i < len(src):
        char = src[i]
        if char == "\\" and i + 1 < len(src) and 1 <= ord(src[i + 1]) <= 126:
            out.add(src[i + 1])
            i += 2
            continue
        if char == "`":
            i = _code(src, i, out, escapes=True)
            continue
        if char == ">" and (i == 0 or src[i - 1] == "\n"):
            quote_start = out.pos if quote_start is None else quote_start
            i += 1
            continue
        if char == "\n" and quote_start is not None and not src.startswith(">", i + 1):
            out.entity("blockquote", quote_start)
            quote_start = None
        if char == "[":
            stack.append(("[", out.pos, i))
            i += 1
            continue
        if char == "]" and stack and stack[-1][0] == "[" and src.startswith("(", i + 1):
            end = _find_closer(src, i + 2, ")", True)
            if end < 0:
                raise FormatError(f"Can't find end of a url at byte offset {byte_offset(src, i)}")
            _, start, _ = stack.pop()
            out.entity("text_link", start, url=_V2_ESCAPE.sub(r"\1", src[i + 2 : end]))
            i = end + 1
            continue
        if src.startswith("__", i) and not (stack and stack[-1][0] == "_"):
            marker = "__"
        elif src.startswith("||", i):
            marker = "||"
        elif char in "*_~":
            marker = char
        elif char in _V2_RESERVED:
            raise FormatError(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        else:
            out.add(char)
            i += 1
            continue
        if stack and stack[-1][0] == marker:
            _, start, _ = stack.pop()
            out.entity(_V2_MARKERS[marker], start)
        else:
            stack.append((marker, out.pos, i))
        i += len(marker)
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    if stack:
        marker, _, at = stack[-1]
        raise FormatError(
            f"Can't find end of {_ENTITY_NAMES[marker]} entity at byte offset {byte_offset(src, at)}"
        )
    return out.result()


_LEGACY_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")


def parse_markdown(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse legacy Markdown (*bold* _italic_ `code` ```pre``` [text](url))."""
    out = TextBuilder()
    i = 0
    while i < len(src):
        char = src[i]
        if char == "\\" and i + 1 < len(src) and src[i + 1] in "_*`[":
            out.add(src[i + 1])
            i += 2
        elif char == "`":
            i = _code(src, i, out, escapes=False)
        elif char in "*_":
            end = src.find(char, i + 1)
            if end < 0:
                raise FormatError(
                    f"Can't find end of the entity starting at byte offset {byte_offset(src, i)}"
                )
            start = out.pos
            out.add(src[i + 1 : end])
            out.entity("bold" if char == "*" else "italic", start)
            i = end + 1
        elif char == "[":
            match = _LEGACY_LINK.match(src, i)
            if not match:
                raise FormatError(
                    f"Can't find end of the entity starting at byte offset {byte_offset(src, i)}"
                )
            start = out.pos
            out.add(match[1])
            out.entity("text_link", start, url=match[2])
            i = match.end()
        else:
            out.add(char)
            i += 1
    return out.result()
