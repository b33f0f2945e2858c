"""Sends outbox rows through the Telegram Bot API and classifies what went wrong."""

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta

import httpx
from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot import keyboards, metrics
from bot.http_client import BotApiRequest
from bot.config import BotConfig
from desk.outbox import Delivery, Outgoing, Transport

log = logging.getLogger(__name__)

# Timeouts raised before the request reached Telegram: sending again cannot duplicate.
NOT_SENT_TIMEOUTS = (httpx.ConnectTimeout, httpx.PoolTimeout)
# The connection broke after the request left and before an answer came: it may have been delivered.
MAYBE_SENT_ERRORS = (httpx.ReadError, httpx.RemoteProtocolError)


class TelegramTransport:
    """The outbox's way out: one sendMessage per row."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, message: Outgoing) -> Delivery:
        """Send one row; never raises for Telegram or network trouble."""
        delivery = await self._send(message)
        metrics.count_send(delivery.outcome, chat_blocked=delivery.chat_blocked)
        return delivery

    async def _send(self, message: Outgoing) -> Delivery:
        markup = keyboards.markup(message.reply_markup)
        try:
            sent = await self.bot.send_message(chat_id=message.chat_id, text=message.text, reply_markup=markup)
        except RetryAfter as exc:
            return Delivery("retry", retry_after=_seconds(exc.retry_after), reason=str(exc))
        except Forbidden as exc:
            # Blocked, left, kicked, or a user who never started the bot: no message to this chat will go.
            return Delivery("undeliverable", reason=str(exc), chat_blocked=True)
        except BadRequest as exc:
            # This message is wrong (too long, bad markup) or its chat is gone; "chat not found" is the latter.
            gone = "chat not found" in str(exc).lower()
            return Delivery("undeliverable", reason=str(exc), chat_blocked=gone)
        except TimedOut as exc:
            if isinstance(exc.__cause__, NOT_SENT_TIMEOUTS):
                return Delivery("retry", reason=str(exc))
            # The request left and no answer came: Telegram may have delivered it. Flag, don't repeat.
            log.warning("outbox row %s: outcome unknown (%s)", message.id, exc)
            return Delivery("unknown", reason=str(exc) or "timed out")
        except NetworkError as exc:
            if isinstance(exc.__cause__, MAYBE_SENT_ERRORS):
                log.warning("outbox row %s: outcome unknown (%s)", message.id, exc)
                return Delivery("unknown", reason=str(exc))
            # Refused connections and Telegram's 5xx answers: nothing was delivered, retry with back-off.
            return Delivery("retry", reason=str(exc))
        except ChatMigrated as exc:
            # A group became a supergroup under a new id: the charter's staff_chat_id needs updating.
            return Delivery("undeliverable", reason=f"{exc} (new chat id {exc.new_chat_id})", chat_blocked=True)
        except TelegramError as exc:
            return Delivery("undeliverable", reason=str(exc))
        return Delivery("sent", message_id=sent.message_id)


class BotRouter:
    """One Telegram transport for several organisations' bots: each row leaves through its organisation's bot."""

    def __init__(self, by_organisation: Mapping[int, Transport]) -> None:
        self.by_organisation = dict(by_organisation)

    async def send(self, message: Outgoing) -> Delivery:
        """Send through the bot of the row's organisation; a row of one this process does not run waits."""
        transport = self.by_organisation.get(message.organisation_id)
        if transport is None:
            # Never another organisation's bot: the citizen would get a stranger's message. Another process
            # (or this one, once the organisation is enabled again) sends it.
            return Delivery("retry", reason=f"no bot of organisation {message.organisation_id} in this process")
        return await transport.send(message)


@contextlib.asynccontextmanager
async def own_transport(config: BotConfig, *, connections: int) -> AsyncIterator[TelegramTransport]:
    """A transport with a Bot and HTTP client of its own, for another event loop (a client serves one loop).

    `connections`: as many as requests may be under way at once, so none waits for one after its mark."""
    bot = ExtBot(
        config.token, base_url=config.api_url, request=BotApiRequest(connection_pool_size=connections),
        rate_limiter=AIORateLimiter(overall_max_rate=config.overall_rate, max_retries=0),
    )
    async with bot:
        yield TelegramTransport(bot)


def _seconds(retry_after: float | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
