"""Fixtures for the scheduler: a sandbox Bot API with the charter's people, a transport and a dispatcher."""

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.transport import TelegramTransport
from bot.ratelimit import Limits, SendLimiter
from desk.delivery import Deliverer
from sandbox import Sandbox
from scheduler.dispatcher import Dispatcher

# No waiting between sends unless a test is about the limits.
NO_LIMITS = Limits(per_second=10_000, chat_interval=0, group_per_minute=1_000_000)
# A stalled request counts as timed out after this long (PTB's default is 5 s).
READ_TIMEOUT = 0.5


def real_now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def sandbox(charter) -> AsyncIterator[Sandbox]:
    """A fresh sandbox Bot API knowing the staff chat and every staff member of the charter; without
    Telegram's group limit, as the dispatchers here run without flood limits unless a test is about them."""
    async with Sandbox(group_per_minute=None) as sandbox:
        sandbox.group(charter.staff_chat_id, "staff")
        for member in charter.staff:
            sandbox.user(member.telegram_id, member.name)
        yield sandbox


@pytest.fixture
async def transport(sandbox: Sandbox) -> AsyncIterator[TelegramTransport]:
    """The production transport over a real PTB Bot talking to the sandbox."""
    request = HTTPXRequest(read_timeout=READ_TIMEOUT)
    async with Bot(sandbox.token, base_url=sandbox.bot_api_url, request=request) as bot:
        yield TelegramTransport(bot)


@pytest.fixture
async def make_dispatcher(store, transport) -> AsyncIterator[Callable[..., Dispatcher]]:
    """Dispatchers on the `store` database; real time and no flood limits unless told otherwise."""
    made: list[Dispatcher] = []

    def make(*, limits: Limits = NO_LIMITS, clock: Callable[[], datetime] = real_now, **options) -> Dispatcher:
        deliverer = Deliverer(store, transport, clock=clock, pacing=SendLimiter(limits))
        made.append(Dispatcher(store, deliverer, clock=clock, **options))
        return made[-1]

    yield make
    for dispatcher in made:
        await dispatcher.close()
