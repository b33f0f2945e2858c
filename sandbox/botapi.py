"""HTTP routes of the Bot API: /bot<token>/<method> and /file/bot<token>/<path>."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from . import methods_bot, methods_messages, methods_updates
from .errors import ApiError, ok
from .params import read_params

if TYPE_CHECKING:
    from .server import Sandbox

SANDBOX: web.AppKey[Sandbox] = web.AppKey("sandbox")

# Telegram matches method names case-insensitively.
_METHODS = {
    name.lower(): (name, method)
    for table in (methods_bot.METHODS, methods_messages.METHODS, methods_updates.METHODS)
    for name, method in table.items()
}


async def handle_method(request: web.Request) -> web.Response:
    """One Bot API call: auth, method lookup, injected faults, then the method itself."""
    sb = request.app[SANDBOX]
    if request.match_info["token"] != sb.token:
        return ApiError(401, "Unauthorized").response()
    entry = _METHODS.get(request.match_info["method"].lower())
    if entry is None:
        return ApiError(404, "Not Found").response()
    name, method = entry
    sb.calls[name] += 1
    try:
        params = await read_params(request)
        chat = sb.world.find_chat(params.get("chat_id")) if params.get("chat_id") is not None else None
        try:
            sb.flood.check(name, chat)
        except ApiError as refused:
            sb.faults.note(name, params.get("chat_id"), refused)
            raise
        fault = sb.faults.take(name, params.get("chat_id"))
        if fault is not None:
            if fault.stall_seconds:
                await sb.world.messages_changed.wait_until(lambda: sb.world.closed, fault.stall_seconds)
            if (error := fault.error()) is not None:
                raise error
        result = await method(sb, params)
        sb.flood.posted(name, chat)
        return ok(result)
    except ApiError as exc:
        return exc.response()


async def handle_file(request: web.Request) -> web.StreamResponse:
    """Download a file by its getFile path, as from api.telegram.org/file/bot<token>/<path>."""
    sb = request.app[SANDBOX]
    if request.match_info["token"] != sb.token:
        return ApiError(401, "Unauthorized").response()
    stored = sb.files.by_path(request.match_info["file_path"])
    if stored is None:
        return ApiError(404, "Not Found").response()
    return web.Response(body=stored.content, content_type=stored.mime_type or "application/octet-stream")


def add_routes(app: web.Application) -> None:
    """Mount the Bot API on an application."""
    app.router.add_route("*", "/bot{token}/{method}", handle_method)
    app.router.add_get("/file/bot{token}/{file_path:.+}", handle_file)
