"""Checks on reply_markup, with the errors Telegram gives for broken keyboards."""

from __future__ import annotations

from typing import Any

from .errors import bad_request

_ACTIONS = {
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "callback_game",
    "pay",
    "web_app",
    "copy_text",
}
_OTHER_MARKUPS = ("keyboard", "remove_keyboard", "force_reply")
# Telegram refuses an inline keyboard of more buttons than these (observed, not documented).
MAX_BUTTONS = 100
MAX_ROW = 8


def check_reply_markup(markup: Any) -> dict[str, Any] | None:
    """The markup if Telegram would accept it, else its 400."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline(markup["inline_keyboard"])
        return markup
    if any(key in markup for key in _OTHER_MARKUPS):
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def _check_inline(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    if sum(map(len, rows)) > MAX_BUTTONS or any(len(row) > MAX_ROW for row in rows):
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    for button in (button for row in rows for button in row):
        if not isinstance(button, dict) or not button.get("text"):
            raise bad_request("can't parse inline keyboard button: Text must be non-empty")
        if not _ACTIONS & button.keys():
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
            )
        data = button.get("callback_data")
        # A classic bug: callback_data is limited to 64 bytes, not characters.
        if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
        url = button.get("url")
        if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
            raise bad_request("BUTTON_URL_INVALID")


def inline_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every inline button of a message, row by row."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]
