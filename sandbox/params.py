"""Read Bot API parameters from any of the encodings Telegram accepts, typed per field."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import ApiError, bad_request

# Form and query values are strings; these fields are typed in the Bot API.
INT_FIELDS = {
    "offset",
    "limit",
    "timeout",
    "message_id",
    "reply_to_message_id",
    "message_thread_id",
    "max_connections",
    "cache_time",
    "from_chat_id",
    "user_id",
}
FLOAT_FIELDS = {"latitude", "longitude"}
BOOL_FIELDS = {
    "drop_pending_updates",
    "show_alert",
    "disable_notification",
    "protect_content",
    "disable_web_page_preview",
    "allow_sending_without_reply",
    "has_spoiler",
    "disable_content_type_detection",
    "allow_paid_broadcast",
    "show_caption_above_media",
}
# PTB (like most clients) sends objects and arrays JSON-encoded inside form fields.
JSON_FIELDS = {
    "reply_markup",
    "reply_parameters",
    "entities",
    "caption_entities",
    "allowed_updates",
    "commands",
    "scope",
    "link_preview_options",
    "media",
}


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    content: bytes


class Params:
    """Typed access to one request's parameters and uploaded files."""

    def __init__(self, values: dict[str, Any], files: dict[str, Upload] | None = None):
        self.values = {name: _coerce(name, value) for name, value in values.items()}
        self.files = files or {}

    def get(self, name: str, default: Any = None) -> Any:
        """The value of `name`, or default when absent."""
        value = self.values.get(name)
        return default if value is None else value

    def require(self, name: str, description: str | None = None) -> Any:
        """The value of `name`, or a 400 "<name> is empty"."""
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(description or f"{name} is empty")
        return value


def _coerce(name: str, value: Any) -> Any:
    """Type one raw value according to the Bot API field it belongs to."""
    if not isinstance(value, str):
        return value
    try:
        if name == "chat_id":
            # A chat may also be addressed as "@username".
            return int(value) if value.lstrip("-").isdigit() else value
        if name in INT_FIELDS:
            return int(value)
        if name in FLOAT_FIELDS:
            return float(value)
        if name in BOOL_FIELDS:
            return value.strip().lower() in ("true", "1", "yes")
        if name in JSON_FIELDS:
            return json.loads(value) if value.strip() else None
    except ValueError as exc:
        raise bad_request(f"can't parse {name} parameter") from exc
    return value


async def read_params(request: web.Request) -> Params:
    """Collect parameters from the query string and a JSON, form or multipart body."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("can't parse JSON request body") from exc
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON body must be an object")
            values.update(body)
        else:
            form = await request.post()
            for name, field in form.items():
                if isinstance(field, web.FileField):
                    files[name] = Upload(field.filename, field.content_type, field.file.read())
                else:
                    values[name] = field
    return Params(values, files)
