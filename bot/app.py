"""All Telegram wiring in one place: build_application(settings, deps) -> Application."""

from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import citizen
from bot.deps import KEY, BotDeps
from bot.errors import on_error
from bot.ordering import PerChatOrder
from bot.transport import TelegramTransport
from desk.config import Settings


def build_application(settings: Settings, deps: BotDeps) -> Application:
    """A python-telegram-bot Application talking to TELEGRAM_API_URL, with every handler registered."""
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_url)
        .base_file_url(file_url_for(settings.telegram_api_url))
        # Keeps us inside Telegram's flood limits; a 429 still surfaces so the outbox can reschedule.
        .rate_limiter(AIORateLimiter(overall_max_rate=settings.telegram_overall_rate, max_retries=0))
        .concurrent_updates(PerChatOrder())
        .build()
    )
    deps.transport = TelegramTransport(application.bot)
    application.bot_data[KEY] = deps

    # Staff handlers come first: within a group the first matching handler wins.
    # == staff console ==

    # == citizens (private chats) ==
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", citizen.on_start, filters=private))
    application.add_handler(CommandHandler("help", citizen.on_help, filters=private))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, citizen.on_text))
    application.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.COMMAND, citizen.on_unsupported))
    application.add_error_handler(on_error)
    return application


def file_url_for(api_url: str) -> str:
    """Bot API file download base for a Bot API base ('.../bot' -> '.../file/bot')."""
    root, _, _ = api_url.rstrip("/").rpartition("/bot")
    return f"{root}/file/bot"
