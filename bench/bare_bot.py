"""The baseline: a bare python-telegram-bot handler that only answers each message.

Run as `python -m bench.bare_bot` with TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL and TELEGRAM_OVERALL_RATE,
configured exactly as Charterdesk's own Application (same base URL, rate limiter, polling).
"""

import os

from telegram import Update
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, MessageHandler, filters


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply to every text message, nothing else."""
    await context.bot.send_message(update.effective_chat.id, "ok")


def main() -> None:
    """Poll until interrupted."""
    application = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_URL"])
        .rate_limiter(AIORateLimiter(overall_max_rate=float(os.environ.get("TELEGRAM_OVERALL_RATE", 30)), max_retries=0))
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, answer))
    application.run_polling(poll_interval=0, timeout=10, drop_pending_updates=False)


if __name__ == "__main__":
    main()
