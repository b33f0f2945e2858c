"""Handlers for citizens writing in a private chat: parse, call one flow, deliver what it promised."""

import logging
from collections.abc import Sequence
from functools import partial
from dataclasses import dataclass, replace
from datetime import UTC

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import citizen_anonymous
from bot.citizen_menu import set_chat_menu, set_menus
from bot.citizen_support import answer_with, citizen_deps, deliver, finish_press, inbound_of, press_of
from bot.deps import deps_of
from conversation.buttons import (
    AddToTicket, ChooseLanguage, MissingAnswer, NewMatter, NotARequest, OtherTime, PickSlot, SendAnyway, pattern,
)
from conversation.citizen import anonymous, flows, understanding, written
from desk import chat_state, outbox
from desk.tickets import service

log = logging.getLogger(__name__)


async def on_any_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Before any handler: set the command menus once, and hold back a chat that floods us."""
    extra = citizen_deps(context)
    deps = deps_of(context)
    if not extra.menus_set:
        extra.menus_set = await set_menus(context.bot, deps.desk)
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    verdict = extra.flood.check(chat.id, deps.clock())
    if verdict == "ok":
        return
    if verdict == "warn":
        user = update.effective_user
        async with deps.store.unit_of_work() as session:
            answer = await flows.flood_notice(
                session=session, desk=deps.desk, chat_id=chat.id, hint=user.language_code if user else None,
                now=deps.clock(),
            )
        await deliver(deps, answer)
    if update.callback_query is not None:
        await update.callback_query.answer()
    raise ApplicationHandlerStop


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text, a photo, a document or a voice note: a survey comment or an anonymous complaint we wait for,
    or intake. One transaction: the chat's state is read once (desk/chat_state.py), then acted on."""
    deps = deps_of(context)
    inbound = inbound_of(update)
    # Understood before the transaction: classifying is CPU work that must not hold the database meanwhile
    # (wasted only on the rare survey comment or anonymous complaint).
    understanding = await understand(deps, inbound)
    extra = citizen_deps(context)
    arrived = Arrived(
        arrival=chat_state.Arrival(inbound.chat_id, inbound.received_at,
                                   anonymous.chat_key(extra.sealer, inbound.chat_id)),
        message_id=inbound.message_id,
        is_text=update.effective_message.text is not None,
    )

    async def take(session, read: Read) -> written.Taken:
        return await written.take(
            session=session, desk=deps.desk, inbound=inbound, understanding=understanding, state=read.state,
            now=deps.clock(), is_text=arrived.is_text, recorded=read.recorded,
        )

    # Messages of other chats arriving meanwhile share the transaction (infra/group_commit.py): the
    # reading of their chats and the recording of their messages (read_and_record), and the writing of
    # the replies and cards they promised (write_promised), each once per transaction.
    taken = await extra.commits.run(
        take, step=partial(read_and_record, organisation_id=deps.desk.organisation_id), item=arrived,
        finish=write_promised,
    )
    if taken.answer is None:
        # Nothing was written about this chat: the anonymous path records the complaint under a keyed hash.
        await citizen_anonymous.take_waiting(update, context)
        return
    # Intake cleared the citizen's unreachable mark (if any) with the message: the send need not.
    await deliver(deps, taken.answer, reachable_chat=inbound.chat_id if taken.by_intake else None)


@dataclass(frozen=True)
class Arrived:
    """A citizen's message as the group commit's batch step sees it."""

    arrival: chat_state.Arrival
    message_id: int
    is_text: bool

    def is_intake(self, state: chat_state.ChatState) -> bool:
        """Neither a survey comment we may be waiting for nor an anonymous complaint: plain intake."""
        return written.surely_intake(state, is_text=self.is_text)


@dataclass(frozen=True)
class Read:
    """What read_and_record found for one message."""

    state: chat_state.ChatState
    # True: recorded now; False: seen before (a redelivered update); None: not recorded here (a survey
    # comment records itself, an anonymous complaint must leave no trace of the chat).
    recorded: bool | None


