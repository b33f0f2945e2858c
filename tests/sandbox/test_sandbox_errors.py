"""Telegram-shaped errors and injected faults over raw HTTP."""

from __future__ import annotations

import httpx
import pytest

from sandbox.methods_messages import NOT_MODIFIED

CITIZEN = 2001


def _error(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert body["ok"] is False and body["error_code"] == response.status_code
    return response.status_code, body["description"]


async def test_unknown_method_and_bad_token(http, api):
    assert (await http.post(api + "sendPigeon")).json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found",
    }
    assert _error(await http.post("/bot999:WRONG/getMe")) == (401, "Unauthorized")
    me = (await http.get(api + "GETME")).json()["result"]  # method names are case-insensitive
    assert me["id"] == 123456 and me["is_bot"] and me["username"] == "charterdesk_bot"


async def test_send_message_validation(sandbox, http, api):
    assert _error(await http.post(api + "sendMessage", data={"chat_id": "42", "text": "x"})) == (
        400,
        "Bad Request: chat not found",
    )
    sandbox.user(CITIZEN)
    assert _error(await http.post(api + "sendMessage", data={"chat_id": str(CITIZEN), "text": "   "})) == (
        400,
        "Bad Request: message text is empty",
    )
    assert _error(await http.post(api + "sendMessage", json={"chat_id": CITIZEN, "text": "a" * 4097})) == (
        400,
        "Bad Request: message is too long",
    )
    assert (await http.post(api + "sendMessage", json={"chat_id": CITIZEN, "text": "a" * 4096})).json()["ok"]
    _, description = _error(
        await http.post(
            api + "sendMessage",
            json={"chat_id": CITIZEN, "text": "Ticket I-1042.", "parse_mode": "MarkdownV2"},
        )
    )
    assert (
        description
        == "Bad Request: can't parse entities: Character '-' is reserved and must be escaped with the preceding '\\'"
    )
    long_data = {"inline_keyboard": [[{"text": "x", "callback_data": "d" * 65}]]}
    assert _error(
        await http.post(
            api + "sendMessage", json={"chat_id": CITIZEN, "text": "x", "reply_markup": long_data}
        )
    ) == (400, "Bad Request: BUTTON_DATA_INVALID")
    assert _error(
        await http.post(
            api + "sendMessage", json={"chat_id": CITIZEN, "text": "x", "reply_to_message_id": 99}
        )
    ) == (400, "Bad Request: message to be replied not found")


async def test_edit_errors(sandbox, http, api):
    sandbox.user(CITIZEN)
    markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
    sent = (
        await http.post(api + "sendMessage", data={"chat_id": CITIZEN, "text": "Hi", "reply_markup": markup})
    ).json()["result"]
    same = {"chat_id": CITIZEN, "message_id": sent["message_id"], "text": "Hi", "reply_markup": markup}
    assert _error(await http.post(api + "editMessageText", data=same)) == (
        400,
        f"Bad Request: {NOT_MODIFIED}",
    )
    same_markup = {"chat_id": CITIZEN, "message_id": sent["message_id"], "reply_markup": markup}
    assert _error(await http.post(api + "editMessageReplyMarkup", data=same_markup)) == (
        400,
        f"Bad Request: {NOT_MODIFIED}",
    )
    assert _error(await http.post(api + "editMessageText", json={**same, "message_id": 77})) == (
        400,
        "Bad Request: message to edit not found",
    )
    user_message = await sandbox.send_text(CITIZEN, "mine")
    assert _error(
        await http.post(api + "editMessageText", json={**same, "message_id": user_message["message_id"]})
    ) == (400, "Bad Request: message can't be edited")
    cleared = (
        await http.post(
            api + "editMessageReplyMarkup", json={"chat_id": CITIZEN, "message_id": sent["message_id"]}
        )
    ).json()
    assert "reply_markup" not in cleared["result"] and cleared["result"]["edit_date"] >= sent["date"]
    assert _error(await http.post(api + "answerCallbackQuery", json={"callback_query_id": "123"}))[
        1
    ].startswith("Bad Request: query is too old")


async def test_fault_500_then_normal(sandbox, http, api):
    sandbox.faults.add(method="getMe", error_code=500, times=2)
    assert _error(await http.post(api + "getMe")) == (500, "Internal Server Error")
    assert _error(await http.post(api + "getMe")) == (500, "Internal Server Error")
    assert (await http.post(api + "getMe")).json()["ok"] is True
    assert sandbox.calls["getMe"] == 3


async def test_fault_429_body_has_retry_after(sandbox, http, api):
    sandbox.user(CITIZEN)
    sandbox.faults.add(method="sendMessage", chat_id=CITIZEN, error_code=429, retry_after=7)
    response = await http.post(api + "sendMessage", json={"chat_id": CITIZEN, "text": "x"})
    assert response.status_code == 429
    assert response.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }


async def test_stall_then_answer_and_stall_past_client_timeout(sandbox, http, api):
    sandbox.user(CITIZEN)
    sandbox.faults.add(method="sendMessage", stall_seconds=0.1)
    assert (await http.post(api + "sendMessage", json={"chat_id": CITIZEN, "text": "slow"})).json()["ok"]
    sandbox.faults.add(method="sendMessage", stall_seconds=60)
    with pytest.raises(httpx.ReadTimeout):
        await http.post(api + "sendMessage", json={"chat_id": CITIZEN, "text": "lost"}, timeout=0.3)
    assert sandbox.calls["sendMessage"] == 2
