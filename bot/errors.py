"""What a citizen hears when taking their message failed on our side."""

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.deps import deps_of

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the fault and, for a private chat, ask the citizen to send again: nothing was stored."""
    log.error("could not handle an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None or update.effective_chat.type != "private":
        return
    deps = deps_of(context)
    user = update.effective_user
    hint = (user.language_code or "").split("-")[0] if user else ""
    language = hint if deps.desk.texts.speaks(hint) else deps.desk.charter.languages[0]
    try:
        # Sent directly, not through the outbox: the outbox may be exactly what is down.
        await context.bot.send_message(update.effective_chat.id, deps.desk.texts.render("utter_not_accepted", language))
    except TelegramError:
        log.warning("could not tell chat about the failure either")
