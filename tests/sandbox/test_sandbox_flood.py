"""The sandbox keeps Telegram's group flood limit: 20 posts a minute per group, edits included."""

from sandbox.flood import GroupFlood
from sandbox.errors import ApiError

import pytest

GROUP = {"id": -100_500, "type": "supergroup"}
PRIVATE = {"id": 42, "type": "private"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def post(flood: GroupFlood, method: str, chat: dict) -> None:
    flood.check(method, chat)
    flood.posted(method, chat)


def test_the_21st_post_in_a_minute_is_refused_with_the_wait_until_the_oldest_leaves():
    clock = Clock()
    flood = GroupFlood(20, clock=clock)
    for _ in range(20):
        post(flood, "sendMessage", GROUP)
        clock.now += 1.5
    with pytest.raises(ApiError) as refused:
        flood.check("sendMessage", GROUP)
    assert refused.value.error_code == 429
    # The first post was 30 s ago: it leaves the window in 30 s.
    assert refused.value.retry_after == 30
    clock.now += 30
    post(flood, "sendMessage", GROUP)


def test_edits_count_and_private_chats_and_reads_do_not():
    clock = Clock()
    flood = GroupFlood(2, clock=clock)
    post(flood, "sendMessage", GROUP)
    post(flood, "editMessageText", GROUP)
    with pytest.raises(ApiError):
        flood.check("editMessageText", GROUP)
    for _ in range(50):
        post(flood, "sendMessage", PRIVATE)
        post(flood, "getChat", GROUP)


def test_a_refused_call_is_not_counted():
    clock = Clock()
    flood = GroupFlood(1, clock=clock)
    post(flood, "sendMessage", GROUP)
    for _ in range(5):
        with pytest.raises(ApiError):
            flood.check("sendMessage", GROUP)
    clock.now += 60
    post(flood, "sendMessage", GROUP)


def test_no_limit_when_turned_off():
    flood = GroupFlood(None)
    for _ in range(100):
        post(flood, "sendMessage", GROUP)


async def test_the_bot_api_answers_429_past_the_group_limit_and_logs_it(sandbox, http, api):
    sandbox.group(-100_777, "staff")
    sandbox.user(7, "Ann")
    bodies = [
        (await http.post(api + "sendMessage", json={"chat_id": -100_777, "text": f"m{i}"})).json()
        for i in range(21)
    ]
    assert all(body["ok"] for body in bodies[:20])
    assert bodies[20]["error_code"] == 429
    assert 1 <= bodies[20]["parameters"]["retry_after"] <= 60
    assert len(sandbox.bot_messages(-100_777)) == 20
    assert [call.error_code for call in sandbox.faults.calls_to(-100_777)][-1] == 429
    # A private chat is not a group: its own (per-second) pacing is the bot's business.
    for i in range(25):
        assert (await http.post(api + "sendMessage", json={"chat_id": 7, "text": f"p{i}"})).json()["ok"]


async def test_an_inline_keyboard_of_more_than_100_buttons_is_refused(sandbox, http, api):
    sandbox.user(7, "Ann")
    rows = [[{"text": str(i * 4 + j), "callback_data": "x"} for j in range(4)] for i in range(26)]
    body = (await http.post(api + "sendMessage", json={
        "chat_id": 7, "text": "t", "reply_markup": {"inline_keyboard": rows}})).json()
    assert body["description"] == "Bad Request: REPLY_MARKUP_TOO_LONG"
    wide = [[{"text": str(j), "callback_data": "x"} for j in range(9)]]
    body = (await http.post(api + "sendMessage", json={
        "chat_id": 7, "text": "t", "reply_markup": {"inline_keyboard": wide}})).json()
    assert body["description"] == "Bad Request: REPLY_MARKUP_TOO_LONG"
