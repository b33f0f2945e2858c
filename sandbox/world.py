"""The sandbox's Telegram state: users, chats, messages and the queue of pending updates."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from .pulse import Pulse

# Telegram's default when allowed_updates is empty: everything except these.
NOT_DEFAULT_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}


def snapshot(value: Any) -> Any:
    """A deep copy, so callers never share the sandbox's live dicts."""
    return copy.deepcopy(value)


def private_chat(user: dict[str, Any]) -> dict[str, Any]:
    """The Chat object of a user's private chat with the bot."""
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    for field in ("last_name", "username"):
        if user.get(field):
            chat[field] = user[field]
    return chat


class World:
    """All users, chats, messages and updates of one sandbox; mutated only on the event loop."""

    def __init__(self, bot_user: dict[str, Any]):
        self.bot_user = bot_user
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._meta: dict[tuple[int, int], dict[str, Any]] = {}
        self._changed_at: dict[tuple[int, int], int] = {}
        self._deleted: dict[int, list[tuple[int, int]]] = {}
        self._next_message_id: dict[int, int] = {}
        self.revision = 0
        self.pending: list[dict[str, Any]] = []
        self.history: dict[int, dict[str, Any]] = {}
        self._next_update_id = 1
        self.allowed_updates: set[str] | None = None
        self.webhook: dict[str, Any] | None = None
        self.poll_generation = 0
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self._answer_revisions: list[int] = []
        self.messages_changed = Pulse()
        self.updates_changed = Pulse()
        self.closed = False
        # Called with each new message; benchmarks use it to time update-to-reply without polling.
        self.message_listeners: list[Callable[[dict[str, Any]], None]] = []

    # --- users and chats ------------------------------------------------------------------

    def add_user(self, user: dict[str, Any]) -> dict[str, Any]:
        """Register or replace a user and their private chat."""
        self.users[user["id"]] = user
        self.chats[user["id"]] = private_chat(user)
        return user

    def add_chat(self, chat: dict[str, Any]) -> dict[str, Any]:
        """Register or replace a group chat."""
        self.chats[chat["id"]] = chat
        return chat

    def find_chat(self, chat_id: int | str | None) -> dict[str, Any] | None:
        """The chat with this id (or @username), or None."""
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@")
            return next((c for c in self.chats.values() if c.get("username") == name), None)
        return self.chats.get(chat_id)  # type: ignore[arg-type]

    # --- messages -------------------------------------------------------------------------

    def add_message(
        self,
        chat_id: int,
        sender: dict[str, Any],
        content: dict[str, Any],
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store a new message in a chat (message ids increase per chat) and return it."""
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        message = {
            "message_id": message_id,
            "from": sender,
            "chat": self.chats[chat_id],
            "date": int(time.time()),
            **content,
        }
        self._messages.setdefault(chat_id, {})[message_id] = message
        self._meta[(chat_id, message_id)] = meta or {}
        self._touch(chat_id, message_id)
        for listener in self.message_listeners:
            listener(message)
        return message

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The live message, or None."""
        return self._messages.get(chat_id, {}).get(message_id)

    def meta(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """What the sender asked for beyond the Message object (parse_mode, reply keyboards...)."""
        return self._meta.get((chat_id, message_id), {})

    def change_message(
        self, chat_id: int, message_id: int, changes: dict[str, Any], remove: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Edit a stored message in place and return it."""
        message = self._messages[chat_id][message_id]
        for field in remove:
            message.pop(field, None)
        message.update(changes)
        self._touch(chat_id, message_id)
        return message

    def delete_message(self, chat_id: int, message_id: int) -> bool:
        """Remove a message; False if it did not exist."""
        if self._messages.get(chat_id, {}).pop(message_id, None) is None:
            return False
        self._touch(chat_id, message_id)
        self._deleted.setdefault(chat_id, []).append((self.revision, message_id))
        return True

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The live messages of a chat in order."""
        return list(self._messages.get(chat_id, {}).values())

    def changes_since(self, chat_id: int, revision: int) -> tuple[list[dict[str, Any]], list[int]]:
        """Messages created or edited, and ids deleted, in a chat after a revision."""
        changed = [
            m for m in self.chat_messages(chat_id) if self._changed_at[(chat_id, m["message_id"])] > revision
        ]
        deleted = [mid for rev, mid in self._deleted.get(chat_id, []) if rev > revision]
        return changed, deleted

    def _touch(self, chat_id: int, message_id: int) -> None:
        self.revision += 1
        self._changed_at[(chat_id, message_id)] = self.revision
        self.messages_changed.fire()

    def add_callback_answer(self, answer: dict[str, Any]) -> None:
        """Record an answerCallbackQuery call and wake whoever waits on the chat."""
        self.revision += 1
        self.callback_answers.append(answer)
        self._answer_revisions.append(self.revision)
        self.messages_changed.fire()

    def answers_since(self, chat_id: int, revision: int) -> list[dict[str, Any]]:
        """Callback answers given in a chat after a revision."""
        return [
            answer
            for answer, rev in zip(self.callback_answers, self._answer_revisions)
            if rev > revision and answer["chat_id"] == chat_id
        ]

    # --- updates --------------------------------------------------------------------------

    def wants(self, kind: str) -> bool:
        """Whether the bot's allowed_updates setting lets this kind of update through."""
        if self.allowed_updates is None:
            return kind not in NOT_DEFAULT_UPDATES
        return kind in self.allowed_updates

    def queue_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create an update (a snapshot of payload) and queue it if the bot wants that kind."""
        update = {"update_id": self._next_update_id, kind: snapshot(payload)}
        self._next_update_id += 1
        self.history[update["update_id"]] = update
        if self.wants(kind):
            self.pending.append(update)
            self.updates_changed.fire()
        return update

    def requeue(self, update_id: int) -> dict[str, Any]:
        """Queue a copy of an earlier update under a fresh update_id."""
        original = self.history[update_id]
        kind = next(key for key in original if key != "update_id")
        return self.queue_update(kind, original[kind])

    def confirm(self, offset: int) -> None:
        """Forget pending updates below offset (a negative offset keeps only the last -offset)."""
        if offset < 0:
            del self.pending[:offset]
        elif offset:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def forget(self, update_id: int) -> None:
        """Drop one delivered update from the queue."""
        self.pending = [u for u in self.pending if u["update_id"] != update_id]

    def drop_pending(self) -> None:
        """Forget every pending update."""
        self.pending = []

    def close(self) -> None:
        """Wake every waiter for shutdown."""
        self.closed = True
        self.messages_changed.fire()
        self.updates_changed.fire()
