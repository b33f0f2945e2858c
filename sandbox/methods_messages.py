"""Bot API methods that send, edit, copy and delete messages and files."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .errors import bad_request
from .files import StoredFile, document, file_object, photo_sizes
from .formatting import format_text
from .markup import check_reply_markup
from .params import Params
from .world import snapshot

if TYPE_CHECKING:
    from .server import Sandbox

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
_META_FIELDS = (
    "parse_mode",
    "reply_markup",
    "reply_parameters",
    "reply_to_message_id",
    "disable_notification",
    "protect_content",
    "message_thread_id",
    "link_preview_options",
    "text",
    "caption",
)
_COPYABLE = ("text", "entities", "photo", "document", "sticker", "location", "caption", "caption_entities")
_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}


def target_chat(sb: Sandbox, p: Params, field: str = "chat_id") -> dict[str, Any]:
    """The chat a call is about, or Telegram's "chat not found"."""
    chat = sb.world.find_chat(p.require(field))
    if chat is None:
        raise bad_request("chat not found")
    return chat


def _reply_target(sb: Sandbox, chat: dict[str, Any], p: Params) -> dict[str, Any] | None:
    """The message being replied to (one level deep, as Telegram nests it), if any."""
    reply = p.get("reply_parameters") or {}
    message_id = reply.get("message_id") or p.get("reply_to_message_id")
    if not message_id:
        return None
    chat_id = reply.get("chat_id", chat["id"])
    target = sb.world.message(
        int(chat_id) if str(chat_id).lstrip("-").isdigit() else chat["id"], int(message_id)
    )
    if target is None:
        if reply.get("allow_sending_without_reply") or p.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    target = snapshot(target)
    target.pop("reply_to_message", None)
    return target


def _send(sb: Sandbox, chat: dict[str, Any], p: Params, content: dict[str, Any]) -> dict[str, Any]:
    """Store a bot message with the markup and reply the call asked for."""
    markup = check_reply_markup(p.get("reply_markup"))
    # Message.reply_markup only ever holds an inline keyboard; other keyboards live in the meta.
    if markup and "inline_keyboard" in markup:
        content["reply_markup"] = markup
    reply = _reply_target(sb, chat, p)
    if reply:
        content["reply_to_message"] = reply
    meta = {field: p.get(field) for field in _META_FIELDS if p.get(field) is not None}
    message = sb.world.add_message(chat["id"], sb.bot_user, content, meta)
    return snapshot(message)


def _caption(p: Params) -> dict[str, Any]:
    caption = p.get("caption")
    if not caption:
        return {}
    text, entities = format_text(
        caption, p.get("parse_mode"), p.get("caption_entities"), limit=1024, what="caption"
    )
    return {"caption": text, **({"caption_entities": entities} if entities else {})} if text else {}


def _input_file(sb: Sandbox, p: Params, field: str) -> StoredFile:
    """The file a send call carries: an upload, an attach:// part, a known file_id or a URL."""
    ref = p.get(field)
    upload = p.files.get(field)
    if upload is None and isinstance(ref, str) and ref.startswith("attach://"):
        upload = p.files.get(ref.removeprefix("attach://"))
    if upload is not None:
        return sb.files.put(
            upload.content, kind=field, file_name=upload.filename, mime_type=upload.content_type
        )
    if not ref:
        raise bad_request(f"there is no {field} in the request")
    if ref.startswith(("http://", "https://")):
        # No internet here: a URL becomes an empty file so the bot's flow still completes.
        return sb.files.put(b"", kind=field, file_name=ref.rsplit("/", 1)[-1] or None)
    stored = sb.files.get(ref)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind != field:
        raise bad_request(f"can't use file of type {stored.kind.title()} as {field.title()}")
    return stored


async def send_message(sb: Sandbox, p: Params) -> dict[str, Any]:
    """sendMessage."""
    chat = target_chat(sb, p)
    text, entities = format_text(
        str(p.get("text", "")), p.get("parse_mode"), p.get("entities"), limit=4096, what="message"
    )
    return _send(sb, chat, p, {"text": text, **({"entities": entities} if entities else {})})


async def send_photo(sb: Sandbox, p: Params) -> dict[str, Any]:
    """sendPhoto."""
    chat = target_chat(sb, p)
    content = {"photo": photo_sizes(_input_file(sb, p, "photo")), **_caption(p)}
    return _send(sb, chat, p, content)


async def send_document(sb: Sandbox, p: Params) -> dict[str, Any]:
    """sendDocument."""
    chat = target_chat(sb, p)
    content = {"document": document(_input_file(sb, p, "document")), **_caption(p)}
    return _send(sb, chat, p, content)


