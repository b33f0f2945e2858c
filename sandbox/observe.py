"""What tests look at: the messages in a chat, and waiting for the bot to act."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from .commands import CommandStore
from .world import World, snapshot

T = TypeVar("T")


class Observations:
    """Mixin for Sandbox: read-only views and event-driven waits."""

    world: World
    commands: CommandStore
    bot_user: dict[str, Any]
    calls: Counter[str]

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Every message in a chat, the user's and the bot's, in order."""
        return snapshot(self.world.chat_messages(chat_id))

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat, in order."""
        return [m for m in self.messages(chat_id) if m["from"]["id"] == self.bot_user["id"]]

    def message_meta(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """What the bot's send call asked for beyond the Message (parse_mode, raw text, any reply_markup)."""
        return snapshot(self.world.meta(chat_id, message_id))

    def command_menu(self, chat_id: int, user_id: int | None = None) -> list[dict[str, str]]:
        """The command menu this user would see in this chat."""
        chat = self.world.find_chat(chat_id)
        if chat is None:
            raise LookupError(f"no chat {chat_id}")
        return self.commands.menu(chat, self.world.users.get(user_id) if user_id else None)

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        """answerCallbackQuery calls so far: callback_query_id, chat_id, message_id, text, show_alert, url."""
        return snapshot(self.world.callback_answers)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates the bot has not confirmed (or the webhook not taken) yet."""
        return snapshot(self.world.pending)

    async def wait_for(
        self, predicate: Callable[[], T], *, timeout: float = 10.0, what: str = "condition"
    ) -> T:
        """Wait until predicate() is truthy, re-checking whenever a message or answer changes."""
        value = await self.world.messages_changed.wait_until(predicate, timeout)
        if not value:
            raise TimeoutError(f"waited {timeout}s for {what}; {self._situation()}")
        return value

    async def wait_for_bot_messages(
        self, chat_id: int, count: int = 1, *, after_message_id: int = 0, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until the bot has sent `count` messages in a chat after a message id; return those."""

        def arrived() -> list[dict[str, Any]]:
            return [
                m
                for m in self.world.chat_messages(chat_id)
                if m["message_id"] > after_message_id and m["from"]["id"] == self.bot_user["id"]
            ]

        got = await self.world.messages_changed.wait_until(lambda: len(arrived()) >= count, timeout)
        if not got:
            texts = [m.get("text", m.get("caption", "<media>")) for m in arrived()]
            raise TimeoutError(
                f"waited {timeout}s for {count} bot message(s) in chat {chat_id} after message "
                f"{after_message_id}; got {len(texts)}: {texts}; {self._situation()}"
            )
        return snapshot(arrived()[:count])

    def _situation(self) -> str:
        """A hint for timeout messages: is the bot polling, failing, stuck?"""
        calls = ", ".join(f"{name}={n}" for name, n in sorted(self.calls.items())) or "none"
        return f"pending updates: {len(self.world.pending)}; Bot API calls so far: {calls}"
