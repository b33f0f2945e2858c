"""getUpdates semantics over raw HTTP: confirmation by offset, long polling, conflicts."""

from __future__ import annotations

import asyncio

from sandbox.methods_updates import POLLER_CONFLICT, WEBHOOK_CONFLICT

CITIZEN = 2001


async def _started(sandbox, method: str, count: int = 1) -> None:
    """Wait until the sandbox has received `count` calls of a method."""
    while sandbox.calls[method] < count:
        await asyncio.sleep(0.005)


async def test_unconfirmed_update_comes_again_confirmed_is_gone(sandbox, http, api):
    await sandbox.send_text(CITIZEN, "/start now")
    first = (await http.post(api + "getUpdates")).json()["result"]
    again = (await http.post(api + "getUpdates", json={"timeout": 0})).json()["result"]
    assert first == again and len(first) == 1
    message = first[0]["message"]
    assert message["text"] == "/start now"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["chat"] == {"id": CITIZEN, "type": "private", "first_name": "Citizen"}
    assert message["from"]["is_bot"] is False and isinstance(message["date"], int)

    offset = first[0]["update_id"] + 1
    assert (await http.post(api + "getUpdates", data={"offset": str(offset)})).json()["result"] == []
    await sandbox.send_text(CITIZEN, "second")
    [later] = (await http.get(api + "getUpdates", params={"offset": 0})).json()["result"]
    assert later["update_id"] == offset and later["message"]["message_id"] == message["message_id"] + 1


async def test_long_poll_returns_as_soon_as_an_update_arrives(sandbox, http, api):
    assert (await http.post(api + "getUpdates", json={"timeout": 0.2})).json()["result"] == []
    waiting = asyncio.create_task(http.post(api + "getUpdates", json={"timeout": 30}))
    await _started(sandbox, "getUpdates", 2)
    await sandbox.send_text(CITIZEN, "hi")
    result = (await asyncio.wait_for(waiting, 10)).json()["result"]
    assert [u["message"]["text"] for u in result] == ["hi"]


async def test_limit_and_allowed_updates(sandbox, http, api):
    for n in range(3):
        await sandbox.send_text(CITIZEN, f"m{n}")
    result = (await http.post(api + "getUpdates", json={"limit": 2})).json()["result"]
    assert [u["message"]["text"] for u in result] == ["m0", "m1"]
    body = {"offset": result[-1]["update_id"] + 2, "allowed_updates": '["callback_query"]'}
    assert (await http.post(api + "getUpdates", data=body)).json()["result"] == []
    await sandbox.send_text(CITIZEN, "ignored")
    assert sandbox.pending_updates == []


async def test_conflict_while_webhook_is_set(sandbox, http, api):
    await http.post(api + "setWebhook", json={"url": "http://127.0.0.1:9/hook"})
    response = await http.post(api + "getUpdates")
    assert response.status_code == 409
    assert response.json() == {"ok": False, "error_code": 409, "description": WEBHOOK_CONFLICT}
    await http.post(api + "deleteWebhook")
    assert (await http.post(api + "getUpdates")).json() == {"ok": True, "result": []}


async def test_a_newer_poller_terminates_the_older_one(sandbox, http, api):
    older = asyncio.create_task(http.post(api + "getUpdates", json={"timeout": 30}))
    await _started(sandbox, "getUpdates")
    newer = await http.post(api + "getUpdates", json={"timeout": 0})
    assert newer.json()["ok"] is True
    response = await asyncio.wait_for(older, 10)
    assert response.status_code == 409 and response.json()["description"] == POLLER_CONFLICT


async def test_callback_query_and_redelivery_shapes(sandbox, http, api):
    sandbox.user(CITIZEN)
    sent = (
        await http.post(
            api + "sendMessage",
            json={
                "chat_id": CITIZEN,
                "text": "Pick",
                "reply_markup": {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]},
            },
        )
    ).json()["result"]
    query_id = await sandbox.press_button(CITIZEN, CITIZEN, sent["message_id"], "yes")
    [update] = (await http.post(api + "getUpdates")).json()["result"]
    query = update["callback_query"]
    assert query["id"] == query_id and isinstance(query["chat_instance"], str)
    assert query["data"] == "yes" and query["message"]["message_id"] == sent["message_id"]

    copy = sandbox.redeliver(update["update_id"])
    assert copy["update_id"] == update["update_id"] + 1
    assert copy["callback_query"] == query
