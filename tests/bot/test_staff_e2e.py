"""End to end: staff answer citizens from the staff chat of the real bot, through the sandbox Bot API."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from desk import audit
from infra.encrypted import chat_hash_of
from desk.staff.access import ANONYMOUS_ADMIN_ID, CHANNEL_BOT_ID, TELEGRAM_SERVICE_ID
from desk.staff.models import Staff
from desk.tickets.models import Citizen, Ticket, TicketEntry

STAFF_CHAT = -1001234567890
CHANNEL = {"id": -1009876543210, "type": "channel", "title": "Neighbourhood news"}
INQUIRY_EN = "What documents do I need for the housing benefit?"
INQUIRY_KO = "기초생활수급 신청하려면 어떤 서류가 필요한가요?"


@pytest.fixture
def staff_chat(sandbox):
    """The staff group with the charter's officer (1001) and agent (1002) in it."""
    sandbox.group(STAFF_CHAT, "안심 직원방", chat_type="supergroup")
    sandbox.user(1001, "김담당", username="kim", language_code="en")
    sandbox.user(1002, "이상담", username="lee", language_code="en")
    return STAFF_CHAT


async def open_ticket(sandbox, user_id: int, text: str, *, language="en", name="Citizen", username=None):
    """A citizen writes; returns (their acknowledgement, the ticket's card in the staff chat)."""
    sandbox.user(user_id, name, username=username, language_code=language)
    cards_before = len(sandbox.bot_messages(STAFF_CHAT))
    await sandbox.send_text(user_id, text)
    [ack] = await sandbox.wait_for_bot_messages(user_id)
    cards = await sandbox.wait_for_bot_messages(STAFF_CHAT, count=cards_before + 1)
    return ack, cards[-1]


async def staff_says(sandbox, user_id: int, text: str, *, chat_id: int = STAFF_CHAT, **options) -> dict:
    """A staff member writes in the staff chat (or privately); returns the bot's answer."""
    sent = await sandbox.send_text(user_id, text, chat_id=chat_id if chat_id != user_id else None, **options)
    [answer] = await sandbox.wait_for_bot_messages(chat_id, after_message_id=sent["message_id"])
    return answer


async def ticket(store, ticket_id: int = 1) -> Ticket:
    async with store.unit_of_work() as session:
        return await session.get(Ticket, ticket_id)


async def audit_actions(store, **where) -> list[tuple[str, str]]:
    async with store.unit_of_work() as session:
        query = select(audit.AuditEntry).filter_by(**where).order_by(audit.AuditEntry.id)
        return [(r.action, r.outcome) for r in (await session.scalars(query)).all()]


