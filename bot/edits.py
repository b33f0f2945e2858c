"""Edits a message the bot sent (the live queue summary) and classifies what went wrong, as transport.py does for sends."""

from telegram import Bot
from telegram.error import BadRequest, RetryAfter, TelegramError

from desk.outbox import Delivery

NOT_MODIFIED = "message is not modified"


class TelegramEditor:
    """editMessageText for conversation.staff.queue_summary's keeper."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def edit_text(self, *, chat_id: int, message_id: int, text: str) -> Delivery:
        """Replace the text of one message; never raises for Telegram or network trouble."""
        try:
            await self.bot.edit_message_text(chat_id=chat_id, message_id=message_id, text=text)
        except RetryAfter as exc:
            wait = exc.retry_after
            return Delivery("retry", retry_after=wait if isinstance(wait, (int, float)) else wait.total_seconds(),
                            reason=str(exc))
        except BadRequest as exc:
            if NOT_MODIFIED in str(exc).lower():
                return Delivery("sent", message_id=message_id)  # it already says this
            return Delivery("undeliverable", reason=str(exc))
        except TelegramError as exc:
            return Delivery("retry", reason=str(exc))
        return Delivery("sent", message_id=message_id)
