"""HTTP routes under /sandbox/api/ for the chat page and other processes (JSON in, JSON out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .botapi import SANDBOX
from .world import snapshot

if TYPE_CHECKING:
    from .server import Sandbox

PREFIX = "/sandbox/api"


def _fail(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text='{"error": "expected a JSON object"}', content_type="application/json")
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text='{"error": "expected a JSON object"}', content_type="application/json")
    return body


@web.middleware
async def _errors(request: web.Request, handler):
    """Turn a bad argument into a 400 and an unknown chat/message into a 404, as JSON."""
    if not request.path.startswith(PREFIX):
        return await handler(request)
    try:
        return await handler(request)
    except KeyError as exc:
        return _fail(400, f"missing field {exc}")
    except LookupError as exc:
        return _fail(404, str(exc).strip("'\""))
    except (ValueError, TypeError) as exc:
        return _fail(400, str(exc))


def _sb(request: web.Request) -> Sandbox:
    return request.app[SANDBOX]


def _opt_int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


async def post_user(request: web.Request) -> web.Response:
    """Register a user: {user_id, first_name?, last_name?, username?, language_code?}."""
    b = await _body(request)
    user = _sb(request).user(
        int(b["user_id"]),
        b.get("first_name") or "Citizen",
        last_name=b.get("last_name"),
        username=b.get("username"),
        language_code=b.get("language_code"),
    )
    return web.json_response(user)


async def post_group(request: web.Request) -> web.Response:
    """Register a group chat: {chat_id, title, type?}."""
    b = await _body(request)
    chat = _sb(request).group(
        int(b["chat_id"]), b.get("title") or f"Group {b['chat_id']}", chat_type=b.get("type")
    )
    return web.json_response(chat)


async def post_send(request: web.Request) -> web.Response:
    """A user writes: {user_id, chat_id?, text, reply_to_message_id?}."""
    b = await _body(request)
    message = await _sb(request).send_text(
        int(b["user_id"]),
        str(b.get("text", "")),
        chat_id=_opt_int(b.get("chat_id")),
        reply_to_message_id=_opt_int(b.get("reply_to_message_id")),
    )
    return web.json_response(message)


async def post_send_file(request: web.Request) -> web.Response:
    """A user sends a file (multipart: user_id, chat_id?, caption?, file); images go as photos."""
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        return _fail(400, "a multipart part named 'file' is required")
    sb, user_id = _sb(request), int(str(form["user_id"]))
    chat_id, caption = _opt_int(form.get("chat_id")), str(form.get("caption") or "") or None
    content = upload.file.read()
    if (upload.content_type or "").startswith("image/"):
        message = await sb.send_photo(user_id, caption, chat_id=chat_id, content=content)
    else:
        message = await sb.send_document(
            user_id,
            caption,
            chat_id=chat_id,
            content=content,
            file_name=upload.filename or "file",
            mime_type=upload.content_type or "application/octet-stream",
        )
    return web.json_response(message)


async def post_press(request: web.Request) -> web.Response:
    """A user presses an inline button: {user_id, chat_id, message_id, data}."""
    b = await _body(request)
    query_id = await _sb(request).press_button(
        int(b["user_id"]), int(b["chat_id"]), int(b["message_id"]), str(b["data"])
    )
    return web.json_response({"callback_query_id": query_id})


async def post_redeliver(request: web.Request) -> web.Response:
    """Deliver an earlier update again under a new update_id: {update_id}."""
    b = await _body(request)
    return web.json_response(_sb(request).redeliver(int(b["update_id"])))


async def get_chats(request: web.Request) -> web.Response:
    """Every chat with its message count."""
    world = _sb(request).world
    chats = [
        {
            "chat": chat,
            "message_count": len(world.chat_messages(chat_id)),
            "last_message_id": max((m["message_id"] for m in world.chat_messages(chat_id)), default=0),
        }
        for chat_id, chat in world.chats.items()
    ]
    return web.json_response(chats)


async def get_messages(request: web.Request) -> web.Response:
    """Messages of a chat after ?after=ID and changed since ?since=REVISION; ?wait=S long-polls."""
    sb = _sb(request)
    world, chat_id = sb.world, int(request.match_info["chat_id"])
    if world.find_chat(chat_id) is None:
        return _fail(404, f"chat {chat_id} is not registered")
    after = int(request.query.get("after", 0))
    since = int(request.query.get("since", 0))
    wait = min(max(float(request.query.get("wait", 0)), 0.0), 60.0)

    def collect() -> tuple[list[dict[str, Any]], list[int], list[dict[str, Any]]]:
        changed, deleted = world.changes_since(chat_id, since)
        return [m for m in changed if m["message_id"] > after], deleted, world.answers_since(chat_id, since)

    await world.messages_changed.wait_until(lambda: world.closed or any(collect()), wait)
    messages, deleted, answers = collect()
    return web.json_response(
        {
            "messages": [{**snapshot(m), "_sandbox": world.meta(chat_id, m["message_id"])} for m in messages],
            "deleted": deleted,
            "callback_answers": answers,
            "revision": world.revision,
        }
    )


async def get_commands(request: web.Request) -> web.Response:
    """The command menu a user sees in a chat (?user_id=)."""
    menu = _sb(request).command_menu(
        int(request.match_info["chat_id"]), _opt_int(request.query.get("user_id"))
    )
    return web.json_response(menu)


async def get_bot(request: web.Request) -> web.Response:
    """The bot's profile and where its Bot API lives."""
    sb = _sb(request)
    return web.json_response({"user": sb.bot_profile, "bot_api_url": sb.bot_api_url})


