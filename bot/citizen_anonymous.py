"""Handlers of the anonymous path: /anonymous, the complaint, /status CODE, the sealed channel buttons.

Nothing here logs a chat id next to anything about the complaint.
"""

from telegram import Update
from telegram.ext import ContextTypes

from bot.citizen_support import citizen_deps, deliver, finish_press, inbound_of
from bot.deps import deps_of
from bot.keyboards import on_unknown_button
from conversation.buttons import DeclineSeal, SealChannel, decode, pattern
from conversation import arguments
from desk.anonymous import receipts
from conversation.citizen import anonymous
from desk.tickets import citizens
from conversation.citizen import flows


async def on_anonymous(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/anonymous: explain and wait for the complaint; /anonymous TEXT: take it at once."""
    inbound = inbound_of(update)
    text = " ".join(context.args or [])
    deps, sealer = deps_of(context), citizen_deps(context).sealer
    language = await _language(update, context, inbound, text)
    async with deps.store.unit_of_work() as session:
        common = {"session": session, "desk": deps.desk, "sealer": sealer, "chat_id": inbound.chat_id,
                      "message_id": inbound.message_id, "received_at": inbound.received_at, "language": language,
                      "now": deps.clock()}
        if text.strip():
            answer = await anonymous.take_complaint(text=text, **common)
        else:
            answer = await anonymous.explain(**common)
    await deliver(deps, answer)


async def take_waiting(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """This chat said /anonymous (the caller has read so): its message is the anonymous complaint."""
    deps, sealer = deps_of(context), citizen_deps(context).sealer
    inbound = inbound_of(update)
    language = await _language(update, context, inbound, inbound.text)
    async with deps.store.unit_of_work() as session:
        common = {"session": session, "desk": deps.desk, "sealer": sealer, "chat_id": inbound.chat_id,
                      "message_id": inbound.message_id, "received_at": inbound.received_at, "language": language,
                      "now": deps.clock()}
        if inbound.attachment is not None:
            answer = await anonymous.refuse_file(**common)
        else:
            answer = await anonymous.take_complaint(text=inbound.text, **common)
    await deliver(deps, answer)


async def status_if_code(update: Update, context: ContextTypes.DEFAULT_TYPE, argument: str) -> bool:
    """/status with digits: a receipt code (True, handled here); anything else is not ours (False)."""
    if arguments.status_argument(argument).kind not in (arguments.StatusKind.CODE, arguments.StatusKind.BAD_CODE):
        return False  # nothing, a ticket number ('1001' too), or words: conversation.citizen.flows.show_status
    deps, sealer = deps_of(context), citizen_deps(context).sealer
    inbound = inbound_of(update)
    language = await _language(update, context, inbound, "")
    async with deps.store.unit_of_work() as session:
        if receipts.parse_code(argument) is None:
            answer = await flows.answer_command(session=session, desk=deps.desk, inbound=inbound,
                                                response="utter_code_format", now=deps.clock())
        else:
            answer = await anonymous.status_by_code(
                session=session, desk=deps.desk, sealer=sealer, chat_id=inbound.chat_id,
                message_id=inbound.message_id, code_text=argument, received_at=inbound.received_at,
                language=language, now=deps.clock(),
            )
    await deliver(deps, answer)
    return True


async def cancel_if_waiting(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """/cancel while an anonymous complaint is pending: forget it (True); otherwise False."""
    deps, sealer = deps_of(context), citizen_deps(context).sealer
    inbound = inbound_of(update)
    language = await _language(update, context, inbound, "")
    async with deps.store.unit_of_work() as session:
        answer = await anonymous.cancel(
            session=session, desk=deps.desk, sealer=sealer, chat_id=inbound.chat_id, message_id=inbound.message_id,
            received_at=inbound.received_at, language=language, now=deps.clock(),
        )
    if answer is None:
        return False
    await deliver(deps, answer)
    return True


BUTTON_PATTERN = pattern(SealChannel, DeclineSeal)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """"Tell me here" (seal this chat into the receipt) or "no thanks"."""
    deps, sealer = deps_of(context), citizen_deps(context).sealer
    query = update.callback_query
    pressed = decode(query.data)
    if not isinstance(pressed, SealChannel | DeclineSeal):
        await on_unknown_button(update, context)
        return
    chat_id = query.message.chat.id if query.message else query.from_user.id
    async with deps.store.unit_of_work() as session:
        language = await citizens.language_for(session=session, desk=deps.desk, chat_id=chat_id, text="",
                                               detected=None, hint=query.from_user.language_code)
        if isinstance(pressed, SealChannel):
            answer = await anonymous.seal(session=session, desk=deps.desk, sealer=sealer, chat_id=chat_id,
                                                code=pressed.code, language=language,
                                                now=deps.clock())
        else:
            answer = await anonymous.decline_seal(session=session, desk=deps.desk, chat_id=chat_id,
                                                        language=language, now=deps.clock())
    await finish_press(update, context, answer)


async def _language(update: Update, context, inbound: flows.Inbound, text: str) -> str:
    """The language to answer in, read without writing anything about this chat."""
    deps = deps_of(context)
    hint = inbound.telegram_language
    detected = (await deps.classifier.classify(text, hint=hint)).language if text.strip() else None
    async with deps.store.unit_of_work() as session:
        return await citizens.language_for(session=session, desk=deps.desk, chat_id=inbound.chat_id, text=text,
                                           detected=detected, hint=inbound.telegram_language)
