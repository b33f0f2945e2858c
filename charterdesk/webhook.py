"""Webhook mode's web server: Telegram's receiver (bot/webhook.py), health, metrics and the compliance page.

One Starlette app under uvicorn; it is registered with Telegram once it listens, and stops taking
updates before the rest of the process stops.
"""

import base64
import hashlib
import hmac
import logging
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from bot.intake import IntakeWorker
from bot.webhook import DEFAULT_PATH, SECRET_PATTERN, Receiver, WebhookError, register, webhook_secret
from charterdesk.assembly import Components, Tenant, utc_now
from charterdesk.settings import env_suffix
from desk.organisations.models import FIRST_ORGANISATION
from infra.keyring import HASH
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


def bot_path(slug: str) -> str:
    """The path an organisation's bot is pushed to: /telegram/<slug>."""
    return f"{DEFAULT_PATH}/{slug}"


def bot_url(webhook_url: str, slug: str) -> str:
    """WEBHOOK_URL with its path replaced by the organisation's /telegram/<slug>."""
    return urlsplit(webhook_url)._replace(path=bot_path(slug), query="", fragment="").geturl()


def derived_secret(components: Components, slug: str) -> str:
    """An organisation's webhook secret when WEBHOOK_SECRET_<SLUG> is unset: an HMAC of the slug under the
    key file's hash key, so every replica sharing the key file registers and checks the same one."""
    digest = hmac.new(components.store.keyring.keys[HASH], b"webhook-secret:" + slug.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def secret_for(components: Components, tenant: Tenant) -> str:
    """WEBHOOK_SECRET for organisation 1 (random per run if unset); WEBHOOK_SECRET_<SLUG> or the derived one
    for the others; StartupError if a configured one breaks Telegram's rule."""
    if tenant.organisation_id == FIRST_ORGANISATION:
        try:
            return webhook_secret(components.settings.webhook_secret)
        except WebhookError as exc:
            raise StartupError(str(exc)) from exc
    name = "WEBHOOK_SECRET_" + env_suffix(tenant.slug)
    configured = components.settings.organisation_webhook_secrets.get(env_suffix(tenant.slug))
    if configured is None:
        return derived_secret(components, tenant.slug)
    if not SECRET_PATTERN.match(configured):
        raise StartupError(f"{name} must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    return configured


class BotHook:
    """One organisation's bot in webhook mode: its receiver (own secret, own intake worker) and its URL."""

    def __init__(self, components: Components, tenant: Tenant, application, worker: IntakeWorker) -> None:
        settings = components.settings
        self.tenant = tenant
        self.application = application
        self.secret = secret_for(components, tenant)
        self.receiver = Receiver(
            components.store, worker, secret=self.secret, max_body=settings.webhook_max_body, clock=utc_now
        )
        first = tenant.organisation_id == FIRST_ORGANISATION
        # Organisation 1 is registered at WEBHOOK_URL as before; the others at /telegram/<slug> beside it.
        self.url = (settings.webhook_url or "") if first else bot_url(settings.webhook_url or "", tenant.slug)

    def routes(self) -> list[Route]:
        """Its POST routes: /telegram/<slug>, and for organisation 1 also WEBHOOK_URL's own path."""
        own = Route(bot_path(self.tenant.slug), self.receiver.take, methods=["POST"])
        if self.tenant.organisation_id != FIRST_ORGANISATION:
            return [own]
        legacy = self.receiver.route(self.url)
        return [legacy] if legacy.path == own.path else [legacy, own]


class WebhookServer:
    """One web server for every bot's receiver, each registered with Telegram; stops taking updates before the
    rest stops. Unknown paths (an unknown slug) are 404, a wrong secret 403: neither stores anything."""

    def __init__(self, components: Components, application, worker: IntakeWorker, *,
                 others: list[tuple[Tenant, object, IntakeWorker]] = ()) -> None:
        settings = components.settings
        self.components = components
        self.hooks = [BotHook(components, components.tenants[0], application, worker)]
        self.hooks += [BotHook(components, tenant, app, each) for tenant, app, each in others]
        self.application, self.url, self.secret = application, self.hooks[0].url, self.hooks[0].secret
        self.receiver = self.hooks[0].receiver
        routes = [route for hook in self.hooks for route in hook.routes()]
        self.http = HttpServer(
            build_public_app(components, *routes), host=settings.webhook_listen, port=settings.webhook_port
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
        for hook in self.hooks:
            try:
                await register(hook.application.bot, url=hook.url, secret=hook.secret)
            except WebhookError as exc:
                await self.http.stop()
                raise StartupError(f'organisation "{hook.tenant.slug}": {exc}') from exc

    async def stop(self) -> None:
        """Refuse new updates (503: Telegram retries later), let requests under way finish, close."""
        for hook in self.hooks:
            hook.receiver.draining = True
        await self.http.stop()