async def get_file(request: web.Request) -> web.Response:
    """A stored file's bytes by file_id (for showing photos on the page)."""
    stored = _sb(request).files.get(request.match_info["file_id"])
    if stored is None:
        return _fail(404, "no such file")
    return web.Response(body=stored.content, content_type=stored.mime_type or "application/octet-stream")


async def get_faults(request: web.Request) -> web.Response:
    """Planned faults."""
    return web.json_response([fault.to_dict() for fault in _sb(request).faults])


async def post_fault(request: web.Request) -> web.Response:
    """Plan a fault: {method?, chat_id?, error_code?, retry_after?, description?, stall_seconds?, times?}."""
    b = await _body(request)
    allowed = {"method", "chat_id", "error_code", "retry_after", "description", "stall_seconds", "times"}
    if unknown := set(b) - allowed:
        return _fail(400, f"unknown fields: {sorted(unknown)}")
    return web.json_response(_sb(request).faults.add(**b).to_dict())


async def delete_faults(request: web.Request) -> web.Response:
    """Cancel every planned fault."""
    _sb(request).faults.clear()
    return web.json_response({"ok": True})


async def delete_fault(request: web.Request) -> web.Response:
    """Cancel one planned fault."""
    return web.json_response({"ok": _sb(request).faults.remove(int(request.match_info["fault_id"]))})


async def get_calls(request: web.Request) -> web.Response:
    """Bot API calls counted per method."""
    return web.json_response(dict(_sb(request).calls))


def add_routes(app: web.Application) -> None:
    """Mount the user API on an application."""
    app.middlewares.append(_errors)
    r = app.router
    r.add_post(f"{PREFIX}/users", post_user)
    r.add_post(f"{PREFIX}/groups", post_group)
    r.add_post(f"{PREFIX}/send", post_send)
    r.add_post(f"{PREFIX}/send_file", post_send_file)
    r.add_post(f"{PREFIX}/press", post_press)
    r.add_post(f"{PREFIX}/redeliver", post_redeliver)
    r.add_get(f"{PREFIX}/chats", get_chats)
    r.add_get(f"{PREFIX}/chats/{{chat_id}}/messages", get_messages)
    r.add_get(f"{PREFIX}/chats/{{chat_id}}/commands", get_commands)
    r.add_get(f"{PREFIX}/bot", get_bot)
    r.add_get(f"{PREFIX}/files/{{file_id}}", get_file)
    r.add_get(f"{PREFIX}/faults", get_faults)
    r.add_post(f"{PREFIX}/faults", post_fault)
    r.add_delete(f"{PREFIX}/faults", delete_faults)
    r.add_delete(f"{PREFIX}/faults/{{fault_id}}", delete_fault)
    r.add_get(f"{PREFIX}/calls", get_calls)
