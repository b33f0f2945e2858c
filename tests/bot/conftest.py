"""A running Charterdesk (bot + scheduler) polling a sandbox Bot API over HTTP."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from charterdesk.assembly import Components, assemble
from charterdesk.processes import serve
from charterdesk.settings import Settings
from sandbox import Sandbox
from tests.conftest import ROOT


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A fresh sandbox Bot API on a free port."""
    async with Sandbox() as sandbox:
        yield sandbox


@contextlib.asynccontextmanager
async def running_desk(sandbox: Sandbox, database_url: str, data_keys, **settings: object
                       ) -> AsyncIterator[Components]:
    """Charterdesk's real bot and scheduler, polling the sandbox, with `settings` on top of the tests' own."""
    components = await assemble(Settings(
        TELEGRAM_BOT_TOKEN=sandbox.token,
        TELEGRAM_API_URL=sandbox.bot_api_url,
        DATABASE_URL=database_url,
        CHARTER_FILE=ROOT / "charter.yml",
        CHARTERDESK_DISPATCH_INTERVAL=0.2,
        CHARTERDESK_KEY_FILE=data_keys.path,  # the keys the test itself reads the database with
        **settings,
    ))
    stop = asyncio.Event()
    running = asyncio.create_task(serve(components, bot=True, scheduler=True, stop=stop))
    try:
        yield components
    finally:
        stop.set()
        await running
        await components.close()


@pytest.fixture
async def live(sandbox: Sandbox, database_url: str, data_keys) -> AsyncIterator[Components]:
    """Charterdesk's real bot and scheduler, polling the sandbox, on the `store` fixture's database."""
    async with running_desk(sandbox, database_url, data_keys) as components:
        yield components
