"""One function per process, from the environment to a running process: settings (read once, here),
then the parts (charterdesk/assembly.py), then serving until a signal, then a clean shutdown."""

import asyncio
from urllib.parse import urlencode
import logging
import os
from pathlib import Path

from pydantic import ValidationError

from charterdesk.assembly import assemble, missing_tokens, open_keyring, open_store
from charterdesk.errors import StartupError
from charterdesk.processes import demo_settings, serve, stop_on_signals
from charterdesk.settings import Settings
from infra.database import StoreError

log = logging.getLogger(__name__)

EXAMPLE_CHARTER = Path(__file__).resolve().parent.parent / "charter.yml"
# The promise is "exit within 30 s of SIGTERM" (Kubernetes' default grace period; compose: stop_grace_period).
STOP_DEADLINE_SECONDS = 28.0


def read_settings() -> Settings:
    """Settings from the environment and .env, or a StartupError naming the bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise StartupError(f"invalid configuration: {problems}") from exc


async def serve_from_env(*, bot: bool, scheduler: bool) -> None:
    """`charterdesk run|bot|scheduler` (and webhook mode when WEBHOOK_URL is set)."""
    settings = read_settings()
    if not settings.telegram_bot_token:
        raise StartupError("TELEGRAM_BOT_TOKEN is not set (`charterdesk demo` runs without one)")
    if settings.webhook_url and not settings.webhook_url.startswith(("https://", "http://")):
        raise StartupError(f"WEBHOOK_URL must be an https:// URL Telegram can reach, not {settings.webhook_url!r}")
    components = await assemble(settings)
    try:
        missing = missing_tokens(components)
    except StartupError:
        await components.close()
        raise
    if missing:
        await components.close()
        raise StartupError(f"no bot token: set {'; '.join(missing)} (or `charterdesk org disable` the organisation)")
    stop = stop_on_signals()
    watchdog = asyncio.create_task(exit_if_stopping_hangs(stop))
    try:
        await serve(components, bot=bot, scheduler=scheduler, stop=stop)
    finally:
        await components.close()
        watchdog.cancel()


async def exit_if_stopping_hangs(stop: asyncio.Event) -> None:
    """Once asked to stop, exit within STOP_DEADLINE_SECONDS whatever hangs (e.g. a stuck request).

    Cutting work off is safe: stored updates are handled at the next start and outbox leases run out.
    """
    await stop.wait()
    await asyncio.sleep(STOP_DEADLINE_SECONDS)
    log.error("stopping took longer than %s s; exiting now", STOP_DEADLINE_SECONDS)
    logging.shutdown()
    os._exit(1)


async def migrate_from_env() -> None:
    """`charterdesk migrate`."""
    settings = read_settings()
    # Existing rows are encrypted with these keys on the way to 0005_encryption.
    store = open_store(settings, open_keyring(settings))
    try:
        await store.migrate()
    except StoreError as exc:
        raise StartupError(str(exc)) from exc
    finally:
        await store.dispose()
    log.info("database at %s is up to date", store.safe_url)


async def demo_from_env(*, host: str, port: int) -> None:
    """`charterdesk demo`: the sandbox Bot API and chat page, then bot + scheduler against it."""
    from charterdesk.web import start_web
    from sandbox.server import Sandbox

    settings = read_settings()
    if "charter_file" not in settings.model_fields_set and not settings.charter_file.exists():
        # Run from anywhere: without a charter here or in CHARTER_FILE, the demo keeps the example one.
        settings = settings.model_copy(update={"charter_file": EXAMPLE_CHARTER})
    components = await assemble(settings)
    # The demo's sandbox has one bot: organisation 1's (other organisations need tokens of their own).
    components.tenants = components.tenants[:1]
    sandbox = Sandbox()
    url = await sandbox.start(host=host, port=port)
    web_server = None
    try:
        # The public compliance page, on the next port (any free one with --port 0 or if that is taken).
        web_server, web_url = await start_web(components, host=host, port=port + 1 if port else 0)
        components.settings = demo_settings(settings, api_url=sandbox.bot_api_url, token=sandbox.token)
        _seed_demo_people(sandbox, components)
        print(f"\nCharterdesk demo is running.\n  Citizen chat:  {url}/\n  Staff chat:    {staff_link(url, components.charter)}"
              f"\n  Compliance:    {web_url}/compliance\n  Web chat:      {web_url}/web/sample (a sample homepage)"
              f"\n  Press Ctrl-C to stop.\n", flush=True)
        await serve(components, bot=True, scheduler=True, stop=stop_on_signals())
    finally:
        if web_server is not None:
            await web_server.stop()
        await sandbox.stop()
        await components.close()


def staff_link(url: str, charter) -> str:
    """The chat page joined as the charter's first staff member, in its staff chat: staff commands work there."""
    member = charter.staff[0]
    query = urlencode({"as": "staff", "chat": charter.staff_chat_id, "user": member.telegram_id, "name": member.name})
    return f"{url}/?{query}"


def _seed_demo_people(sandbox, components) -> None:
    charter = components.charter
    sandbox.group(charter.staff_chat_id, f"{charter.organisation.name} staff")
    for member in charter.staff:
        sandbox.user(member.telegram_id, member.name)
