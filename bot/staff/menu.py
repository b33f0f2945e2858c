"""The staff chat's command menu, in each language the desk speaks, from domain.yml."""

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from conversation.staff.console import TYPED_COMMANDS
from conversation.citizen.flows import Desk

log = logging.getLogger(__name__)


def staff_commands(desk: Desk, language: str) -> list[BotCommand]:
    """Every staff command with its description in one language."""
    return [BotCommand(name, desk.texts.render(f"utter_staff_menu_{name}", language)) for name in TYPED_COMMANDS]


async def set_staff_menu(bot: Bot, desk: Desk) -> bool:
    """The staff chat shows the staff commands (in the reader's language); False if Telegram said no."""
    scope = BotCommandScopeChat(desk.charter.staff_chat_id)
    try:
        for language in desk.texts.languages:
            await bot.set_my_commands(staff_commands(desk, language), scope=scope, language_code=language)
        await bot.set_my_commands(staff_commands(desk, desk.charter.languages[0]), scope=scope)
    except TelegramError:
        log.warning("could not set the staff chat's command menu; will try again", exc_info=True)
        return False
    return True
