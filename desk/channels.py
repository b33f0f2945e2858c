"""Which channel a chat id belongs to: Telegram's chats, or the web chat's visitors.

Every row that names a chat (citizens, inbound messages, the outbox) keeps one integer chat id, so a web
visitor gets one too, from a range Telegram never hands out: the Bot API's ids have at most 52
significant bits, and web visitors are numbered from 2**60 (still inside a signed 64-bit column).
"""

from enum import StrEnum

WEB_CHAT_BASE = 2**60


class Channel(StrEnum):
    """Where a citizen wrote from."""

    TELEGRAM = "telegram"
    WEB = "web"


def web_chat_id(visitor_id: int) -> int:
    """The chat id of web visitor number `visitor_id`."""
    return WEB_CHAT_BASE + visitor_id


def channel_of(chat_id: int) -> Channel:
    """The channel a chat id belongs to."""
    return Channel.WEB if chat_id >= WEB_CHAT_BASE else Channel.TELEGRAM
