"""The baseline: a bare python-telegram-bot handler that only answers each message.

Run as `python -m bench.bare_bot` with TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL and TELEGRAM_OVERALL_RATE,
configured exactly as Charterdesk's own Application (same base URL, rate limiter, polling).
"""

import os

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply to every text message, nothing else."""
    await context.bot.send_message(update.effective_chat.id, "ok")


def build(token: str, base_url: str, rate: float, *, request: BaseRequest | None = None) -> Application:
    """The bare Application; `request` replaces its HTTP client (the in-process harness)."""
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .rate_limiter(AIORateLimiter(overall_max_rate=rate, max_retries=0))
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, answer))
    return application


def main() -> None:
    """Poll until interrupted."""
    application = build(
        os.environ["TELEGRAM_BOT_TOKEN"], os.environ["TELEGRAM_API_URL"],
        float(os.environ.get("TELEGRAM_OVERALL_RATE", "30")),
    )
    application.run_polling(poll_interval=0, timeout=10, drop_pending_updates=False)


if __name__ == "__main__":
    main()
