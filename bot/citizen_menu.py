"""The citizens' command menu in each language (setMyCommands with language_code), from domain.yml."""

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError

from desk.tickets.citizens import speakable
from conversation.citizen.flows import Desk

log = logging.getLogger(__name__)

COMMANDS = ("start", "help", "status", "anonymous", "language", "cancel", "mydata", "forget")


def commands_in(desk: Desk, language: str) -> list[BotCommand]:
    """The citizen commands with their descriptions in one language."""
    names = [c for c in COMMANDS if c != "anonymous" or desk.charter.anonymous_complaints]
    return [BotCommand(name, desk.texts.render(f"utter_menu_{name}", language)) for name in names]


async def set_menus(bot: Bot, desk: Desk) -> bool:
    """The menu for private chats in every language the desk speaks, and the default language's for others."""
    scope = BotCommandScopeAllPrivateChats()
    try:
        for language in speakable(desk):
            await bot.set_my_commands(commands_in(desk, language), scope=scope, language_code=language)
        await bot.set_my_commands(commands_in(desk, speakable(desk)[0]), scope=scope)
    except TelegramError:
        log.warning("could not set the command menus; will try again", exc_info=True)
        return False
    return True


async def set_chat_menu(bot: Bot, desk: Desk, chat_id: int, language: str) -> None:
    """One chat's menu in the language its citizen chose (whatever their app's language)."""
    try:
        await bot.set_my_commands(commands_in(desk, language), scope=BotCommandScopeChat(chat_id))
    except TelegramError:
        log.warning("could not set a chat's command menu", exc_info=True)
