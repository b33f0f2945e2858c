"""Bot API methods about the bot itself: getMe, command menus, close/logOut."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .commands import validate
from .params import Params

if TYPE_CHECKING:
    from .server import Sandbox


async def get_me(sb: Sandbox, p: Params) -> dict[str, Any]:
    """getMe."""
    return sb.bot_profile


async def set_my_commands(sb: Sandbox, p: Params) -> bool:
    """setMyCommands (per scope and language_code)."""
    sb.commands.set(p.get("scope"), p.get("language_code", ""), validate(p.require("commands")))
    return True


async def get_my_commands(sb: Sandbox, p: Params) -> list[dict[str, str]]:
    """getMyCommands (exactly the list of that scope and language, no fallback)."""
    return sb.commands.get(p.get("scope"), p.get("language_code", ""))


async def delete_my_commands(sb: Sandbox, p: Params) -> bool:
    """deleteMyCommands."""
    sb.commands.set(p.get("scope"), p.get("language_code", ""), [])
    return True


async def answer_true(sb: Sandbox, p: Params) -> bool:
    """close / logOut: nothing to do locally."""
    return True


METHODS = {
    "getMe": get_me,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "close": answer_true,
    "logOut": answer_true,
}
