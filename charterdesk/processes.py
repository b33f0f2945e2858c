"""Long-running processes: bot, scheduler, both, and the demo around them."""

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

from telegram import Bot

from bot.app import build_application
from bot.deps import BotDeps
from bot.transport import TelegramTransport
from charterdesk.components import Components, utc_now
from desk.config import Settings
from desk.ratelimit import Limits, SendLimiter
from scheduler.app import build_scheduler
from scheduler.dispatcher import Dispatcher

log = logging.getLogger(__name__)

# Long-poll length of getUpdates; short enough that stopping is quick.
POLL_TIMEOUT_SECONDS = 10


async def serve(components: Components, *, bot: bool, scheduler: bool, stop: asyncio.Event) -> None:
    """Run the bot (polling) and/or the scheduler until `stop` is set."""
    settings = components.settings
    deps = BotDeps(store=components.store, desk=components.desk, classifier=components.classifier, clock=utc_now)
    async with contextlib.AsyncExitStack() as stack:
        if bot:
            application = build_application(settings, deps)
            await stack.enter_async_context(application)
            await application.start()
            stack.push_async_callback(application.stop)
            await application.updater.start_polling(poll_interval=0, timeout=POLL_TIMEOUT_SECONDS)
            stack.push_async_callback(application.updater.stop)
            transport = deps.transport
        else:
            lone_bot = Bot(settings.telegram_bot_token, base_url=settings.telegram_api_url)
            await stack.enter_async_context(lone_bot)
            transport = TelegramTransport(lone_bot)
        if scheduler:
            dispatcher = build_dispatcher(components, transport)
            stack.push_async_callback(dispatcher.close)
            jobs = build_scheduler(
                store=components.store,
                desk=components.desk,
                dispatcher=dispatcher,
                clock=utc_now,
                dispatch_interval=settings.dispatch_interval_seconds,
                sweep_interval=settings.sweep_interval_seconds,
            )
            jobs.start()
            stack.push_async_callback(jobs.stop)
        log.info("running: bot=%s scheduler=%s", bot, scheduler)
        await stop.wait()
        log.info("stopping")


def build_dispatcher(components: Components, transport) -> Dispatcher:
    """The outbox dispatcher with the lease and flood limits of the settings."""
    settings = components.settings
    limits = Limits(
        per_second=settings.send_per_second,
        chat_interval=settings.chat_interval_seconds,
        group_per_minute=settings.group_per_minute,
    )
    return Dispatcher(
        components.store,
        transport,
        clock=utc_now,
        limiter=SendLimiter(limits),
        lease=timedelta(seconds=settings.lease_seconds),
    )


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def demo_settings(settings: Settings, *, api_url: str, token: str) -> Settings:
    """The same settings pointed at a sandbox Bot API."""
    return settings.model_copy(update={"telegram_api_url": api_url, "telegram_bot_token": token})
