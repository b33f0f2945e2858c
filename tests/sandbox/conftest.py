"""Fixtures: a fresh sandbox on a free port per test, and HTTP clients for it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot
from telegram.ext import Application, ApplicationBuilder

from sandbox.server import Sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = Sandbox()
    await sb.start(port=0)
    try:
        yield sb
    finally:
        await sb.stop()


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client rooted at the sandbox."""
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=10) as client:
        yield client


@pytest.fixture
def api(sandbox: Sandbox) -> str:
    """The path prefix of Bot API calls: /bot<token>/"""
    return f"/bot{sandbox.token}/"


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[Bot]:
    """The real PTB Bot pointed at the sandbox."""
    async with Bot(
        sandbox.token, base_url=sandbox.bot_api_url, base_file_url=f"{sandbox.url}/file/bot"
    ) as tg:
        yield tg


@pytest.fixture
def ptb_app(sandbox: Sandbox) -> Application:
    """A PTB Application wired to the sandbox, without handlers yet."""
    return (
        ApplicationBuilder()
        .token(sandbox.token)
        .base_url(sandbox.bot_api_url)
        .base_file_url(f"{sandbox.url}/file/bot")
        .build()
    )


@pytest.fixture
def polling():
    """Run an Application with long polling for the duration of an `async with polling(app)` block."""
    return _polling


@contextlib.asynccontextmanager
async def _polling(app: Application) -> AsyncIterator[Application]:
    """Run an Application with long polling for the duration of the block."""
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
