"""Steps the citizen end-to-end tests share: write, press, wait, and look into every table."""

import asyncio
from typing import Any

from sqlalchemy import select

from charterdesk.schema import metadata


def last_id(sandbox, chat_id: int) -> int:
    """The newest message id in a chat (0 if none)."""
    return max((m["message_id"] for m in sandbox.messages(chat_id)), default=0)


async def say(sandbox, user: int, text: str, *, expect: int = 1, chat_id: int | None = None, **options):
    """The user writes `text`; returns the bot's next `expect` messages in that chat."""
    chat = user if chat_id is None else chat_id
    sent = await sandbox.send_text(user, text, chat_id=chat_id, **options)
    return await sandbox.wait_for_bot_messages(chat, expect, after_message_id=sent["message_id"])


async def send(sandbox, user: int, action, *args, expect: int = 1, **kwargs):
    """The user does something else (a photo, a sticker...); returns the bot's next messages."""
    before = last_id(sandbox, user)
    await action(user, *args, **kwargs)
    return await sandbox.wait_for_bot_messages(user, expect, after_message_id=before)


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback data) of every inline button of a message."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def data_of(message: dict[str, Any], label_part: str) -> str:
    """The callback data of the button whose label contains `label_part`."""
    [data] = [data for label, data in buttons(message) if label_part in label]
    return data


async def press(sandbox, user: int, message: dict[str, Any], data: str, *, expect: int = 1):
    """The user presses a button; returns the bot's next `expect` messages."""
    before = last_id(sandbox, user)
    await sandbox.press_button(user, user, message["message_id"], data)
    if not expect:
        return []
    return await sandbox.wait_for_bot_messages(user, expect, after_message_id=before)


async def eventually(check, *, timeout: float = 10.0):
    """Wait until an async check returns something truthy (work after a delivery may still be committing)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.05)


async def rows_mentioning(store, needles: list[object]) -> list[tuple[str, dict]]:
    """Every row of every table with a value equal to, or containing, one of the needles."""
    found = []
    async with store.unit_of_work() as session:
        for table in metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings().all():
                for value in row.values():
                    if any(_mentions(value, needle) for needle in needles):
                        found.append((table.name, dict(row)))
                        break
    return found


def _mentions(value: object, needle: object) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return False
    if isinstance(needle, int) and isinstance(value, int):
        return value == needle
    if isinstance(value, bytes):
        return str(needle).encode() in value
    return str(needle) in str(value)


async def send_voice(sandbox, user: int) -> dict[str, Any]:
    """The user sends a voice note (the sandbox has no helper for it: its own message store is used)."""
    stored = sandbox.files.put(b"OggS\x00sandbox voice", kind="voice", mime_type="audio/ogg")
    voice = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "duration": 3,
             "mime_type": "audio/ogg"}
    return sandbox._post(user, None, {"voice": voice})
