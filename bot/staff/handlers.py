"""Staff handlers: turn an update into a console request, run it, deliver what it promised."""

import logging
import re

from telegram import InputFile, Message, Update, User
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.deps import BotDeps, deps_of
from bot.staff.roster import ROSTER_KEY
from conversation.buttons import CardAction, ChangeCategory, DraftAction, decode, pattern
from conversation.staff import console
from desk.staff.access import Actor
from desk.tickets.models import CATEGORY_LETTERS
from conversation.staff.turn import Request

log = logging.getLogger(__name__)

COMMANDS = console.TYPED_COMMANDS
# Telegram shows at most this much of an answer to a pressed button.
TOAST_LIMIT = 200
_COMMAND = re.compile(r"^/(\w+)(?:@\w+)?(.*)$", re.DOTALL)
BUTTON_PATTERN = pattern(CardAction, DraftAction, ChangeCategory)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/queue, /show, /reply ... in the staff chat or a private chat."""
    message = update.effective_message
    found = _COMMAND.match(message.text or "")
    if found is None:
        return
    replied = message.reply_to_message
    request = Request(
        command=found.group(1).lower(),
        chat_id=message.chat_id,
        key=answer_key(message, deps_of(context)),
        text=found.group(2).strip(),
        message_id=message.message_id,
        replied_user=user_actor(replied.from_user) if replied and replied.from_user else None,
        in_group=message.chat.type != "private",
    )
    await _run(deps_of(context), context, message_actor(message), request)


async def on_card_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply to one of the bot's messages in the staff chat: a draft answer to that ticket."""
    message = update.effective_message
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return  # staff talking among themselves
    request = Request(
        command="draft",
        chat_id=message.chat_id,
        key=answer_key(message, deps_of(context)),
        text=message.text or "",
        message_id=message.message_id,
        replied_text=replied.text or "",
        in_group=True,
    )
    await _run(deps_of(context), context, message_actor(message), request)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button under a card or a draft: take, reply, interim, close, send, cancel."""
    query = update.callback_query
    pressed = decode(query.data)
    if isinstance(pressed, CardAction):
        command, target = pressed.action, pressed.ticket_id
    elif isinstance(pressed, DraftAction):
        command, target = pressed.action, pressed.draft_id
    elif isinstance(pressed, ChangeCategory):
        command, target = "category", f"{pressed.ticket_id} {CATEGORY_LETTERS[pressed.category]}"
    else:
        await query.answer()
        return
    chat_id = query.message.chat.id if query.message else query.from_user.id
    request = Request(
        command=command, chat_id=chat_id, key=f"staff-cb:{query.id}", text=str(target), button=True
    )
    outcome = await _run(deps_of(context), context, user_actor(query.from_user), request, deliver=False)
    try:
        await query.answer(_toast(outcome.toast))
        if outcome.settled and query.message is not None:
            await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError:
        log.warning("could not answer a staff button press", exc_info=True)
    await _deliver(deps_of(context), outcome)


def answer_key(message: Message, deps: BotDeps) -> str:
    """The outbox key of the answer to a staff command message: one per message, and naming the chat
    only by its keyed hash (someone who is not staff may write from their own private chat)."""
    return f"staff:{deps.store.keyring.chat_hash(message.chat_id)}:{message.message_id}"


def message_actor(message: Message) -> Actor:
    """Who sent a message, including whether they hid behind a group or channel."""
    actor = user_actor(message.from_user) if message.from_user else Actor(user_id=0, sender_chat=True)
    if message.sender_chat is not None:
        return Actor(actor.user_id, actor.name, actor.username, actor.language_code, actor.is_bot, sender_chat=True)
    return actor


def user_actor(user: User) -> Actor:
    """A Telegram user as the console sees them."""
    return Actor(
        user_id=user.id, name=user.full_name, username=user.username, language_code=user.language_code,
        is_bot=user.is_bot,
    )


async def _run(
    deps: BotDeps, context: ContextTypes.DEFAULT_TYPE, actor: Actor, request: Request, *, deliver: bool = True
) -> console.Outcome:
    async with deps.store.unit_of_work() as session:
        outcome = await console.handle(session=session, desk=deps.desk, actor=actor, request=request, now=deps.clock())
    if outcome.roster_changed:
        await context.bot_data[ROSTER_KEY].reload(
            deps.store, deps.clock(), organisation_id=deps.desk.organisation_id
        )
    if deliver:
        await _deliver(deps, outcome)
        await _send_files(context, request.chat_id, outcome)
    return outcome


async def _deliver(deps: BotDeps, outcome: console.Outcome) -> None:
    # Committed and leased to us: send now; if we die here, the dispatcher sends them later.
    if outcome.outgoing:
        await deps.deliverer.deliver(outcome.outgoing)


async def _send_files(context: ContextTypes.DEFAULT_TYPE, chat_id: int, outcome: console.Outcome) -> None:
    # Made on request and cheap to make again: a file that fails is logged, not kept for a retry.
    for made in outcome.files:
        try:
            if made.kind == "photo":
                await context.bot.send_photo(chat_id, InputFile(made.data, filename=made.filename))
            else:
                await context.bot.send_document(chat_id, InputFile(made.data, filename=made.filename))
        except TelegramError:
            log.warning("could not send %s to a staff chat", made.kind, exc_info=True)


def _toast(text: str | None) -> str | None:
    if text is None or len(text) <= TOAST_LIMIT:
        return text
    return text[: TOAST_LIMIT - 1] + "…"
