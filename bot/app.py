"""All Telegram wiring in one place: build_application(config, deps) -> Application."""

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import citizen, citizen_anonymous, citizen_privacy, citizen_support, keyboards, staff, survey
from bot.config import BotConfig
from bot.deps import KEY, BotDeps
from bot.errors import on_error
from bot.http_client import BotApiRequest
from bot.ordering import PerChatOrder
from bot.transport import TelegramTransport
from desk.delivery import Deliverer
from infra import logs
from infra.group_commit import GroupCommit
from nlu import dates

# PTB's default for an Application's request (ApplicationBuilder.connection_pool_size).
BOT_API_CONNECTIONS = 256


def build_application(config: BotConfig, deps: BotDeps, *, request: BaseRequest | None = None) -> Application:
    """A python-telegram-bot Application talking to TELEGRAM_API_URL, with every handler registered.

    `request` replaces PTB's HTTP client (bench/intake.py answers Bot API calls in-process with it)."""
    builder = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.api_url)
        .base_file_url(file_url_for(config.api_url))
        # Keeps us inside Telegram's flood limits; a 429 still surfaces so the outbox can reschedule.
        .rate_limiter(AIORateLimiter(overall_max_rate=config.overall_rate, max_retries=0))
        .concurrent_updates(PerChatOrder())
        # Updates come from the intake table (bot/intake.py), stored before Telegram is told they arrived.
        .updater(None)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        # PTB's own client (as many connections as its default, 256), without a getpeername() per idle
        # connection on every call (bot/http_client.py).
        builder = builder.request(BotApiRequest(connection_pool_size=BOT_API_CONNECTIONS))
    application = builder.build()
    deps.transport = TelegramTransport(application.bot)
    deps.deliverer = Deliverer(
        deps.store, deps.transport, clock=deps.clock, lease=deps.lease, pacing=deps.pacing
    )
    logs.guard_libraries()  # PTB's DEBUG records carry chat ids and texts
    application.bot_data[KEY] = deps

    # Staff handlers come first: within a group the first matching handler wins.
    # == staff console ==
    roster = staff.StaffRoster()
    application.bot_data[staff.ROSTER_KEY] = roster
    # Group -1 runs before every other handler: the roster is loaded before /help is routed.
    application.add_handler(TypeHandler(Update, staff.keep_roster_fresh), group=-1)
    staff_chat = filters.Chat(deps.desk.charter.staff_chat_id)
    # Staff commands work in the staff chat and in private chats, never in other groups.
    # Only a new message typed by its sender: an edit (UpdateType.MESSAGE excludes edits) or a forward
    # of someone else's "/close ..." must never act with the forwarder's rights.
    typed = (staff_chat | filters.ChatType.PRIVATE) & filters.UpdateType.MESSAGE & ~filters.FORWARDED
    # Non-staff /help falls through to the citizens' /help.
    application.add_handler(CommandHandler("help", staff.on_command, filters=typed & staff.StaffOnly(roster)))
    application.add_handler(CommandHandler([c for c in staff.COMMANDS if c != "help"], staff.on_command, filters=typed))
    card_reply = staff_chat & filters.REPLY & filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE \
        & ~filters.FORWARDED
    application.add_handler(MessageHandler(card_reply, staff.on_card_reply))
    application.add_handler(CallbackQueryHandler(staff.on_button, pattern=staff.BUTTON_PATTERN))

    # == surveys ==
    application.add_handler(CallbackQueryHandler(survey.on_rate, pattern=survey.RATE_PATTERN))
    application.add_handler(CallbackQueryHandler(survey.on_comment_button, pattern=survey.COMMENT_PATTERN))
    # A comment the citizen has just offered to write is taken by citizen.on_message, in the same
    # transaction and the same read as the rest of intake (desk/chat_state.py).

    # == citizens (private chats) ==
    dates.warm_up()  # once per process; otherwise the first citizen naming a date pays for it
    application.bot_data[citizen_support.CITIZEN_KEY] = citizen_support.CitizenDeps(
        sealer=deps.sealer, commits=GroupCommit(deps.store)
    )
    # Group -3 runs first of all: command menus are set once, and a flooding chat goes no further.
    application.add_handler(TypeHandler(Update, citizen.on_any_update), group=-3)
    private = filters.ChatType.PRIVATE
    new_message = private & filters.UpdateType.MESSAGE
    for name, callback in (
        ("start", citizen.on_start), ("help", citizen.on_help), ("status", citizen.on_status),
        ("anonymous", citizen_anonymous.on_anonymous), ("language", citizen.on_language),
        ("cancel", citizen.on_cancel),
    ):
        application.add_handler(CommandHandler(name, callback, filters=new_message))
    # == privacy (/mydata, /forget) ==
    application.add_handler(CommandHandler("mydata", citizen_privacy.on_mydata, filters=new_message))
    application.add_handler(CommandHandler("forget", citizen_privacy.on_forget, filters=new_message))
    application.add_handler(CallbackQueryHandler(citizen_privacy.on_forget_button, pattern=citizen_privacy.FORGET_PATTERN))
    application.add_handler(MessageHandler(new_message & filters.COMMAND, citizen.on_unknown_command))
    taken = filters.TEXT | filters.PHOTO | filters.Document.ALL | filters.VOICE
    application.add_handler(MessageHandler(new_message & taken, citizen.on_message))
    application.add_handler(MessageHandler(new_message, citizen.on_unsupported))
    application.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, citizen.on_edit))
    application.add_handler(CallbackQueryHandler(citizen.on_button, pattern=citizen.BUTTON_PATTERN))
    application.add_handler(
        CallbackQueryHandler(citizen_anonymous.on_button, pattern=citizen_anonymous.BUTTON_PATTERN)
    )
    # In groups (other than the staff chat) nothing is taken as a request; citizen commands get a pointer.
    other_groups = filters.ChatType.GROUPS & ~filters.Chat(deps.desk.charter.staff_chat_id)
    application.add_handler(CommandHandler(
        ["start", "help", "status", "anonymous"], citizen.on_group_command,
        filters=other_groups & filters.UpdateType.MESSAGE,
    ))
    # Patterns above come from conversation/buttons.py; a press none of them takes is still answered.
    application.add_handler(CallbackQueryHandler(keyboards.on_unknown_button))
    application.add_error_handler(on_error)
    return application


def file_url_for(api_url: str) -> str:
    """Bot API file download base for a Bot API base ('.../bot' -> '.../file/bot')."""
    root, _, _ = api_url.rstrip("/").rpartition("/bot")
    return f"{root}/file/bot"
