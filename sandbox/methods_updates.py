"""Bot API methods that hand updates to the bot: getUpdates and the webhook settings."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .errors import ApiError, bad_request
from .params import Params
from .world import snapshot

if TYPE_CHECKING:
    from .server import Sandbox

WEBHOOK_CONFLICT = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
POLLER_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


async def get_updates(sb: Sandbox, p: Params) -> list[dict[str, Any]]:
    """getUpdates: confirm below offset, then long-poll up to timeout seconds."""
    world = sb.world
    if world.webhook:
        raise ApiError(409, WEBHOOK_CONFLICT)
    limit = p.get("limit", 100)
    limit = 100 if limit <= 0 else min(limit, 100)
    if p.get("allowed_updates") is not None:
        world.allowed_updates = set(p.get("allowed_updates")) or None
    world.confirm(p.get("offset", 0))
    # Like Telegram, a newer getUpdates ends an older one still waiting (two bot instances).
    world.poll_generation += 1
    mine = world.poll_generation
    world.updates_changed.fire()
    await world.updates_changed.wait_until(
        lambda: world.closed or world.poll_generation != mine or world.webhook or world.pending,
        max(float(p.get("timeout", 0)), 0.0),
    )
    if world.poll_generation != mine:
        raise ApiError(409, POLLER_CONFLICT)
    if world.webhook:
        raise ApiError(409, WEBHOOK_CONFLICT)
    return snapshot(world.pending[:limit])


async def set_webhook(sb: Sandbox, p: Params) -> bool:
    """setWebhook (an empty url removes the webhook, as in Telegram)."""
    world = sb.world
    url = p.get("url", "")
    if p.get("drop_pending_updates"):
        world.drop_pending()
    if not url:
        world.webhook = None
        world.updates_changed.fire()
        return True
    # Telegram insists on HTTPS; the sandbox pushes to local receivers, so plain HTTP is fine.
    if not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTP(S) URL must be provided for webhook")
    secret = p.get("secret_token")
    if secret is not None and not _SECRET.match(secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    if p.get("allowed_updates") is not None:
        world.allowed_updates = set(p.get("allowed_updates")) or None
    world.webhook = {
        "url": url,
        "secret_token": secret,
        "max_connections": p.get("max_connections", 40),
        "last_error_date": None,
        "last_error_message": None,
    }
    world.updates_changed.fire()
    return True


async def delete_webhook(sb: Sandbox, p: Params) -> bool:
    """deleteWebhook."""
    if p.get("drop_pending_updates"):
        sb.world.drop_pending()
    sb.world.webhook = None
    sb.world.updates_changed.fire()
    return True


async def get_webhook_info(sb: Sandbox, p: Params) -> dict[str, Any]:
    """getWebhookInfo."""
    world = sb.world
    hook = world.webhook or {}
    info: dict[str, Any] = {
        "url": hook.get("url", ""),
        "has_custom_certificate": False,
        "pending_update_count": len(world.pending),
    }
    if hook:
        info["max_connections"] = hook["max_connections"]
        if world.allowed_updates is not None:
            info["allowed_updates"] = sorted(world.allowed_updates)
        if hook["last_error_date"]:
            info["last_error_date"] = hook["last_error_date"]
            info["last_error_message"] = hook["last_error_message"]
    return info


METHODS = {
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
}
