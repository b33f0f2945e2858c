"""Satisfaction survey handlers: a score button and the "add a comment" button (the comment itself is
taken by bot/citizen.py's on_message)."""

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import keyboards
from bot.citizen_support import citizen_deps
from bot.deps import deps_of
from conversation.buttons import AddComment, Rate, decode, pattern
from conversation.citizen import surveys

log = logging.getLogger(__name__)

RATE_PATTERN = pattern(Rate)
COMMENT_PATTERN = pattern(AddComment)
# Telegram shows at most this much of a note on a pressed button.
NOTICE_LIMIT = 200


async def on_rate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A score button: record the first rating of the ticket, show the score in the question, thank."""
    query = update.callback_query
    pressed = decode(query.data)
    # A malformed button reaches record_rating as ticket 0, which it answers as no longer valid.
    ticket_id, score = (pressed.ticket_id, pressed.score) if isinstance(pressed, Rate) else (0, 0)
    deps = deps_of(context)
    async with deps.store.unit_of_work() as session:
        press = await surveys.record_rating(
            session=session,
            desk=deps.desk,
            ticket_id=ticket_id,
            score=score,
            chat_id=_chat_id(update),
            now=deps.clock(),
            sealer=citizen_deps(context).sealer,  # an anonymous ticket is rated from its sealed channel
        )
    await _show(update, press)


async def on_comment_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "Add a comment": the chat's next text message (for a few minutes) becomes the rating's comment."""
    pressed = decode(update.callback_query.data)
    deps = deps_of(context)
    async with deps.store.unit_of_work() as session:
        press = await surveys.open_comment(
            session=session,
            desk=deps.desk,
            ticket_id=pressed.ticket_id if isinstance(pressed, AddComment) else 0,
            chat_id=_chat_id(update),
            now=deps.clock(),
        )
    await _show(update, press)


async def _show(update: Update, press: surveys.Press) -> None:
    query = update.callback_query
    try:
        await query.answer(press.notice[:NOTICE_LIMIT], show_alert=press.status == "invalid")
    except TelegramError:
        log.warning("could not answer a survey button press", exc_info=True)
    if press.message is None or query.message is None:
        return
    try:
        await query.edit_message_text(press.message, reply_markup=keyboards.render(press.buttons))
    except TelegramError:
        # The rating is stored either way; an old or already edited question may not change.
        log.warning("could not edit a survey question", exc_info=True)


def _chat_id(update: Update) -> int:
    # A private chat's id is the user's id, also when the message with the buttons is too old to see.
    return update.effective_chat.id if update.effective_chat else update.callback_query.from_user.id