def buttons(message: dict) -> list[str]:
    return [b["callback_data"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


async def test_a_staff_reply_reaches_the_citizen(sandbox, staff_chat, live):
    ack, card = await open_ticket(sandbox, 811, INQUIRY_EN)
    assert "I-1001" in ack["text"] and "I-1001" in card["text"] and INQUIRY_EN in card["text"]
    assert live.desk.moment((await ticket(live.store)).due_at, "ko") in card["text"]  # the staff chat's language
    assert buttons(card) == ["s:take:1", "s:reply:1", "s:interim:1", "s:close:1", "s:cat:1:C", "s:cat:1:A"]

    confirmation = await staff_says(sandbox, 1002, "/reply I-1001 Bring your ID card to room 3.")
    assert "I-1001" in confirmation["text"] and "on its way to the citizen" in confirmation["text"]
    [_, answer] = await sandbox.wait_for_bot_messages(811, count=2)
    assert answer["text"] == "Answer to your inquiry I-1001:\n\nBring your ID card to room 3.\n\n— 이상담"
    assert (await ticket(live.store)).status == "answered"
    assert await audit_actions(live.store, actor_id=1002) == [("reply", "done")]
    menu = {c["command"]: c["description"] for c in sandbox.command_menu(STAFF_CHAT, 1002)}
    assert menu["reply"] == "Final answer: /reply N text" and "audit" in menu and "anonymous" not in menu


async def test_replying_to_a_card_answers_the_citizen_after_confirmation(sandbox, staff_chat, live):
    _, card = await open_ticket(sandbox, 812, INQUIRY_KO, language="ko")
    prompt = await staff_says(sandbox, 1002, "신분증과 통장 사본을 준비해 주세요.", reply_to_message_id=card["message_id"])
    assert "Send this answer to the citizen of I-1001?" in prompt["text"]
    assert len(sandbox.bot_messages(812)) == 1  # nothing goes out before the confirmation
    send, cancel = buttons(prompt)
    assert send.startswith("s:send:") and cancel.startswith("s:drop:")

    await sandbox.press_button(1002, STAFF_CHAT, prompt["message_id"], send)
    [_, answer] = await sandbox.wait_for_bot_messages(812, count=2)
    assert answer["text"].startswith("I-1001 문의에 대한 답변입니다.") and "신분증과 통장 사본" in answer["text"]
    assert answer["text"].endswith("— 이상담")
    await sandbox.wait_for(lambda: "reply_markup" not in sandbox.messages(STAFF_CHAT)[prompt["message_id"] - 1],
                           what="the confirmation's buttons removed")
    assert [a["text"] for a in sandbox.callback_answers][-1].startswith("✅")
    assert await audit_actions(live.store, actor_id=1002) == [("draft", "done"), ("reply", "done")]


async def test_an_interim_with_a_new_date_changes_what_status_shows(sandbox, staff_chat, live):
    ack, _ = await open_ticket(sandbox, 813, INQUIRY_EN)
    old_due = (await ticket(live.store)).due_at
    assert live.desk.moment(old_due, "en") in ack["text"]
    new_local = (old_due + timedelta(days=10)).astimezone(live.charter.timezone)
    typed = f"{new_local:%Y-%m-%d} 17:00"
    new_due = new_local.replace(hour=17, minute=0, second=0, microsecond=0)

    confirmation = await staff_says(sandbox, 1002, f"/interim I-1001 We are waiting for the district office's records {typed}")
    assert live.desk.moment(new_due, "en") in confirmation["text"]
    [_, interim] = await sandbox.wait_for_bot_messages(813, count=2)
    assert "Reason: We are waiting for the district office's records" in interim["text"]
    assert live.desk.moment(new_due, "en") in interim["text"]
    stored = await ticket(live.store)
    assert stored.due_at == new_due and stored.interim_at is not None
    assert stored.remind_at == live.charter.remind_at("inquiry", new_due)

    await sandbox.send_text(813, "/status")
    [*_, status] = await sandbox.wait_for_bot_messages(813, count=3)
    assert "I-1001" in status["text"] and live.desk.moment(new_due, "en") in status["text"]
    assert live.desk.moment(old_due, "en") not in status["text"]


async def test_an_anonymous_ticket_shows_staff_no_identity(sandbox, staff_chat, live):
    sandbox.user(814, "Anna", last_name="Kovacs", username="annak", language_code="en")
    await sandbox.send_text(814, "/anonymous The night guard shouted at my son in the lobby and I want it looked into.")
    [receipt] = await sandbox.wait_for_bot_messages(814)
    [card] = await sandbox.wait_for_bot_messages(STAFF_CHAT)
    shown = await staff_says(sandbox, 1002, "/show C-1001")
    identity = ("814", "annak", "Anna", "Kovacs")
    for seen in (card["text"], str(sandbox.message_meta(STAFF_CHAT, card["message_id"])), shown["text"]):
        assert "C-1001" in seen and not any(part in seen for part in identity), seen
    assert "익명 (신원 정보 없음)" in card["text"] and "anonymous (no identity kept)" in shown["text"]
    assert "night guard" in shown["text"]
    # A reply is kept on the ticket for the sealed channel, never sent to a chat.
    answer = await staff_says(sandbox, 1002, "/reply C-1001 We spoke to the guard; it will not happen again.")
    assert "recorded on the ticket" in answer["text"] and "anonymous" in answer["text"]
    async with live.store.unit_of_work() as session:
        stored = await session.get(Ticket, 1)
        assert stored.anonymous and stored.citizen_id is None and stored.status == "answered"
        kinds = (await session.scalars(select(TicketEntry.kind).where(TicketEntry.ticket_id == 1))).all()
        assert "staff_reply" in kinds
    assert receipt["text"] and all("spoke to the guard" not in m["text"] for m in sandbox.bot_messages(814))


def _pretend(sandbox, sender: dict, text: str, *, chat_id: int = STAFF_CHAT, sender_chat=None, reply_to=None):
    """A message as Telegram delivers it, from ids the sandbox's users cannot take (bots, stand-ins)."""
    world = sandbox.world
    world.users.setdefault(sender["id"], sender)
    content = {"text": text}
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    if sender_chat is not None:
        content["sender_chat"] = sender_chat
    if reply_to is not None:
        content["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
    world.queue_update("message", world.add_message(chat_id, sender, content))


async def test_non_staff_and_telegrams_stand_in_senders_are_refused_100_times_out_of_100(sandbox, staff_chat, live):
    _, card = await open_ticket(sandbox, 815, INQUIRY_EN)
    before = await ticket(live.store)
    group = {"id": STAFF_CHAT, "type": "supergroup", "title": "안심 직원방"}
    strangers = [sandbox.user(uid, f"Stranger {uid}", language_code="en") for uid in (9001, 9002, 9003)]
    stand_ins = [
        ({"id": ANONYMOUS_ADMIN_ID, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}, group),
        ({"id": CHANNEL_BOT_ID, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}, CHANNEL),
        ({"id": TELEGRAM_SERVICE_ID, "is_bot": False, "first_name": "Telegram"}, CHANNEL),
        # A real staff member posting anonymously as the group still hides who wrote.
        ({"id": 1001, "is_bot": False, "first_name": "김담당"}, group),
    ]
    commands = [
        "/reply I-1001 You are all fired", "/interim I-1001 Because 2031-01-01 10:00", "/close I-1001 spam",
        "/assign I-1001 me", "/note I-1001 hello", "/reopen I-1001", "/show I-1001", "/queue", "/audit I-1001",
        "/staff add 9001 admin Mallory", "/confirm I-1001 2031-01-01 10:00", "/decline I-1001 no",
    ]
    attempts = {"group": 0, "private": 0, "buttons": 0}
    for n in range(100):
        kind = n % 10
        if kind < 4:  # a stranger in the staff chat: a command, or a reply to the card
            who = strangers[n % 3]
            if kind == 3:
                await sandbox.send_text(who["id"], "Take this answer", chat_id=STAFF_CHAT, reply_to_message_id=card["message_id"])
            else:
                await sandbox.send_text(who["id"], commands[n % len(commands)], chat_id=STAFF_CHAT)
            attempts["group"] += 1
        elif kind < 7:  # a stand-in id or a message sent on behalf of a chat
            sender, on_behalf = stand_ins[n % len(stand_ins)]
            reply_to = card if kind == 6 else None
            _pretend(sandbox, sender, "Take this answer" if reply_to else commands[n % len(commands)],
                     sender_chat=on_behalf, reply_to=reply_to)
            attempts["group"] += 1
        elif kind < 9:  # a stranger in a private chat with the bot
            who = strangers[n % 3]
            await sandbox.send_text(who["id"], commands[n % len(commands)])
            attempts["private"] += 1
        else:  # a stranger presses the card's buttons
            await sandbox.press_button(strangers[n % 3]["id"], STAFF_CHAT, card["message_id"], buttons(card)[n % 4])
            attempts["buttons"] += 1
    assert sum(attempts.values()) == 100

    await sandbox.wait_for(lambda: len(sandbox.callback_answers) == attempts["buttons"], what="every press answered")
    for who in strangers:  # every private attempt is answered
        expected = sum(1 for n in range(100) if n % 10 in (7, 8) and strangers[n % 3] == who)
        await sandbox.wait_for_bot_messages(who["id"], count=expected)
    # The staff chat's updates are handled in order: once staff /help is answered, all before it are done.
    staff_help = await staff_says(sandbox, 1002, "/help")
    async with live.store.unit_of_work() as session:
        accepted = await audit.count(session, outcome=audit.DONE)
        refusals = await audit.count(session, outcome=audit.REFUSED)
        entries = (await session.execute(select(func.count()).select_from(TicketEntry))).scalar_one()
        mallory = await session.get(Staff, 9001)
    after = await ticket(live.store)
    print(f"\nstaff console attempts by non-staff: {sum(attempts.values())} ({attempts}); "
          f"accepted: {accepted}; refused and audited: {refusals}")
    assert (accepted, refusals) == (0, 100)
    assert (after.status, after.assigned_to, after.due_at, after.closed_at) == ("open", None, before.due_at, None)
    assert entries == 0 and mallory is None
    assert len(sandbox.bot_messages(815)) == 1  # the citizen got their acknowledgement and nothing else
    refusals_in_chat = [
        m for m in sandbox.bot_messages(STAFF_CHAT) if card["message_id"] < m["message_id"] < staff_help["message_id"]
    ]
    assert refusals_in_chat and all("Sorry" in m["text"] or "죄송" in m["text"] for m in refusals_in_chat)
    assert all("Sorry" in a["text"] for a in sandbox.callback_answers)


async def test_every_staff_action_leaves_an_audit_row(sandbox, staff_chat, live):
    await open_ticket(sandbox, 816, INQUIRY_EN)
    _, visit_card = await open_ticket(sandbox, 817, "Szeretnék időpontot kérni jövő csütörtökre tanácsadásra", language="hu")
    visit = next(word for word in visit_card["text"].split() if word.startswith("A-"))
    due = (await ticket(live.store)).due_at.astimezone(live.charter.timezone) + timedelta(days=3)
    later = f"{due:%Y-%m-%d} 15:00"
    # The officer works from a private chat with the bot; the staff chat gets only the buttons.
    for command in (
        "/queue", "/show I-1001", "/assign I-1001 1002", "/note I-1001 called the district office",
        f"/interim I-1001 Waiting for records {later}", "/reply I-1001 Here are the documents you need.",
        "/close I-1001 done", "/reopen I-1001", f"/confirm {visit} {later}", f"/decline {visit} No room free",
        "/audit I-1001", "/staff list",
    ):
        answer = await staff_says(sandbox, 1001, command, chat_id=1001)
        assert "Usage" not in answer["text"] and "There is no" not in answer["text"], (command, answer["text"])
    await sandbox.press_button(1002, STAFF_CHAT, visit_card["message_id"], buttons(visit_card)[0])  # take
    await sandbox.wait_for(lambda: len(sandbox.callback_answers) == 1, what="take answered")
    officer = [a for a, _ in await audit_actions(live.store, actor_id=1001)]
    assert officer == ["queue", "show", "assign", "note", "interim", "reply", "close", "reopen", "confirm", "decline",
                       "audit", "staff_list"]
    assert await audit_actions(live.store, actor_id=1002) == [("assign", "done")]
    async with live.store.unit_of_work() as session:
        assert (await session.scalar(select(Citizen).where(Citizen.chat_hash == chat_hash_of(817)))).language == "hu"
    for words in ("visszaigazoljuk", "Indok: No room free"):  # the appointment's answers, in Hungarian
        await sandbox.wait_for(lambda w=words: any(w in m["text"] for m in sandbox.bot_messages(817)), what=words)


async def test_help_is_the_staff_console_for_staff_and_the_citizens_help_for_everyone_else(sandbox, staff_chat, live):
    sandbox.user(818, "Citizen", language_code="en")
    sandbox.user(1003, "박신입", language_code="en")
    await sandbox.send_text(818, "/help")
    [citizen_help] = await sandbox.wait_for_bot_messages(818)
    assert "Staff console" not in citizen_help["text"]
    staff_help = await staff_says(sandbox, 1002, "/help", chat_id=1002)
    assert staff_help["text"].startswith("Staff console — 이상담 (Case worker)")
    # An admin adds a member at run time: their /help is the staff console from then on.
    async with live.store.unit_of_work() as session:
        (await session.get(Staff, 1001)).role = "admin"
    before = await staff_says(sandbox, 1003, "/help", chat_id=1003)
    assert "Staff console" not in before["text"]
    added = await staff_says(sandbox, 1001, "/staff add 1003 agent 박신입", chat_id=1001)
    assert "박신입 is on the staff list as Case worker" in added["text"]
    after = await staff_says(sandbox, 1003, "/help", chat_id=1003)
    assert after["text"].startswith("Staff console — 박신입")
    removed = await staff_says(sandbox, 1001, "/staff remove 1003", chat_id=1001)
    assert "no longer on the staff list" in removed["text"]
    assert "for registered desk staff only" in (await staff_says(sandbox, 1003, "/queue", chat_id=1003))["text"]
