"""Our buttons in Telegram: rendered as an inline keyboard; a press of data we never wrote, answered."""

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from conversation.buttons import Keyboard, stored

log = logging.getLogger(__name__)


def markup(buttons: list | dict | None) -> InlineKeyboardMarkup | None:
    """The inline keyboard for buttons as the outbox keeps them (rows of {"text", "data"}).

    A dict is a row queued before buttons were kept neutral: already the Bot API's object."""
    if not buttons:
        return None
    if isinstance(buttons, dict):
        return InlineKeyboardMarkup.de_json(buttons)
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(each["text"], callback_data=each["data"]) for each in row] for row in buttons
    ])


def render(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    """The inline keyboard for buttons the conversation handed over directly (not through the outbox)."""
    return markup(stored(keyboard))


async def on_unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press no handler took (data we never wrote): answer it, or the citizen's button spins for a while."""
    try:
        await update.callback_query.answer()
    except TelegramError:
        log.warning("could not answer a press of an unknown button", exc_info=True)
