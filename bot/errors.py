"""What anyone hears when handling their update failed on our side, and the one log line about it."""

import logging
import traceback
from pathlib import Path

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.deps import deps_of

log = logging.getLogger(__name__)
# Shown on a pressed button at most this long.
TOAST_LIMIT = 200


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log one line (the update id, the error's type and where it was raised) and answer whoever sent it:
    a pressed button on the button, a citizen's message with "send it again" (nothing was stored), a
    command (staff included) with "nothing was changed"."""
    log.error("update %s failed: %s", getattr(update, "update_id", "?"), where(context.error))
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    deps = deps_of(context)
    chat = update.effective_chat
    if chat.type != "private" and chat.id != deps.desk.charter.staff_chat_id:
        return  # another group: nothing is taken there, and nobody there asked us anything
    user = update.effective_user
    hint = (user.language_code or "").split("-")[0] if user else ""
    language = hint if deps.desk.texts.speaks(hint) else deps.desk.charter.languages[0]
    message = update.effective_message
    typed_command = message is not None and (message.text or "").startswith("/")
    command = update.callback_query is not None or chat.type != "private" or typed_command
    text = deps.desk.texts.render("utter_fault" if command else "utter_not_accepted", language)
    try:
        # Sent directly, not through the outbox: the outbox may be exactly what is down.
        if update.callback_query is not None:
            await update.callback_query.answer(text[:TOAST_LIMIT], show_alert=True)
        else:
            await context.bot.send_message(chat.id, text)
    except TelegramError:
        log.warning("update %s: could not tell the chat about the failure either", getattr(update, "update_id", "?"))


def where(error: BaseException | None) -> str:
    """'OverflowError at staff/turn.py:97': the type and our innermost frame (folder/file), never the
    message (an exception's text can quote a citizen's words or a query's parameters)."""
    if error is None:
        return "unknown error"
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "site-packages" not in f.filename] or frames
    if not ours:
        return type(error).__name__
    last = ours[-1]
    return f"{type(error).__name__} at {Path(last.filename).parent.name}/{Path(last.filename).name}:{last.lineno}"
