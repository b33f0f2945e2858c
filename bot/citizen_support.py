"""What every citizen handler shares: reading an update, the citizen-side dependencies, delivering answers."""

import logging
from dataclasses import dataclass, field
from datetime import UTC

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import CallbackContext

from bot.deps import BotDeps, deps_of
from desk.anonymous import traces
from infra.group_commit import GroupCommit
from infra.sealing import Sealer
from bot.throttle import FloodGuard
from conversation.citizen import flows

log = logging.getLogger(__name__)

CITIZEN_KEY = "charterdesk.citizen"
# Telegram shows at most this much of a note on a pressed button.
TOAST_LIMIT = 200


@dataclass
class CitizenDeps:
    """The data key (anonymous path), intake's group commit, the flood guard, and whether the menus are set."""

    sealer: Sealer
    commits: GroupCommit
    flood: FloodGuard = field(default_factory=FloodGuard)
    menus_set: bool = False


def citizen_deps(context: CallbackContext) -> CitizenDeps:
    """The citizen-side dependencies of the running application."""
    return context.application.bot_data[CITIZEN_KEY]


def attachment_of(message: Message) -> flows.Attachment | None:
    """A photo (largest size), document or voice note as a Telegram file reference."""
    if message.photo:
        return flows.Attachment(message.photo[-1].file_id, "photo")
    if message.document:
        return flows.Attachment(message.document.file_id, "document")
    if message.voice:
        return flows.Attachment(message.voice.file_id, "voice")
    return None


def press_of(update: Update) -> flows.Press:
    """The transport-free view of a citizen's button press."""
    query = update.callback_query
    return flows.Press(
        chat_id=query.message.chat.id if query.message else query.from_user.id,
        query_id=query.id,
        data=query.data or "",
        message_id=query.message.message_id if query.message else None,
        telegram_language=query.from_user.language_code,
    )


def inbound_of(update: Update) -> flows.Inbound:
    """The transport-free view of a citizen's message."""
    message = update.effective_message
    user = update.effective_user
    replied = message.reply_to_message
    return flows.Inbound(
        chat_id=message.chat_id,
        message_id=message.message_id,
        text=message.text or message.caption or "",
        received_at=message.date.astimezone(UTC),
        telegram_language=user.language_code if user else None,
        reply_to_message_id=replied.message_id if replied else None,
        attachment=attachment_of(message),
    )


async def answer_with(update: Update, context: CallbackContext, flow) -> None:
    """Run `flow(session, desk, inbound, now)` for this message in one transaction, then deliver its answer."""
    deps = deps_of(context)
    async with deps.store.unit_of_work() as session:
        answer = await flow(session=session, desk=deps.desk, inbound=inbound_of(update), now=deps.clock())
    await deliver(deps, answer)


async def deliver(deps: BotDeps, answer: flows.Answer, *, reachable_chat: int | None = None) -> None:
    """Send the rows leased to us through the one deliverer (each chat in order; what does not go now
    is left to the dispatcher). Anonymous-path rows are deleted once done. `reachable_chat`: the chat
    whose citizen intake has just settled (their unreachable mark is cleared already)."""
    await deps.deliverer.deliver(answer.outgoing, reachable_chat=reachable_chat)
    if answer.ephemeral and answer.outgoing:
        async with deps.store.unit_of_work() as session:
            await traces.scrub(session=session, outbox_ids=[m.id for m in answer.outgoing])


async def finish_press(update: Update, context: CallbackContext, answer: flows.Answer) -> None:
    """Answer the button press (with a note, if any), remove settled buttons, then deliver."""
    query = update.callback_query
    try:
        await query.answer((answer.toast or "")[:TOAST_LIMIT] or None)
        if answer.settled and query.message is not None:
            await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError:
        log.warning("could not answer a citizen's button press", exc_info=True)
    await deliver(deps_of(context), answer)