async def read_and_record(session, messages: Sequence[Arrived], *, organisation_id: int) -> list[Read]:
    """The chats of a group's messages in one read, then the plain intake messages recorded in one INSERT."""
    outbox.defer_writes(session)  # the group's promised messages go in one INSERT (write_promised)
    states = await chat_state.read_many(
        session, [message.arrival for message in messages], organisation_id=organisation_id
    )
    plain = [n for n, (message, state) in enumerate(zip(messages, states, strict=True)) if message.is_intake(state)]
    new = await service.record_inbounds(session=session, organisation_id=organisation_id, messages=[
        (messages[n].arrival.chat_id, messages[n].message_id, messages[n].arrival.at) for n in plain
    ])
    recorded = dict(zip(plain, new, strict=True))
    return [Read(state, recorded.get(n)) for n, state in enumerate(states)]


async def write_promised(session, results: Sequence[written.Taken]) -> list[written.Taken]:
    """The outbox rows the group's messages promised, in one INSERT; their answers with the rows' ids."""
    ids = await outbox.write_deferred(session)
    return [
        replace(taken, answer=replace(taken.answer, outgoing=outbox.resolved(taken.answer.outgoing, ids)))
        if taken.answer else taken
        for taken in results
    ]


async def understand(deps, inbound: flows.Inbound) -> flows.Understanding:
    """Intent, language and certainty from the classifier; a day and time from the date reader."""
    return await understanding.understand(deps.classifier, deps.desk, inbound)


async def on_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message: the ticket it made takes the new text, keeping the old in its history."""
    deps = deps_of(context)
    message = update.effective_message
    edited_at = (message.edit_date or message.date).astimezone(UTC)
    async with deps.store.unit_of_work() as session:
        answer = await flows.take_edit(
            session=session, desk=deps.desk, inbound=inbound_of(update), edited_at=edited_at, now=deps.clock()
        )
    await deliver(deps, answer)


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: the privacy notice and the language buttons (a deep-link payload is ignored)."""
    await answer_with(update, context, flows.start)


async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/language: the language buttons."""
    await answer_with(update, context, flows.language_prompt)


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: how to use the desk."""
    await _answer_command(update, context, "utter_help")


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command we do not have: say which ones we do."""
    command = (update.effective_message.text or "").split()[0][:40]
    await _answer_command(update, context, "utter_unknown_command", command=command)


async def on_unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A sticker, location, contact, video...: say politely what we can take."""
    await _answer_command(update, context, "utter_unsupported_message")


async def on_status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/status, /status NUMBER, or /status CODE (an anonymous receipt)."""
    argument = " ".join(context.args or [])
    if await citizen_anonymous.status_if_code(update, context, argument):
        return
    deps = deps_of(context)
    async with deps.store.unit_of_work() as session:
        answer = await flows.show_status(
            session=session, desk=deps.desk, inbound=inbound_of(update), argument=argument, now=deps.clock()
        )
    await deliver(deps, answer)


async def on_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel: stop a pending anonymous complaint or the appointment questions."""
    if await citizen_anonymous.cancel_if_waiting(update, context):
        return
    await answer_with(update, context, flows.cancel)


BUTTON_PATTERN = pattern(
    ChooseLanguage, NewMatter, AddToTicket, MissingAnswer, NotARequest, SendAnyway, PickSlot, OtherTime
)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A citizen pressed a language, category, follow-up, "not a request", "send anyway" or appointment button."""
    deps = deps_of(context)
    press = press_of(update)
    async with deps.store.unit_of_work() as session:
        answer = await flows.press(session=session, desk=deps.desk, press=press, now=deps.clock())
    if answer.menu_language:
        await set_chat_menu(context.bot, deps.desk, press.chat_id, answer.menu_language)
    await finish_press(update, context, answer)


async def on_group_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A citizen command in a group: requests are taken in private chats only, never from a group."""
    deps = deps_of(context)
    message = update.effective_message
    user = update.effective_user
    async with deps.store.unit_of_work() as session:
        answer = await flows.group_note(
            session=session, desk=deps.desk, chat_id=message.chat_id, message_id=message.message_id,
            hint=user.language_code if user else None, bot_username=context.bot.username, now=deps.clock(),
        )
    await deliver(deps, answer)


async def _answer_command(update: Update, context: ContextTypes.DEFAULT_TYPE, response: str, **params) -> None:
    deps = deps_of(context)
    async with deps.store.unit_of_work() as session:
        answer = await flows.answer_command(
            session=session, desk=deps.desk, inbound=inbound_of(update), response=response, now=deps.clock(),
            **params,
        )
    await deliver(deps, answer)
