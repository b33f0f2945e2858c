"""Webhook mode: one Starlette app under uvicorn takes Telegram's updates and serves health, metrics, compliance.

POST <path of WEBHOOK_URL> (default /telegram): the secret header is checked first (in constant time),
the body is read up to a limit, the update is stored in the database, and only then is Telegram
answered 200; handling happens afterwards (bot/intake.py). A refused request writes nothing.
"""

import hmac
import json
import logging
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from telegram.error import TelegramError

from bot import metrics
from bot.intake import IntakeWorker, store_updates
from charterdesk.components import Components, utc_now
from charterdesk.errors import StartupError
from charterdesk.http_server import HttpServer
from charterdesk.monitoring import monitoring_routes
from charterdesk.web import build_web_app

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's own rule for secret_token.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_PATH = "/telegram"


class Receiver:
    """The POST endpoint: refuse, or store and say 200."""

    def __init__(
        self, components: Components, worker: IntakeWorker, *, secret: str, max_body: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = components.store
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
        if declared and (not declared.isdigit() or int(declared) > self.max_body):
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
            await store_updates(self.store, [update], source="webhook", clock=self.clock)
        except Exception:
            # Not stored, so not acknowledged: Telegram delivers it again.
            log.exception("webhook: could not store update %s", update["update_id"])
            return _refuse("store_failed", 503, "try again")
        self.worker.wake()
        return PlainTextResponse("ok")

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


def build_webhook_app(components: Components, receiver: Receiver, *, path: str = DEFAULT_PATH) -> Starlette:
    """The webhook server's app: the receiver, /healthz, /metrics and the public compliance page."""
    return Starlette(
        routes=[
            Route(path, receiver.take, methods=["POST"]),
            *monitoring_routes(components),
            Mount("/", app=build_web_app(components)),
        ]
    )


class WebhookServer:
    """The receiver's web server, registered with Telegram; stops taking updates before the rest stops."""

    def __init__(self, components: Components, application, worker: IntakeWorker) -> None:
        settings = components.settings
        self.components = components
        self.application = application
        self.url = settings.webhook_url or ""
        self.secret = webhook_secret(settings.webhook_secret)
        self.receiver = Receiver(components, worker, secret=self.secret, max_body=settings.webhook_max_body)
        path = urlsplit(self.url).path or DEFAULT_PATH
        self.http = HttpServer(
            build_webhook_app(components, self.receiver, path=path),
            host=settings.webhook_listen,
            port=settings.webhook_port,
        )
        self.base_url: str | None = None

    async def start(self) -> None:
        """Listen, then tell Telegram where to push (with the secret it must send back)."""
        try:
            self.base_url = await self.http.start()
        except OSError as exc:
            settings = self.components.settings
            raise StartupError(
                f"cannot listen on {settings.webhook_listen}:{settings.webhook_port} (WEBHOOK_LISTEN/WEBHOOK_PORT): {exc}"
            ) from exc
        try:
            await self.application.bot.set_webhook(url=self.url, secret_token=self.secret, drop_pending_updates=False)
        except TelegramError as exc:
            await self.http.stop()
            raise StartupError(f"Telegram refused WEBHOOK_URL: {exc}") from exc
        log.info("webhook server on %s; Telegram pushes to %s", self.base_url, urlsplit(self.url)._replace(query="").geturl())

    async def stop(self) -> None:
        """Refuse new updates (503: Telegram retries later), let requests under way finish, close."""
        self.receiver.draining = True
        await self.http.stop()


def webhook_secret(configured: str | None) -> str:
    """WEBHOOK_SECRET if valid; a fresh random one if unset (it is registered with setWebhook at each start)."""
    if not configured:
        log.info("WEBHOOK_SECRET is not set: a random secret is registered with Telegram for this run")
        return secrets.token_urlsafe(32)
    if not SECRET_PATTERN.match(configured):
        raise StartupError("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    return configured
