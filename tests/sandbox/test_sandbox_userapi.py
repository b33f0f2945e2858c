"""The HTTP user API the chat page uses: register, send, long-poll messages, press, faults."""

from __future__ import annotations

import asyncio

import httpx

from sandbox.server import Sandbox

STAFF_CHAT = -1001234567890


async def test_page_is_served(http):
    response = await http.get("/")
    assert response.status_code == 200 and "Sandbox chat" in response.text
    assert "http://" not in response.text and "https://" not in response.text  # no external URLs


async def test_send_long_poll_and_press(sandbox, http, api):
    user = (
        await http.post(
            "/sandbox/api/users", json={"user_id": 1001, "first_name": "Kim", "language_code": "ko"}
        )
    ).json()
    assert user == {"id": 1001, "is_bot": False, "first_name": "Kim", "language_code": "ko"}
    group = (await http.post("/sandbox/api/groups", json={"chat_id": STAFF_CHAT, "title": "Staff"})).json()
    assert group == {"id": STAFF_CHAT, "type": "supergroup", "title": "Staff"}

    sent = (
        await http.post(
            "/sandbox/api/send", json={"user_id": 1001, "chat_id": STAFF_CHAT, "text": "/take I-1042"}
        )
    ).json()
    [update] = (await http.post(api + "getUpdates")).json()["result"]
    assert (
        update["message"]["chat"]["id"] == STAFF_CHAT
        and update["message"]["message_id"] == sent["message_id"]
    )

    feed = (await http.get(f"/sandbox/api/chats/{STAFF_CHAT}/messages")).json()
    revision = feed["revision"]
    waiting = asyncio.create_task(
        http.get(f"/sandbox/api/chats/{STAFF_CHAT}/messages", params={"since": revision, "wait": 30})
    )
    keyboard = {"keyboard": [["Done"]], "one_time_keyboard": True}
    await http.post(
        api + "sendMessage", json={"chat_id": STAFF_CHAT, "text": "Taken", "reply_markup": keyboard}
    )
    fresh = (await asyncio.wait_for(waiting, 10)).json()
    [message] = fresh["messages"]
    assert message["text"] == "Taken" and message["from"]["is_bot"] is True
    assert message["_sandbox"]["reply_markup"] == keyboard and "reply_markup" not in {
        k for k in message if k != "_sandbox"
    }

    markup = {"inline_keyboard": [[{"text": "Close", "callback_data": "close:I-1042"}]]}
    bot_message = (
        await http.post(
            api + "sendMessage", json={"chat_id": STAFF_CHAT, "text": "?", "reply_markup": markup}
        )
    ).json()["result"]
    pressed = await http.post(
        "/sandbox/api/press",
        json={
            "user_id": 1001,
            "chat_id": STAFF_CHAT,
            "message_id": bot_message["message_id"],
            "data": "close:I-1042",
        },
    )
    query_id = pressed.json()["callback_query_id"]
    updates = (await http.post(api + "getUpdates", json={"offset": update["update_id"] + 1})).json()["result"]
    assert [u["callback_query"]["id"] for u in updates] == [query_id]
    await http.post(api + "answerCallbackQuery", json={"callback_query_id": query_id, "text": "Closed"})
    answers = (
        await http.get(f"/sandbox/api/chats/{STAFF_CHAT}/messages", params={"since": fresh["revision"]})
    ).json()
    assert [a["text"] for a in answers["callback_answers"]] == ["Closed"]

    chats = (await http.get("/sandbox/api/chats")).json()
    assert {c["chat"]["id"]: c["message_count"] for c in chats} == {1001: 0, STAFF_CHAT: 3}


async def test_user_api_errors_and_faults(sandbox, http, api):
    missing = await http.post("/sandbox/api/send", json={"user_id": 5, "chat_id": -42, "text": "x"})
    assert missing.status_code == 404 and "not registered" in missing.json()["error"]
    assert (await http.post("/sandbox/api/send", json={"text": "x"})).status_code == 400
    await http.post("/sandbox/api/users", json={"user_id": 5})
    wrong = await http.post(
        "/sandbox/api/press", json={"user_id": 5, "chat_id": 5, "message_id": 1, "data": "x"}
    )
    assert wrong.status_code == 404

    fault = (
        await http.post(
            "/sandbox/api/faults", json={"method": "sendMessage", "error_code": 429, "retry_after": 3}
        )
    ).json()
    assert fault["times"] == 1 and fault["retry_after"] == 3
    assert (await http.post(api + "sendMessage", json={"chat_id": 5, "text": "x"})).status_code == 429
    await http.post("/sandbox/api/faults", json={"error_code": 500, "times": None})
    assert len((await http.get("/sandbox/api/faults")).json()) == 1
    await http.delete("/sandbox/api/faults")
    assert (await http.post(api + "sendMessage", json={"chat_id": 5, "text": "x"})).json()["ok"]
    assert (await http.get("/sandbox/api/calls")).json()["sendMessage"] == 2


async def test_stop_wakes_long_polls_and_leaves_no_tasks_behind():
    sandbox = Sandbox()
    await sandbox.start()
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        polling = asyncio.create_task(client.post(f"/bot{sandbox.token}/getUpdates", json={"timeout": 30}))
        while not sandbox.calls["getUpdates"]:
            await asyncio.sleep(0.005)
        await sandbox.stop()
        assert (await asyncio.wait_for(polling, 5)).json() == {"ok": True, "result": []}
    assert asyncio.all_tasks() == {asyncio.current_task()}
