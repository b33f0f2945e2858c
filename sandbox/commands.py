"""The bot's command menus, stored per scope and language as setMyCommands leaves them."""

from __future__ import annotations

import re
from typing import Any

from .errors import bad_request

ScopeKey = tuple[str, "int | str | None", "int | None"]
_SCOPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


def scope_key(scope: dict[str, Any] | None) -> ScopeKey:
    """A hashable key for a BotCommandScope object (absent = default)."""
    scope = scope or {"type": "default"}
    kind = scope.get("type")
    if kind not in _SCOPES:
        raise bad_request("can't parse BotCommandScope: unsupported type")
    chat_id, user_id = scope.get("chat_id"), scope.get("user_id")
    if kind.startswith("chat") and chat_id is None:
        raise bad_request("chat_id is empty")
    if kind == "chat_member" and user_id is None:
        raise bad_request("user_id is empty")
    chat = int(chat_id) if isinstance(chat_id, int) or str(chat_id).lstrip("-").isdigit() else chat_id
    return kind, chat, int(user_id) if user_id is not None else None


def validate(commands: Any) -> list[dict[str, str]]:
    """The commands as Telegram stores them, or its 400 for a bad one."""
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be a list of at most 100 BotCommand")
    clean = []
    for command in commands:
        name, description = str(command.get("command", "")), str(command.get("description", ""))
        if not _COMMAND.match(name.removeprefix("/")):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": name.removeprefix("/"), "description": description})
    return clean


class CommandStore:
    """Command lists keyed by (scope, language_code)."""

    def __init__(self) -> None:
        self._lists: dict[tuple[ScopeKey, str], list[dict[str, str]]] = {}

    def set(self, scope: dict[str, Any] | None, language_code: str, commands: list[dict[str, str]]) -> None:
        """Replace the list for a scope and language; an empty list deletes it."""
        key = (scope_key(scope), language_code or "")
        if commands:
            self._lists[key] = commands
        else:
            self._lists.pop(key, None)

    def get(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, str]]:
        """The list stored for exactly this scope and language (what getMyCommands answers)."""
        return list(self._lists.get((scope_key(scope), language_code or ""), []))

    def menu(self, chat: dict[str, Any], user: dict[str, Any] | None) -> list[dict[str, str]]:
        """The menu a user sees in a chat, resolved in Telegram's scope order (user not an admin)."""
        language = (user or {}).get("language_code") or ""
        chat_id = chat["id"]
        if chat["type"] == "private":
            scopes = [("chat", chat_id, None), ("all_private_chats", None, None)]
        else:
            scopes = [
                ("chat_member", chat_id, (user or {}).get("id")),
                ("chat", chat_id, None),
                ("all_group_chats", None, None),
            ]
        scopes.append(("default", None, None))
        for scope in scopes:
            for lang in [language, ""] if language else [""]:
                if (scope, lang) in self._lists:
                    return list(self._lists[(scope, lang)])
        return []
