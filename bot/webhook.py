"""Telegram's webhook: the POST route that checks the secret, limits the body and stores the update.

POST <path of WEBHOOK_URL> (default /telegram): the secret header is checked first (in constant time),
the body is read up to a limit, the update is stored in the intake table, and only then is Telegram
answered 200; handling happens afterwards (bot/intake.py). A refused request writes nothing.
The web server around it (health, metrics, the compliance page) is assembled by the process.
"""

import hmac
import json
import logging
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Bot
from telegram.error import TelegramError

from bot import metrics
from bot.intake import IntakeWorker, store_updates
from infra.database import Store
from conversation.arguments import bounded_int

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's own rule for secret_token.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_PATH = "/telegram"


class WebhookError(Exception):
    """The webhook cannot be set up: a bad secret, or Telegram refused the URL."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Receiver:
    """The POST endpoint: refuse, or store and say 200."""

    def __init__(
        self, store: Store, worker: IntakeWorker, *, secret: str, max_body: int,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.store = store
        self.worker = worker
        self._secret = secret.encode()
        self.max_body = max_body
        self.clock = clock
        # Set on shutdown: Telegram is told to come back later (it retries), nothing is taken half-way.
        self.draining = False

    async def take(self, request: Request) -> Response:
        """Take one update."""
        if self.draining:
            return _refuse("draining", 503, "shutting down")
        given = request.headers.get(SECRET_HEADER, "").encode("latin-1")
        if not hmac.compare_digest(given, self._secret):
            return _refuse("secret", 403, "forbidden")
        declared = request.headers.get("content-length", "")
        # Bounded before int(): a header of thousands of digits (or '²') must not raise.
        if declared and bounded_int(declared, low=0, high=self.max_body) is None:
            return _refuse("too_large", 413, "too large")
        body = await self._body(request)
        if body is None:
            return _refuse("too_large", 413, "too large")
        try:
            update = json.loads(body)
        except ValueError:
            return _refuse("bad_json", 400, "not JSON")
        if not isinstance(update, dict) or type(update.get("update_id")) is not int:
            return _refuse("bad_json", 400, "not an update")
        try:
            await store_updates(self.store, [update], source="webhook", clock=self.clock,
                                organisation_id=self.worker.organisation_id)
        except Exception:
            # Not stored, so not acknowledged: Telegram delivers it again.
            log.exception("webhook: could not store update %s", update["update_id"])
            return _refuse("store_failed", 503, "try again")
        self.worker.wake()
        return PlainTextResponse("ok")

    def route(self, url: str | None = None) -> Route:
        """The POST route at the path of `url` (WEBHOOK_URL), else at /telegram."""
        return Route(urlsplit(url or "").path or DEFAULT_PATH, self.take, methods=["POST"])

    async def _body(self, request: Request) -> bytes | None:
        """The body, or None as soon as it passes the limit (a lying or missing Content-Length included)."""
        chunks, size = [], 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > self.max_body:
                    return None
                chunks.append(chunk)
        except ClientDisconnect:
            return b""
        return b"".join(chunks)


def _refuse(reason: str, status: int, text: str) -> Response:
    metrics.WEBHOOK_REFUSED.labels(reason).inc()
    return PlainTextResponse(text, status_code=status)


async def register(bot: Bot, *, url: str, secret: str) -> None:
    """Tell Telegram where to push, with the secret it must send back; WebhookError if it refuses."""
    try:
        await bot.set_webhook(url=url, secret_token=secret, drop_pending_updates=False)
    except TelegramError as exc:
        raise WebhookError(f"Telegram refused WEBHOOK_URL: {exc}") from exc
    log.info("Telegram pushes to %s", urlsplit(url)._replace(query="").geturl())


def webhook_secret(configured: str | None) -> str:
    """WEBHOOK_SECRET if valid; a fresh random one if unset (it is registered with setWebhook at each start)."""
    if not configured:
        log.info("WEBHOOK_SECRET is not set: a random secret is registered with Telegram for this run")
        return secrets.token_urlsafe(32)
    if not SECRET_PATTERN.match(configured):
        raise WebhookError("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    return configured
