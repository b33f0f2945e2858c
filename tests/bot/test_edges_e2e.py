"""Issue 18 through the sandbox: forged button data of any size, and a handler that fails, are answered."""

import itertools
import logging

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conversation.buttons import KINDS
from conversation.staff import console
from tests.bot.citizen_steps import say

CITIZEN = 880_900
STAFF_CHAT = -1001234567890
AGENT = 1002
_queries = itertools.count(1)
# What a third-party client or emulator may send as callback data (Telegram itself stops at 64 bytes).
digits = st.text("0123456789", min_size=1, max_size=30) | st.sampled_from(["9" * 23, "9" * 5000, "0", "-1"])
forged = st.one_of(
    st.tuples(st.sampled_from(sorted({kind.PREFIX for kind in KINDS})), digits, st.sampled_from(["", ":", ":I", ":5"]))
    .map("".join),
    st.text(max_size=80),
)
EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


def forge_press(sandbox, user_id: int, chat_id: int, message: dict, data: str) -> str:
    """A press of `data` under `message`, whether or not the message has such a button (a forged client)."""
    query_id = f"forged-{next(_queries)}"
    sandbox.world.callback_queries[query_id] = {"chat_id": chat_id, "message_id": message["message_id"],
                                                "answered": False}
    sandbox.world.queue_update("callback_query", {
        "id": query_id, "from": {"id": user_id, "is_bot": False, "first_name": "Presser", "language_code": "en"},
        "message": message, "chat_instance": str(chat_id), "data": data,
    })
    return query_id


async def answered(sandbox, query_id: str) -> dict:
    await sandbox.wait_for(lambda: any(a["callback_query_id"] == query_id for a in sandbox.callback_answers),
                           what=f"an answer to {query_id}", timeout=15)
    return next(a for a in sandbox.callback_answers if a["callback_query_id"] == query_id)


@pytest.fixture
async def started(sandbox, live):
    sandbox.user(CITIZEN, "Citizen", language_code="en")
    [welcome] = await say(sandbox, CITIZEN, "/start")
    return welcome


@EXAMPLES
@given(data=forged)
async def test_every_forged_press_of_a_citizen_is_answered(sandbox, live, started, data):
    await answered(sandbox, forge_press(sandbox, CITIZEN, CITIZEN, started, data))


_citizens = itertools.count(881_000)
CITIZEN_COMMANDS = ("start", "help", "status", "anonymous", "language", "cancel", "mydata", "forget", "frobnicate")
argument = st.one_of(digits, st.text(max_size=300), st.sampled_from(["I-" + "9" * 23, "1001", "1234 5678", "²"]))


@pytest.mark.parametrize("command", CITIZEN_COMMANDS)
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=argument)
async def test_every_citizen_command_answers_any_argument(sandbox, live, command, text):
    user = next(_citizens)  # a chat of its own each time: the flood guard counts per chat
    sandbox.user(user, "Citizen", language_code="en")
    sent = await sandbox.send_text(user, f"/{command} {text[:3900]}")
    await sandbox.wait_for(lambda: any(m["message_id"] > sent["message_id"] for m in sandbox.bot_messages(user)),
                           what=f"an answer to /{command}", timeout=15)


@pytest.fixture
async def staff_answer(sandbox, live):
    """The bot's answer to /queue in the staff chat: a message to press forged buttons under."""
    sandbox.group(STAFF_CHAT, "Staff", chat_type="supergroup")
    sandbox.user(AGENT, "이상담", username="lee", language_code="en")
    sent = await sandbox.send_text(AGENT, "/queue", chat_id=STAFF_CHAT)
    [answer] = await sandbox.wait_for_bot_messages(STAFF_CHAT, after_message_id=sent["message_id"])
    return answer


@EXAMPLES
@given(data=forged)
async def test_every_forged_press_of_staff_is_answered(sandbox, live, staff_answer, data):
    await answered(sandbox, forge_press(sandbox, AGENT, STAFF_CHAT, staff_answer, data))


async def test_a_failing_staff_command_is_answered_and_logged_in_one_line(sandbox, live, monkeypatch, caplog):
    sandbox.group(STAFF_CHAT, "Staff", chat_type="supergroup")
    sandbox.user(AGENT, "이상담", username="lee", language_code="en")

    async def broken(**_):
        raise RuntimeError("a fault that no test of ours provokes otherwise")

    monkeypatch.setattr(console, "handle", broken)
    caplog.set_level(logging.ERROR, logger="bot.errors")
    sent = await sandbox.send_text(AGENT, "/queue", chat_id=STAFF_CHAT)
    [answer] = await sandbox.wait_for_bot_messages(STAFF_CHAT, after_message_id=sent["message_id"])
    assert answer["text"] == live.desk.texts.render("utter_fault", "en")
    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.errors"]
    assert line.startswith("update ") and "RuntimeError at" in line and "\n" not in line

    [card_press] = [forge_press(sandbox, AGENT, STAFF_CHAT, answer, "s:take:1")]
    assert (await answered(sandbox, card_press))["text"] == live.desk.texts.render("utter_fault", "en")
