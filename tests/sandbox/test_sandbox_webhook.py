"""Webhook push: in order, with the secret header, retried until delivered exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

CITIZEN = 2001


class Receiver:
    """A tiny webhook endpoint that can be told to fail its first N requests."""

    def __init__(self, fail_first: int = 0):
        self.fail_first = fail_first
        self.attempts = 0
        self.delivered: list[dict] = []
        self.secrets: list[str | None] = []
        self.arrived = asyncio.Condition()

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.attempts <= self.fail_first:
            return web.Response(status=500)
        async with self.arrived:
            self.delivered.append(await request.json())
            self.secrets.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
            self.arrived.notify_all()
        return web.Response(text="ok")

    async def wait_for(self, count: int) -> None:
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: len(self.delivered) >= count), 10)


async def _serve(receiver: Receiver) -> AsyncIterator[tuple[Receiver, str]]:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield receiver, f"http://{host}:{port}/hook"
    finally:
        await runner.cleanup()


@pytest.fixture
async def receiver():
    async for served in _serve(Receiver()):
        yield served


@pytest.fixture
async def flaky_receiver():
    async for served in _serve(Receiver(fail_first=2)):
        yield served


async def test_updates_pushed_in_order_with_secret(sandbox, http, api, receiver):
    hook, url = receiver
    assert (await http.post(api + "setWebhook", data={"url": url, "secret_token": "s3cret"})).json()[
        "result"
    ] is True
    for n in range(3):
        await sandbox.send_text(CITIZEN, f"m{n}")
    await hook.wait_for(3)
    assert [u["message"]["text"] for u in hook.delivered] == ["m0", "m1", "m2"]
    assert [u["update_id"] for u in hook.delivered] == sorted(u["update_id"] for u in hook.delivered)
    assert hook.secrets == ["s3cret"] * 3
    info = (await http.get(api + "getWebhookInfo")).json()["result"]
    assert info["url"] == url and info["pending_update_count"] == 0


async def test_failing_receiver_gets_everything_once_in_order(sandbox, http, api, flaky_receiver):
    hook, url = flaky_receiver
    for n in range(3):
        await sandbox.send_text(CITIZEN, f"m{n}")
    await http.post(api + "setWebhook", json={"url": url})
    await hook.wait_for(3)
    await sandbox.send_text(CITIZEN, "m3")
    await hook.wait_for(4)
    assert [u["message"]["text"] for u in hook.delivered] == ["m0", "m1", "m2", "m3"]
    assert hook.attempts == 6 and sandbox.webhook.deliveries == 4
    info = (await http.get(api + "getWebhookInfo")).json()["result"]
    assert info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"


async def test_set_webhook_can_drop_pending_updates(sandbox, http, api, receiver):
    hook, url = receiver
    await sandbox.send_text(CITIZEN, "old")
    await http.post(api + "setWebhook", json={"url": url, "drop_pending_updates": True})
    await sandbox.send_text(CITIZEN, "new")
    await hook.wait_for(1)
    assert [u["message"]["text"] for u in hook.delivered] == ["new"]
