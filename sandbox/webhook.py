"""Pushes pending updates to the bot's webhook, one at a time and in order, until each is taken."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import aiohttp

from .world import World


class WebhookPusher:
    """A background task that POSTs each pending update to the webhook URL."""

    def __init__(
        self, world: World, *, retry_initial: float = 0.05, retry_max: float = 2.0, timeout: float = 10.0
    ):
        self.world = world
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.timeout = timeout
        self.deliveries = 0
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        """Begin pushing (idles until a webhook is set)."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook-pusher")

    async def stop(self) -> None:
        """Stop pushing and close the HTTP client."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()
        self._task = self._session = None

    async def _run(self) -> None:
        world = self.world
        delay = self.retry_initial
        while True:
            await world.updates_changed.wait_until(
                lambda: world.closed or (world.webhook and world.pending), None
            )
            if world.closed:
                return
            hook, update = world.webhook, world.pending[0]
            error = await self._post(hook, update)
            if error is None:
                # Only a delivered update leaves the queue, so nothing is lost to a flaky receiver.
                world.forget(update["update_id"])
                self.deliveries += 1
                delay = self.retry_initial
                continue
            hook["last_error_date"], hook["last_error_message"] = int(time.time()), error
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.retry_max)

    async def _post(self, hook: dict[str, Any], update: dict[str, Any]) -> str | None:
        """POST one update; None on a 2xx, else Telegram-style error text."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": hook["secret_token"]} if hook["secret_token"] else {}
        assert self._session is not None
        try:
            async with self._session.post(hook["url"], json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return f"Connection failed: {exc.__class__.__name__}"
