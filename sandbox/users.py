"""Acting as Telegram users: register people and groups, write, send files, press buttons."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

from .errors import ApiError
from .files import TINY_PNG, FileStore, document, photo_sizes
from .formatting import format_text
from .markup import inline_buttons
from .world import World, snapshot

# What a forwarded message carries over from the original.
_FORWARDABLE = ("text", "entities", "photo", "document", "caption", "caption_entities")
# Supergroup ids look like -100xxxxxxxxxx; shorter negative ids are basic groups.
_SUPERGROUP_BELOW = -1_000_000_000_000


class UserActions:
    """Mixin for Sandbox: everything a test or the chat page does as a user."""

    world: World
    files: FileStore
    bot_user: dict[str, Any]
    _query_ids = itertools.count(1)

    def user(
        self,
        user_id: int,
        first_name: str = "Citizen",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """Register (or re-profile) a user; their private chat id is the user id."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        for field, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value:
                user[field] = value
        return snapshot(self.world.add_user(user))

    def group(self, chat_id: int, title: str, *, chat_type: str | None = None) -> dict[str, Any]:
        """Register a group chat (negative id), e.g. the staff chat."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind = chat_type or ("supergroup" if chat_id < _SUPERGROUP_BELOW else "group")
        return snapshot(self.world.add_chat({"id": chat_id, "type": kind, "title": title}))

    def _author(self, user_id: int) -> dict[str, Any]:
        if user_id not in self.world.users:
            self.user(user_id)
        return self.world.users[user_id]

    def _chat_id(self, user_id: int, chat_id: int | None) -> int:
        chat_id = user_id if chat_id is None else chat_id
        if self.world.find_chat(chat_id) is None:
            raise LookupError(f"chat {chat_id} is not registered; call sandbox.group({chat_id}, title) first")
        return chat_id

    def _post(self, user_id: int, chat_id: int | None, content: dict[str, Any]) -> dict[str, Any]:
        """Store a user's message and queue the update the bot will receive."""
        author = self._author(user_id)
        message = self.world.add_message(self._chat_id(user_id, chat_id), author, content)
        self.world.queue_update("message", message)
        return snapshot(message)

    async def send_text(
        self, user_id: int, text: str, *, chat_id: int | None = None, reply_to_message_id: int | None = None
    ) -> dict[str, Any]:
        """The user writes text (in their private chat unless chat_id); returns the Message."""
        text, entities = _plain(text)
        content: dict[str, Any] = {"text": text, **({"entities": entities} if entities else {})}
        if reply_to_message_id is not None:
            target = self.world.message(self._chat_id(user_id, chat_id), reply_to_message_id)
            if target is None:
                raise LookupError(f"no message {reply_to_message_id} to reply to")
            content["reply_to_message"] = {
                k: v for k, v in snapshot(target).items() if k != "reply_to_message"
            }
        return self._post(user_id, chat_id, content)

    async def edit_text(self, user_id: int, chat_id: int, message_id: int, text: str) -> dict[str, Any]:
        """The user edits one of their messages; the bot gets an edited_message update."""
        message = self.world.message(chat_id, message_id)
        if message is None or message["from"]["id"] != user_id:
            raise LookupError(f"user {user_id} has no message {message_id} in chat {chat_id}")
        text, entities = _plain(text)
        changes = {
            "text": text,
            "edit_date": message["date"] + 1,
            **({"entities": entities} if entities else {}),
        }
        edited = self.world.change_message(chat_id, message_id, changes, remove=("entities",))
        self.world.queue_update("edited_message", edited)
        return snapshot(edited)

    async def forward(
        self, user_id: int, from_chat_id: int, message_id: int, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """The user forwards a message they can see into a chat (their private chat unless chat_id)."""
        source = self.world.message(from_chat_id, message_id)
        if source is None:
            raise LookupError(f"no message {message_id} in chat {from_chat_id}")
        content = {field: snapshot(source[field]) for field in _FORWARDABLE if field in source}
        # Telegram keeps the original's entities, so a forwarded "/close ..." still starts with a bot_command.
        content["forward_origin"] = {"type": "user", "sender_user": snapshot(source["from"]), "date": source["date"]}
        return self._post(user_id, chat_id, content)

    async def send_photo(
        self,
        user_id: int,
        caption: str | None = None,
        *,
        chat_id: int | None = None,
        content: bytes | None = None,
    ) -> dict[str, Any]:
        """The user sends a photo (a tiny PNG unless content is given)."""
        stored = self.files.put(content or TINY_PNG, kind="photo")
        return self._post(user_id, chat_id, {"photo": photo_sizes(stored), **_caption(caption)})

    async def send_document(
        self,
        user_id: int,
        caption: str | None = None,
        *,
        chat_id: int | None = None,
        content: bytes = b"%PDF-1.4\n% sandbox document\n",
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
    ) -> dict[str, Any]:
        """The user sends a file."""
        stored = self.files.put(content, kind="document", file_name=file_name, mime_type=mime_type)
        return self._post(user_id, chat_id, {"document": document(stored), **_caption(caption)})

    async def send_sticker(
        self, user_id: int, emoji: str = "👍", *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """The user sends a sticker."""
        stored = self.files.put(emoji.encode(), kind="sticker", mime_type="image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._post(user_id, chat_id, {"sticker": sticker})

    async def send_location(
        self, user_id: int, latitude: float, longitude: float, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """The user shares a location."""
        return self._post(user_id, chat_id, {"location": {"latitude": latitude, "longitude": longitude}})

    async def press_button(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        """The user presses an inline button; returns the callback query id."""
        message = self.world.message(chat_id, message_id)
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        offered = [b["callback_data"] for b in inline_buttons(message) if "callback_data" in b]
        if data not in offered:
            raise ValueError(
                f"message {message_id} has no button with callback_data {data!r}; it has {offered}"
            )
        query_id = str(4_200_000_000_000_000_000 + next(self._query_ids))
        query = {
            "id": query_id,
            "from": self._author(user_id),
            "message": message,
            "chat_instance": _chat_instance(self.bot_user["id"], chat_id),
            "data": data,
        }
        self.world.callback_queries[query_id] = {
            "chat_id": chat_id,
            "message_id": message_id,
            "answered": False,
        }
        self.world.queue_update("callback_query", query)
        return query_id

    def redeliver(self, update_id: int) -> dict[str, Any]:
        """Queue a copy of an earlier update (same chat and message id) under a fresh update_id."""
        if update_id not in self.world.history:
            raise LookupError(f"no update {update_id}")
        return snapshot(self.world.requeue(update_id))


def _plain(text: str) -> tuple[str, list[dict[str, Any]]]:
    """A user's text as Telegram stores it (trimmed, with bot_command entities)."""
    try:
        return format_text(text, None, None, limit=4096, what="message")
    except ApiError as exc:
        raise ValueError(exc.description) from exc


def _caption(caption: str | None) -> dict[str, Any]:
    return {"caption": caption} if caption else {}


def _chat_instance(bot_id: int, chat_id: int) -> str:
    """A stable opaque id per chat, as Telegram gives in CallbackQuery.chat_instance."""
    digest = hashlib.sha256(f"{bot_id}:{chat_id}".encode()).digest()
    return str(int.from_bytes(digest[:8], "big") - 2**63)
