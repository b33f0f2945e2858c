"""Webhook mode's web server: Telegram's receiver (bot/webhook.py), health, metrics and the compliance page.

One Starlette app under uvicorn; it is registered with Telegram once it listens, and stops taking
updates before the rest of the process stops.
"""

import logging

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from bot.intake import IntakeWorker
from bot.webhook import Receiver, WebhookError, register, webhook_secret
from charterdesk.assembly import Components, utc_now
from charterdesk.errors import StartupError
from charterdesk.http_server import HttpServer
from charterdesk.monitoring import monitoring_routes
from charterdesk.web import build_web_app

log = logging.getLogger(__name__)


def build_webhook_app(components: Components, receiver: Receiver) -> Starlette:
    """The webhook server's app: the receiver, /healthz, /metrics, the public compliance page and the web chat."""
    return build_public_app(components, receiver.route(components.settings.webhook_url))


def build_public_app(components: Components, *routes: BaseRoute) -> Starlette:
    """/healthz, /metrics, the compliance page and the web chat, after `routes` (a polling bot serves it as is)."""
    return Starlette(routes=[*routes, *monitoring_routes(components), Mount("/", app=build_web_app(components))])


class WebhookServer:
    """The receiver's web server, registered with Telegram; stops taking updates before the rest stops."""

    def __init__(self, components: Components, application, worker: IntakeWorker) -> None:
        settings = components.settings
        self.components = components
        self.application = application
        self.url = settings.webhook_url or ""
        try:
            self.secret = webhook_secret(settings.webhook_secret)
        except WebhookError as exc:
            raise StartupError(str(exc)) from exc
        self.receiver = Receiver(
            components.store, worker, secret=self.secret, max_body=settings.webhook_max_body, clock=utc_now
        )
        self.http = HttpServer(
            build_webhook_app(components, self.receiver), host=settings.webhook_listen, port=settings.webhook_port
        )
        self.base_url: str | None = None

    async def start(self) -> None:
        """Listen, then tell Telegram where to push (with the secret it must send back)."""
        settings = self.components.settings
        try:
            self.base_url = await self.http.start()
        except OSError as exc:
            raise StartupError(
                f"cannot listen on {settings.webhook_listen}:{settings.webhook_port} (WEBHOOK_LISTEN/WEBHOOK_PORT): {exc}"
            ) from exc
        log.info("webhook server on %s", self.base_url)
        try:
            await register(self.application.bot, url=self.url, secret=self.secret)
        except WebhookError as exc:
            await self.http.stop()
            raise StartupError(str(exc)) from exc

    async def stop(self) -> None:
        """Refuse new updates (503: Telegram retries later), let requests under way finish, close."""
        self.receiver.draining = True
        await self.http.stop()
