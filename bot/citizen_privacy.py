"""Handlers of /mydata (the citizen's data as a JSON file) and /forget (erase it, after a button)."""

import logging

from telegram import InputFile, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.citizen_support import answer_with, deliver, finish_press, inbound_of, press_of
from bot.deps import deps_of
from conversation.buttons import ConfirmForget, pattern
from conversation.citizen import forget, mydata

log = logging.getLogger(__name__)

FORGET_PATTERN = pattern(ConfirmForget)


async def on_mydata(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mydata: send the citizen a JSON file of everything held about them."""
    deps = deps_of(context)
    inbound = inbound_of(update)
    async with deps.store.unit_of_work() as session:
        export = await mydata.export(session=session, desk=deps.desk, inbound=inbound, now=deps.clock())
    if export.document is not None:
        # Sent directly, never through the outbox: a copy of their data must not sit in a table.
        try:
            await context.bot.send_document(
                inbound.chat_id, InputFile(export.document, filename=export.filename), caption=export.caption
            )
        except TelegramError as exc:
            log.warning("could not send a /mydata file: %s", type(exc).__name__)
    await deliver(deps, export.answer)


async def on_forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget: what would be erased, with buttons to confirm or keep."""
    await answer_with(update, context, forget.ask)


async def on_forget_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The /forget confirmation buttons."""
    deps = deps_of(context)
    press = press_of(update)
    async with deps.store.unit_of_work() as session:
        answer = await forget.press(session=session, desk=deps.desk, press=press, now=deps.clock())
    await finish_press(update, context, answer)
