"""Long-running processes: bot, scheduler, both, and webhook mode; started and stopped in order.

Everything started here is built by charterdesk/assembly.py from one Components.
"""

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

from telegram import Bot

from bot.app import build_application
from bot.edits import TelegramEditor
from bot.intake import DurablePoller, IntakeWorker, replica_id
from bot.senders import Heartbeat
from bot.transport import BotRouter, TelegramTransport
from charterdesk.assembly import (
    Components,
    Tenant,
    bot_config,
    bot_deps,
    build_dispatcher,
    build_jobs,
    send_limiter,
    sending_thread,
    utc_now,
    with_web,
)
from charterdesk.errors import StartupError
from charterdesk.http_server import HttpServer
from charterdesk.monitoring import build_monitoring_app
from charterdesk.settings import Settings
from charterdesk.webhook import WebhookServer, build_public_app

log = logging.getLogger(__name__)

# Long-poll length of getUpdates; short enough that stopping is quick.
POLL_TIMEOUT_SECONDS = 10


async def serve(components: Components, *, bot: bool, scheduler: bool, stop: asyncio.Event) -> None:
    """Run every organisation's bot (webhook if WEBHOOK_URL is set, else polling) and/or the scheduler until
    `stop` is set."""
    settings = components.settings
    receiving = []
    # Organisation id -> the transport of its bot; the dispatcher sends each row through its organisation's.
    transports: dict[int, TelegramTransport] = {}
    async with contextlib.AsyncExitStack() as stack:
        # One pacing for everything this process sends, at its share of the bot's limits (bot/senders.py). Several
        # organisations' bots share it: Telegram's limits are per bot, so each keeps well inside its own.
        pacing = send_limiter(settings)
        heartbeat = Heartbeat(components.store, pacing, name=replica_id(), clock=utc_now,
                              lease=timedelta(seconds=settings.lease_seconds))
        await heartbeat.start()
        stack.push_async_callback(heartbeat.stop)
        bots = []  # (tenant, application, intake worker) of each bot this process runs
        for tenant in components.tenants:
            if bot:
                transport, application, worker = await start_bot(components, tenant, pacing, stack)
                bots.append((tenant, application, worker))
            else:
                config = bot_config(settings, tenant)  # the scheduler alone still sends as each bot
                lone_bot = Bot(config.token, base_url=config.api_url)
                await stack.enter_async_context(lone_bot)
                transport = TelegramTransport(lone_bot)
            transports[tenant.organisation_id] = transport
        if bots:
            receiving = await start_receiving(components, bots, stack)
        if scheduler:
            router = BotRouter(transports)
            dispatcher = build_dispatcher(components, with_web(components, router), pacing)
            stack.push_async_callback(dispatcher.close)
            editors = {organisation: TelegramEditor(transport.bot) for organisation, transport in transports.items()}
            jobs = build_jobs(components, dispatcher, editors=editors)
            jobs.start()
            stack.push_async_callback(jobs.stop)
        if settings.metrics_port is not None and not (bot and settings.webhook_url):
            await start_monitoring(components, stack, with_web_chat=bot)
        log.info("running: bot=%s scheduler=%s organisations=%s", bot, scheduler,
                 ",".join(tenant.slug for tenant in components.tenants))
        await stop.wait()
        log.info("stopping")
        for intake in receiving:
            await intake.stop()  # first of all: take no new updates while the rest winds down


async def start_bot(components: Components, tenant: Tenant, pacing, stack: contextlib.AsyncExitStack):
    """One organisation's bot: its application (handlers bound to its Desk) and its intake worker; returns its
    transport, application and worker (updates reach the worker once start_receiving has run)."""
    first = tenant.desk is components.desk
    deps = bot_deps(components, pacing.overall_only(), desk=tenant.desk)
    application = build_application(bot_config(components.settings, tenant), deps)
    # Staff replies sent from a handler go to web visitors' feeds too, not only to Telegram chats.
    deps.deliverer.transport = with_web(components, deps.transport)
    thread = sending_thread(components) if first else None  # its transport is organisation 1's bot
    if thread is not None:
        await thread.start()
        stack.push_async_callback(thread.close)  # after the handlers and the intake have stopped
        deps.deliverer.thread = thread
    await stack.enter_async_context(application)
    await application.start()
    stack.push_async_callback(application.stop)
    # One lease setting for the intake's claims and the outbox's: a dead replica's both run out together.
    lease = timedelta(seconds=components.settings.lease_seconds)
    worker = IntakeWorker(application, components.store, clock=utc_now, lease=lease,
                          organisation_id=tenant.organisation_id)
    worker.start()  # what an earlier run stored and did not handle comes first
    stack.push_async_callback(worker.stop)
    return deps.transport, application, worker


async def start_receiving(components: Components, bots: list, stack: contextlib.AsyncExitStack) -> list:
    """What feeds the bots' intake workers: one webhook server with a route per bot (WEBHOOK_URL set), else
    a poller per bot token; returns them, to be stopped first."""
    if components.settings.webhook_url:
        (_, application, worker), *others = bots
        receiving = [WebhookServer(components, application, worker, others=others)]
    else:
        receiving = [
            DurablePoller(application, components.store, worker, clock=utc_now, timeout=POLL_TIMEOUT_SECONDS)
            for _, application, worker in bots
        ]
    for each in receiving:
        await each.start()
        stack.push_async_callback(each.stop)
    return receiving


async def start_monitoring(components: Components, stack: contextlib.AsyncExitStack, *, with_web_chat: bool) -> None:
    """/healthz and /metrics on WEBHOOK_LISTEN:CHARTERDESK_METRICS_PORT (the webhook server has its own); a polling
    bot serves its public pages and the web chat there too, as the webhook server does."""
    settings = components.settings
    app = build_public_app(components) if with_web_chat else build_monitoring_app(components)
    server = HttpServer(app, host=settings.webhook_listen, port=settings.metrics_port)
    try:
        url = await server.start()
    except OSError as exc:
        raise StartupError(
            f"cannot listen on {settings.webhook_listen}:{settings.metrics_port} (CHARTERDESK_METRICS_PORT): {exc}"
        ) from exc
    stack.push_async_callback(server.stop)
    log.info("health and metrics on %s", url)


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