def _editable(sb: Sandbox, p: Params) -> dict[str, Any]:
    if p.get("inline_message_id"):
        raise bad_request("inline messages are not supported by the sandbox")
    chat = target_chat(sb, p)
    message = sb.world.message(chat["id"], p.require("message_id"))
    if message is None:
        raise bad_request("message to edit not found")
    if message["from"]["id"] != sb.bot_user["id"]:
        raise bad_request("message can't be edited")
    return message


def _edit(
    sb: Sandbox, message: dict[str, Any], new: dict[str, Any], fields: tuple[str, ...]
) -> dict[str, Any]:
    """Apply an edit unless it changes nothing (Telegram answers 400 then)."""
    if all(message.get(field) == new.get(field) for field in fields):
        raise bad_request(NOT_MODIFIED)
    chat_id = message["chat"]["id"]
    changes = {**{k: v for k, v in new.items() if v is not None}, "edit_date": int(time.time())}
    edited = sb.world.change_message(chat_id, message["message_id"], changes, remove=fields)
    return snapshot(edited)


async def edit_message_text(sb: Sandbox, p: Params) -> dict[str, Any]:
    """editMessageText (no reply_markup removes the inline keyboard, as in Telegram)."""
    message = _editable(sb, p)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    text, entities = format_text(
        str(p.get("text", "")), p.get("parse_mode"), p.get("entities"), limit=4096, what="message"
    )
    new = {
        "text": text,
        "entities": entities or None,
        "reply_markup": check_reply_markup(p.get("reply_markup")),
    }
    return _edit(sb, message, new, ("text", "entities", "reply_markup"))


async def edit_message_reply_markup(sb: Sandbox, p: Params) -> dict[str, Any]:
    """editMessageReplyMarkup."""
    message = _editable(sb, p)
    return _edit(sb, message, {"reply_markup": check_reply_markup(p.get("reply_markup"))}, ("reply_markup",))


async def delete_message(sb: Sandbox, p: Params) -> bool:
    """deleteMessage."""
    chat = target_chat(sb, p)
    if not sb.world.delete_message(chat["id"], p.require("message_id")):
        raise bad_request("message to delete not found")
    return True


def _source(sb: Sandbox, p: Params, verb: str) -> dict[str, Any]:
    chat = target_chat(sb, p, "from_chat_id")
    message = sb.world.message(chat["id"], p.require("message_id"))
    if message is None:
        raise bad_request(f"message to {verb} not found")
    return message


async def copy_message(sb: Sandbox, p: Params) -> dict[str, int]:
    """copyMessage (answers a MessageId)."""
    chat = target_chat(sb, p)
    source = _source(sb, p, "copy")
    content = {field: snapshot(source[field]) for field in _COPYABLE if field in source}
    if p.get("caption") is not None:
        content = {k: v for k, v in content.items() if not k.startswith("caption")} | _caption(p)
    return {"message_id": _send(sb, chat, p, content)["message_id"]}


async def forward_message(sb: Sandbox, p: Params) -> dict[str, Any]:
    """forwardMessage."""
    chat = target_chat(sb, p)
    source = _source(sb, p, "forward")
    content = {field: snapshot(source[field]) for field in _COPYABLE if field in source}
    content["forward_origin"] = {
        "type": "user",
        "sender_user": snapshot(source["from"]),
        "date": source["date"],
    }
    return _send(sb, chat, p, content)


async def get_file(sb: Sandbox, p: Params) -> dict[str, Any]:
    """getFile."""
    stored = sb.files.get(p.require("file_id"))
    if stored is None:
        raise bad_request("invalid file_id")
    return file_object(stored)


async def send_chat_action(sb: Sandbox, p: Params) -> bool:
    """sendChatAction."""
    target_chat(sb, p)
    if p.get("action") not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


async def answer_callback_query(sb: Sandbox, p: Params) -> bool:
    """answerCallbackQuery (each query can be answered once)."""
    query_id = str(p.require("callback_query_id"))
    query = sb.world.callback_queries.get(query_id)
    if query is None or query["answered"]:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    query["answered"] = True
    answer = {
        "callback_query_id": query_id,
        "chat_id": query["chat_id"],
        "message_id": query["message_id"],
        "text": p.get("text"),
        "show_alert": bool(p.get("show_alert", False)),
        "url": p.get("url"),
        "cache_time": p.get("cache_time", 0),
    }
    sb.world.add_callback_answer(answer)
    return True


METHODS = {
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "editMessageText": edit_message_text,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "copyMessage": copy_message,
    "forwardMessage": forward_message,
    "getFile": get_file,
    "sendChatAction": send_chat_action,
    "answerCallbackQuery": answer_callback_query,
}
