"""Promising text to a chat: long text split in order, buttons on the last part, one outbox row per part."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from conversation.buttons import Keyboard, stored
from desk import outbox
from desk.organisations.models import FIRST_ORGANISATION

# Telegram's limit for one message, counted in UTF-16 code units (an emoji counts two).
MESSAGE_LIMIT = 4096
# Where to cut a long text, best first: between paragraphs, lines, sentences, words.
_BREAKS = ("\n\n", "\n", ". ", " ")


def utf16_length(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The text in parts of at most `limit` UTF-16 units, in order, cut at the best break available."""
    parts: list[str] = []
    rest = text
    while utf16_length(rest) > limit:
        head = _prefix_within(rest, limit)
        cut = _cut(head)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts


def _cut(head: str) -> int:
    """Where to end a part: the best kind of break in its second half, else the last break, else the end."""
    for mark in _BREAKS:
        position = head.rfind(mark)
        if position >= len(head) // 2:
            return position + len(mark)
    last = max(head.rfind(mark) + len(mark) for mark in _BREAKS)
    return last if last > len(max(_BREAKS, key=len)) else len(head)


def _prefix_within(text: str, limit: int) -> str:
    """The longest prefix of whole characters that fits in `limit` UTF-16 units."""
    units, end = 0, 0
    for end, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:end]
    return text


async def enqueue_text(
    session: AsyncSession,
    *,
    key: str,
    chat_id: int,
    text: str,
    now: datetime,
    buttons: Keyboard | None = None,
    ticket_id: int | None = None,
    claim: bool = True,
    organisation_id: int = FIRST_ORGANISATION,
) -> list[outbox.Outgoing]:
    """Promise `text` as one outbox row per part (keys `key`, `key#2`, ...); buttons go on the last part."""
    parts = split_text(text)
    markup = stored(buttons)
    promised = []
    for number, part in enumerate(parts, start=1):
        row = await outbox.enqueue(
            session,
            key=key if number == 1 else f"{key}#{number}",
            chat_id=chat_id,
            text=part,
            now=now,
            reply_markup=markup if number == len(parts) else None,
            ticket_id=ticket_id,
            claim=claim,
            organisation_id=organisation_id,
        )
        if row is not None:
            promised.append(row)
    return promised
