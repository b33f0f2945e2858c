"""The Sandbox: a local Telegram Bot API server plus the handles tests use to act as users."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Self

from aiohttp import web

from . import botapi, userapi
from .commands import CommandStore
from .faults import Faults
from .files import FileStore
from .flood import GroupFlood
from .observe import Observations
from .users import UserActions
from .webhook import WebhookPusher
from .world import World

STATIC = Path(__file__).parent / "static"
MAX_UPLOAD = 50 * 1024 * 1024  # Telegram's limit for bot uploads


class Sandbox(UserActions, Observations):
    """One bot's Telegram: serve it with start(), act as users, inspect what the bot did."""

    def __init__(
        self,
        token: str = "123456:SANDBOX-TOKEN",
        bot_username: str = "charterdesk_bot",
        *,
        bot_first_name: str = "Charterdesk",
        webhook_retry_initial: float = 0.05,
        webhook_retry_max: float = 2.0,
        group_per_minute: int | None = 20,
    ):
        bot_id, _, _ = token.partition(":")
        if not bot_id.isdigit():
            raise ValueError("a bot token starts with the bot id: '<digits>:<secret>'")
        self.token = token
        self.bot_user: dict[str, Any] = {
            "id": int(bot_id),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.world = World(self.bot_user)
        self.files = FileStore()
        self.commands = CommandStore()
        self.faults = Faults()
        # Telegram's limit on what a bot posts into one group (None: no limit, for tests of other things).
        self.flood = GroupFlood(group_per_minute)
        self.calls: Counter[str] = Counter()
        self.webhook = WebhookPusher(
            self.world, retry_initial=webhook_retry_initial, retry_max=webhook_retry_max
        )
        self.url: str | None = None
        self._runner: web.AppRunner | None = None

    @property
    def bot_api_url(self) -> str:
        """The Bot API base to give PTB's base_url / TELEGRAM_API_URL (the token is appended)."""
        if self.url is None:
            raise RuntimeError("the sandbox is not started")
        return f"{self.url}/bot"

    @property
    def bot_profile(self) -> dict[str, Any]:
        """What getMe answers."""
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def make_app(self) -> web.Application:
        """The aiohttp application serving the Bot API, the user API and the chat page."""
        app = web.Application(client_max_size=MAX_UPLOAD)
        app[botapi.SANDBOX] = self
        botapi.add_routes(app)
        userapi.add_routes(app)
        app.router.add_get("/", _index)
        app.router.add_static("/static/", STATIC)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 = any free port); returns the base URL."""
        if self._runner is not None:
            raise RuntimeError(f"this sandbox is already serving at {self.url}")
        # Waiting handlers end as soon as stop() closes the world, so a short grace period is enough.
        self._runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}"
        self.webhook.start()
        return self.url

    async def stop(self) -> None:
        """Stop serving; wakes long polls and stalled calls so nothing is left pending."""
        self.world.close()
        await self.webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        if self.url is None:
            await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")
