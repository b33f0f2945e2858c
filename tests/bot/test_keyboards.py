"""Neutral buttons rendered for Telegram (and rows queued before they were neutral); unknown presses."""

import re
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import citizen, citizen_anonymous, citizen_privacy, keyboards, staff, survey
from conversation.buttons import KINDS, Button, ConfirmForget, Rate, decode
from desk import outbox
from tests.conftest import at
from tests.conversation.test_buttons import EXAMPLES

USER = 8802
QUEUED = at("2026-11-20T10:00:00+09:00")
# Which handler takes which kinds: every pattern bot/app.py registers for a button.
ROUTES = {
    "staff": staff.BUTTON_PATTERN,
    "rate": survey.RATE_PATTERN,
    "comment": survey.COMMENT_PATTERN,
    "forget": citizen_privacy.FORGET_PATTERN,
    "citizen": citizen.BUTTON_PATTERN,
    "anonymous": citizen_anonymous.BUTTON_PATTERN,
}


def test_neutral_rows_become_an_inline_keyboard():
    rows = [[{"text": "1", "data": "c:rate:7:1"}, {"text": "2", "data": "c:rate:7:2"}],
            [{"text": "No", "data": "c:noseal"}]]
    assert keyboards.markup(rows) == InlineKeyboardMarkup([
        [InlineKeyboardButton("1", callback_data="c:rate:7:1"),
         InlineKeyboardButton("2", callback_data="c:rate:7:2")],
        [InlineKeyboardButton("No", callback_data="c:noseal")],
    ])


def test_a_row_queued_before_the_upgrade_keeps_its_bot_api_keyboard():
    old = {"inline_keyboard": [[{"text": "Yes", "callback_data": "c:forget:yes"}]]}
    assert keyboards.markup(old).to_dict() == old


def test_no_buttons_no_keyboard():
    assert keyboards.markup(None) is None and keyboards.markup([]) is None and keyboards.render(None) is None


def test_buttons_handed_over_directly_are_rendered_with_their_data():
    rendered = keyboards.render([[Button("Yes", ConfirmForget(True)), Button("4", Rate(3, 4))]])
    assert rendered.to_dict() == {"inline_keyboard": [[
        {"text": "Yes", "callback_data": "c:forget:yes"}, {"text": "4", "callback_data": "c:rate:3:4"},
    ]]}


def test_every_kind_of_button_reaches_exactly_one_handler():
    assert {type(press) for press, _ in EXAMPLES} == set(KINDS)
    for press, data in EXAMPLES:
        taken_by = [name for name, pattern in ROUTES.items() if re.match(pattern, data)]
        assert len(taken_by) == 1, (data, taken_by)
        assert decode(data) == press


async def test_presses_of_data_we_never_wrote_are_answered(sandbox, live):
    sandbox.user(USER, "Presser", language_code="en")
    old_style = {"inline_keyboard": [[
        {"text": "Old", "callback_data": "c:gone:1"},  # a kind of button that no longer exists
        {"text": "Bad seal", "callback_data": "c:seal:x"},  # a known prefix, data that does not decode
        {"text": "Bad staff", "callback_data": "s:take:x"},
    ]]}
    async with live.store.unit_of_work() as session:
        await outbox.enqueue(session, key="old-buttons", chat_id=USER, text="Buttons from before the upgrade",
                             now=QUEUED - timedelta(minutes=1), reply_markup=old_style)
    [message] = await sandbox.wait_for_bot_messages(USER, timeout=15)
    assert message["reply_markup"] == old_style
    for number, data in enumerate(("c:gone:1", "c:seal:x", "s:take:x"), start=1):
        await sandbox.press_button(USER, USER, message["message_id"], data)
        await sandbox.wait_for(lambda n=number: len(sandbox.callback_answers) == n,
                               what=f"an answer to {data}")
    assert all(not answer.get("text") for answer in sandbox.callback_answers)
