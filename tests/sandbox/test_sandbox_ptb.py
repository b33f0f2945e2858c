"""The unmodified python-telegram-bot client works against the sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from sandbox.files import TINY_PNG

KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Inquiry", callback_data="cat:inquiry"),
            InlineKeyboardButton("Complaint", callback_data="cat:complaint"),
        ]
    ]
)

CITIZEN = 2001


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(
        "<b>Welcome</b>, what is it about?", parse_mode="HTML", reply_markup=KEYBOARD
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    context.bot_data.setdefault("seen", []).append((update.message.chat_id, update.message.message_id))
    await update.message.reply_text(f"echo: {update.message.text}", do_quote=True)


async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("Noted")
    await query.edit_message_text(f"You chose {query.data.removeprefix('cat:')}")


async def attachment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    document = update.message.document
    data = await (await document.get_file()).download_as_bytearray()
    await update.message.reply_text(f"got {document.file_name}: {len(data)} bytes")


@pytest.fixture
def app(ptb_app):
    application = ptb_app
    application.add_handler(CommandHandler("start", start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.add_handler(MessageHandler(filters.Document.ALL, attachment))
    application.add_handler(CallbackQueryHandler(chosen))
    return application


async def test_command_keyboard_callback_and_edit(sandbox, app, polling):
    sandbox.user(CITIZEN, "Minji", language_code="ko")
    async with polling(app):
        await sandbox.send_text(CITIZEN, "/start")
        [welcome] = await sandbox.wait_for_bot_messages(CITIZEN)
        assert welcome["text"] == "Welcome, what is it about?"
        assert welcome["entities"] == [{"type": "bold", "offset": 0, "length": 7}]
        rows = welcome["reply_markup"]["inline_keyboard"]
        assert [(b["text"], b["callback_data"]) for b in rows[0]] == [
            ("Inquiry", "cat:inquiry"),
            ("Complaint", "cat:complaint"),
        ]
        assert sandbox.message_meta(CITIZEN, welcome["message_id"])["parse_mode"] == "HTML"

        query_id = await sandbox.press_button(CITIZEN, CITIZEN, welcome["message_id"], "cat:complaint")
        edited = await sandbox.wait_for(
            lambda: [m for m in sandbox.bot_messages(CITIZEN) if m.get("edit_date")], what="the edit"
        )
        await sandbox.wait_for(lambda: sandbox.callback_answers, what="the callback answer")

    assert edited[0]["message_id"] == welcome["message_id"]
    assert edited[0]["text"] == "You chose complaint"
    assert "reply_markup" not in edited[0]  # editMessageText without markup drops the keyboard
    [answer] = sandbox.callback_answers
    assert answer["callback_query_id"] == query_id and answer["text"] == "Noted"


async def test_echo_and_redelivery_keeps_chat_and_message_id(sandbox, app, polling):
    async with polling(app):
        sent = await sandbox.send_text(CITIZEN, "hello")
        [reply] = await sandbox.wait_for_bot_messages(CITIZEN, after_message_id=sent["message_id"])
        assert reply["text"] == "echo: hello"
        assert reply["reply_to_message"]["message_id"] == sent["message_id"]
        assert (
            sandbox.message_meta(CITIZEN, reply["message_id"])["reply_parameters"]["message_id"]
            == sent["message_id"]
        )

        first_update = max(sandbox.world.history)
        again = sandbox.redeliver(first_update)
        assert again["update_id"] > first_update
        await sandbox.wait_for_bot_messages(CITIZEN, after_message_id=reply["message_id"])

    seen = app.bot_data["seen"]
    assert seen == [(CITIZEN, sent["message_id"]), (CITIZEN, sent["message_id"])]


async def test_user_document_reaches_the_bot_and_downloads(sandbox, app, polling):
    async with polling(app):
        await sandbox.send_document(CITIZEN, content=b"x" * 1234, file_name="lease.pdf")
        [reply] = await sandbox.wait_for_bot_messages(CITIZEN)
    assert reply["text"] == "got lease.pdf: 1234 bytes"


async def test_set_my_commands_per_language(sandbox, bot):
    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands(
        [BotCommand("start", "시작"), BotCommand("status", "처리 현황")], language_code="ko"
    )

    assert [c.description for c in await bot.get_my_commands(language_code="ko")] == ["시작", "처리 현황"]
    assert [c.description for c in await bot.get_my_commands()] == ["Start"]
    sandbox.user(CITIZEN, language_code="ko")
    sandbox.user(2002, language_code="hu")
    assert [c["description"] for c in sandbox.command_menu(CITIZEN, CITIZEN)] == ["시작", "처리 현황"]
    assert [c["description"] for c in sandbox.command_menu(2002, 2002)] == ["Start"]
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Command", "x")])


async def test_photo_and_document_upload_round_trip(sandbox, bot):
    sandbox.user(CITIZEN)
    photo_message = await bot.send_photo(CITIZEN, photo=TINY_PNG, caption="receipt")
    size = photo_message.photo[-1]
    assert (size.width, size.height, photo_message.caption) == (1, 1, "receipt")
    assert bytes(await (await bot.get_file(size.file_id)).download_as_bytearray()) == TINY_PNG

    again = await bot.send_photo(CITIZEN, photo=size.file_id)
    assert again.photo[-1].file_unique_id == size.file_unique_id

    doc_message = await bot.send_document(CITIZEN, document=b"%PDF-1.4 answer", filename="answer.pdf")
    assert doc_message.document.file_name == "answer.pdf"
    assert (
        bytes(await (await bot.get_file(doc_message.document.file_id)).download_as_bytearray())
        == b"%PDF-1.4 answer"
    )
    assert [("photo" in m, "document" in m) for m in sandbox.bot_messages(CITIZEN)] == [
        (True, False),
        (True, False),
        (False, True),
    ]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_injected_429_and_403_surface_as_ptb_errors(sandbox, bot):
    sandbox.user(CITIZEN)
    sandbox.faults.add(method="sendMessage", error_code=429, retry_after=2)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(CITIZEN, "first try")
    # An int, or a timedelta once PTB_TIMEDELTA=1 is set (bot/ sets it).
    retry_after = flood.value.retry_after
    assert retry_after in (2, timedelta(seconds=2))
    assert (await bot.send_message(CITIZEN, "second try")).text == "second try"

    sandbox.faults.add(method="sendMessage", chat_id=CITIZEN, error_code=403, times=None)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CITIZEN, "blocked")
    with pytest.raises(Forbidden):
        await bot.send_message(CITIZEN, "still blocked")
    sandbox.faults.clear()
    await bot.send_message(CITIZEN, "unblocked")
    assert [m["text"] for m in sandbox.bot_messages(CITIZEN)] == ["second try", "unblocked"]


async def test_a_users_forward_reaches_ptb_as_forwarded_with_its_command(sandbox, bot):
    sandbox.user(CITIZEN, "Minji")
    sandbox.user(CITIZEN + 1, "Forwarder")
    original = await sandbox.send_text(CITIZEN, "/close I-1001 done")
    forwarded = await sandbox.forward(CITIZEN + 1, CITIZEN, original["message_id"])
    assert forwarded["forward_origin"]["sender_user"]["id"] == CITIZEN
    assert forwarded["from"]["id"] == CITIZEN + 1 and forwarded["chat"]["id"] == CITIZEN + 1
    updates = await bot.get_updates()
    message = updates[-1].message
    assert message.text == "/close I-1001 done" and message.entities[0].type == "bot_command"
    assert filters.FORWARDED.check_update(updates[-1]) and not filters.FORWARDED.check_update(updates[0])
    with pytest.raises(LookupError):
        await sandbox.forward(CITIZEN + 1, CITIZEN, 999)
