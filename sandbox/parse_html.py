"""Telegram's HTML parse_mode: the tags it accepts and the errors it gives."""

from __future__ import annotations

import re
from typing import Any

from .entities import FormatError, TextBuilder, byte_offset

_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z][a-zA-Z0-9_-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


def _numeric(reference: str) -> str:
    """The character of a numeric reference like "#65" or "#x41"."""
    digits = reference.removeprefix("#")
    return chr(int("0" + digits, 16) if digits[0] in "xX" else int(digits))


def _attrs(raw: str) -> dict[str, str]:
    return {name.lower(): (value or "").strip("\"'") for name, value in _ATTR.findall(raw)}


def parse_html(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram's HTML subset."""
    out = TextBuilder()
    stack: list[tuple[str, int, dict[str, Any]]] = []
    i = 0
    while i < len(src):
        char = src[i]
        if char == "&":
            match = _ENTITY.match(src, i)
            if match:
                out.add(_NAMED.get(match[1]) or _numeric(match[1]))
                i = match.end()
                continue
        if char != "<":
            out.add(char)
            i += 1
            continue
        match = _TAG.match(src, i)
        if not match:
            raise FormatError(f"Unexpected end of name token at byte offset {byte_offset(src, i)}")
        closing, name, raw_attrs = match[1], match[2].lower(), match[3]
        if name not in _HTML_TYPES:
            kind = "end" if closing else "start"
            raise FormatError(f'Unsupported {kind} tag "{name}" at byte offset {byte_offset(src, i)}')
        if closing:
            if not stack or stack[-1][0] != name:
                expected = f'"</{stack[-1][0]}>"' if stack else "no end tag"
                raise FormatError(
                    f"Unmatched end tag at byte offset {byte_offset(src, i)}, "
                    f'expected {expected}, found "</{name}>"'
                )
            _close_html(out, stack)
        else:
            stack.append((name, out.pos, _open_html(name, _attrs(raw_attrs), stack)))
        i = match.end()
    if stack:
        raise FormatError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _open_html(name: str, attrs: dict[str, str], stack: list) -> dict[str, Any]:
    """Entity details for an opening tag."""
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise FormatError('Tag "span" must have class "tg-spoiler"')
    if name == "a":
        return {"url": attrs["href"]} if attrs.get("href") else {"skip": True}
    if name == "blockquote" and "expandable" in attrs:
        return {"type": "expandable_blockquote"}
    if name == "tg-emoji":
        return {"custom_emoji_id": attrs.get("emoji-id", "")}
    language = attrs.get("class", "")
    if name == "code" and stack and stack[-1][0] == "pre" and language.startswith("language-"):
        # <pre><code class="language-x"> is one pre entity with a language, not two entities.
        stack[-1][2]["language"] = language.removeprefix("language-")
        return {"skip": True}
    return {}


def _close_html(out: TextBuilder, stack: list) -> None:
    name, start, extra = stack.pop()
    if extra.pop("skip", False):
        return
    kind = extra.pop("type", _HTML_TYPES[name])
    out.entity(kind, start, **extra)
