"""Handlers for citizens writing in a private chat: parse, call one flow, deliver what it promised."""

import logging
from datetime import UTC

from telegram import Update
from telegram.ext import ContextTypes

from bot.deps import deps_of
from desk import outbox
from desk.tickets import flows

log = logging.getLogger(__name__)


def inbound_of(update: Update) -> flows.Inbound:
    """The transport-free view of a citizen's message."""
    message = update.effective_message
    user = update.effective_user
    return flows.Inbound(
        chat_id=message.chat_id,
        message_id=message.message_id,
        text=message.text or message.caption or "",
        received_at=message.date.astimezone(UTC),
        telegram_language=user.language_code if user else None,
    )


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A citizen wrote text: classify it, open a ticket or answer, and acknowledge at once."""
    deps = deps_of(context)
    classification = await deps.classifier.classify(update.effective_message.text)
    understanding = flows.Understanding(intent=classification.intent, language=classification.language)
    async with deps.store.unit_of_work() as session:
        answer = await flows.take_message(
            session=session, desk=deps.desk, inbound=inbound_of(update), understanding=understanding, now=deps.clock()
        )
    await _deliver(deps, answer)


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: welcome and the privacy notice."""
    await _answer_command(update, context, "utter_start")


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: how to use the desk."""
    await _answer_command(update, context, "utter_help")


async def on_unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anything but text (for now): say politely that we read text."""
    await _answer_command(update, context, "utter_unsupported_message")


async def _answer_command(update: Update, context: ContextTypes.DEFAULT_TYPE, response: str) -> None:
    deps = deps_of(context)
    async with deps.store.unit_of_work() as session:
        answer = await flows.answer_command(
            session=session, desk=deps.desk, inbound=inbound_of(update), response=response, now=deps.clock()
        )
    await _deliver(deps, answer)


async def _deliver(deps, answer: flows.Answer) -> None:
    # The rows are committed and leased to us: send now; if we die here, the dispatcher sends them later.
    if answer.outgoing:
        await outbox.deliver(deps.store, deps.transport, answer.outgoing, clock=deps.clock)
