"""End to end, per language: unsure classification, follow-ups, files, edits, odd messages, groups, floods."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.throttle import FLOOD_LIMIT
from desk.tickets.models import Ticket, TicketEntry
from desk.tickets.questions import Question
from nlu.classifier import LOW_CONFIDENCE, Classification
from tests.bot.citizen_steps import buttons, data_of, last_id, press, say, send, send_voice

LANGUAGES = ["ko", "en", "hu"]
INQUIRY = {
    "ko": ("기초생활수급 신청하려면 어떤 서류가 필요한가요?", "주거급여 신청 방법도 궁금합니다"),
    "en": ("How do I apply for the housing benefit?", "Also, how do I apply for the housing benefit?"),
    "hu": ("Milyen iratok kellenek a lakhatási támogatás igényléséhez?",
           "Azt is kérdezném, hogyan kell igényelni a lakhatási támogatást?"),
}
COMPLAINT = {
    "ko": "직원이 너무 불친절해서 화가 납니다",
    "en": "The staff at the front desk were very rude to me",
    "hu": "Az ügyintéző nagyon udvariatlan volt velem",
}
MORE = {"ko": "제 주소는 서울시 강남구입니다", "en": "My address is 12 Main Street", "hu": "A címem: Fő utca 12."}
UNSURE = {"ko": "기초연금 때문에 연락드려요", "en": "It is about my pension", "hu": "A nyugdíjam miatt írok"}


def user_of(base: int, language: str) -> int:
    return base + LANGUAGES.index(language)


async def tickets(store) -> list[Ticket]:
    async with store.unit_of_work() as session:
        return list((await session.scalars(select(Ticket).order_by(Ticket.id))).all())


async def history(store, ticket_id: int) -> list[TicketEntry]:
    async with store.unit_of_work() as session:
        query = select(TicketEntry).where(TicketEntry.ticket_id == ticket_id).order_by(TicketEntry.id)
        return list((await session.scalars(query)).all())


@pytest.fixture
def unsure(live, monkeypatch):
    """The classifier is unsure about the UNSURE messages (whatever the current model says of them)."""
    classify = live.classifier.classify

    async def classify_unsure(text: str, **options) -> Classification:
        found = await classify(text, **options)
        if text in UNSURE.values():
            return Classification("inquiry", LOW_CONFIDENCE / 2, found.language)
        return found

    monkeypatch.setattr(live.classifier, "classify", classify_unsure)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_when_unsure_the_bot_asks_and_opens_the_ticket_from_the_choice(sandbox, live, unsure, language):
    user = user_of(900_000, language)
    sandbox.user(user, "Citizen", language_code=language)
    texts = live.desk.texts
    sent = await sandbox.send_text(user, UNSURE[language])
    [asked] = await sandbox.wait_for_bot_messages(user, after_message_id=sent["message_id"])
    assert asked["text"] == texts.render("utter_ask_category", language)
    assert [label for label, _ in buttons(asked)] == [
        texts.render(f"utter_button_{c}", language)
        for c in ("inquiry", "complaint", "appointment_request", "not_a_request")
    ]
    # Not pressed yet: no ticket, and the message is held, whole.
    assert await tickets(live.store) == []
    async with live.store.unit_of_work() as session:
        held = await session.scalar(select(Question))
    assert held.text == UNSURE[language] and held.answered_at is None

    [ack] = await press(sandbox, user, asked, data_of(asked, texts.render("utter_button_complaint", language)))
    [ticket] = await tickets(live.store)
    received = datetime.fromtimestamp(sent["date"], UTC)
    assert ticket.category == "complaint" and ticket.text == UNSURE[language]
    # The clock runs from the message's receipt, not from the press.
    assert ticket.received_at == received and ticket.due_at == live.charter.due_at("complaint", received)
    assert ack["text"] == texts.render("utter_ticket_opened_complaint", language, number=ticket.number,
                                       due=live.desk.moment(ticket.due_at, language))
    # The question is settled: its buttons are gone, so it cannot be answered twice.
    [asked_now] = [m for m in sandbox.messages(user) if m["message_id"] == asked["message_id"]]
    assert buttons(asked_now) == []


@pytest.mark.parametrize("language", LANGUAGES)
async def test_follow_ups_join_the_open_ticket_and_new_matters_open_their_own(sandbox, live, language):
    user = user_of(900_100, language)
    sandbox.user(user, "Citizen", language_code=language)
    texts = live.desk.texts
    first, second = INQUIRY[language]
    [ack] = await say(sandbox, user, first)
    [inquiry] = await tickets(live.store)
    due = live.desk.moment(inquiry.due_at, language)
    added = texts.render("utter_followup_added", language, number=inquiry.number, due=due)

    # Same kind of matter while one is open: unclear, so we ask.
    [asked] = await say(sandbox, user, second)
    assert asked["text"] == texts.render("utter_ask_followup", language, numbers=inquiry.number)
    [done] = await press(sandbox, user, asked, data_of(asked, inquiry.number))
    assert done["text"] == added
    # A reply to our acknowledgement, or naming the number, is plainly a follow-up.
    [by_reply] = await say(sandbox, user, MORE[language], reply_to_message_id=ack["message_id"])
    [by_number] = await say(sandbox, user, f"{inquiry.number} {MORE[language]}!")
    # (Naming the number makes the classifier think of a status question: the answer shows the status too.)
    assert by_reply["text"].startswith(added) and by_number["text"].startswith(added)
    assert [(e.kind, e.text) for e in await history(live.store, inquiry.id)] == [
        ("citizen_message", second), ("citizen_message", MORE[language]),
        ("citizen_message", f"{inquiry.number} {MORE[language]}!"),
    ]
    # A different kind of matter opens its own ticket at once.
    [complaint_ack] = await say(sandbox, user, COMPLAINT[language])
    assert "C-1002" in complaint_ack["text"] and not buttons(complaint_ack)
    # Asked again, the citizen says it is new: a new ticket.
    [asked_again] = await say(sandbox, user, second)
    [new_ack] = await press(sandbox, user, asked_again, data_of(asked_again, texts.render("utter_button_new_inquiry",
                                                                                           language)))
    assert [t.number for t in await tickets(live.store)] == ["I-1001", "C-1002", "I-1003"]
    assert "I-1003" in new_ack["text"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_files_join_tickets_as_references_and_other_things_get_a_polite_answer(sandbox, live, language):
    user = user_of(900_200, language)
    sandbox.user(user, "Citizen", language_code=language)
    texts = live.desk.texts
    await say(sandbox, user, INQUIRY[language][0])
    [photo_added] = await send(sandbox, user, sandbox.send_photo)
    [inquiry] = await tickets(live.store)
    assert photo_added["text"] == texts.render("utter_followup_added", language, number="I-1001",
                                               due=live.desk.moment(inquiry.due_at, language))
    # A document whose caption is a complaint opens a complaint with the file attached.
    [complaint_ack] = await send(sandbox, user, sandbox.send_document, COMPLAINT[language])
    assert "C-1002" in complaint_ack["text"]
    # A voice note while two tickets are open: which one?
    [asked] = await send(sandbox, user, lambda u: send_voice(sandbox, u))
    assert [label for label, _ in buttons(asked)][:2] == [
        texts.render("utter_button_add", language, number=n) for n in ("I-1001", "C-1002")
    ]
    await press(sandbox, user, asked, data_of(asked, "C-1002"))
    entries = {t: [(e.kind, e.file_kind, bool(e.file_id)) for e in await history(live.store, t)] for t in (1, 2)}
    assert entries == {1: [("attachment", "photo", True)],
                       2: [("attachment", "document", True), ("attachment", "voice", True)]}
    unsupported = texts.render("utter_unsupported_message", language)
    [sticker] = await send(sandbox, user, sandbox.send_sticker)
    [location] = await send(sandbox, user, sandbox.send_location, 37.5, 127.0)
    assert sticker["text"] == location["text"] == unsupported
    [emoji] = await say(sandbox, user, "👍👍🙏")
    [marks] = await say(sandbox, user, "?!...")
    assert emoji["text"] == marks["text"] == texts.render("utter_empty_message", language)
    assert len(await tickets(live.store)) == 2


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_edited_message_updates_the_ticket_and_keeps_the_old_text(sandbox, live, language):
    user = user_of(900_300, language)
    sandbox.user(user, "Citizen", language_code=language)
    texts = live.desk.texts
    first = INQUIRY[language][0]
    sent = await sandbox.send_text(user, first)
    [ack] = await sandbox.wait_for_bot_messages(user, after_message_id=sent["message_id"])
    corrected = first + " (2026)"
    await sandbox.edit_text(user, user, sent["message_id"], corrected)
    [updated] = await sandbox.wait_for_bot_messages(user, after_message_id=ack["message_id"])
    assert updated["text"] == texts.render("utter_edit_applied", language, number="I-1001")
    follow = await sandbox.send_text(user, MORE[language], reply_to_message_id=ack["message_id"])
    await sandbox.wait_for_bot_messages(user, after_message_id=follow["message_id"])
    before = last_id(sandbox, user)
    await sandbox.edit_text(user, user, follow["message_id"], MORE[language] + " 3F")
    await sandbox.wait_for_bot_messages(user, after_message_id=before)
    [ticket] = await tickets(live.store)
    assert ticket.text == corrected
    assert [(e.kind, e.text) for e in await history(live.store, ticket.id)] == [
        ("citizen_edit", first), ("citizen_message", MORE[language] + " 3F"), ("citizen_edit", MORE[language]),
    ]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_group_messages_are_not_requests(sandbox, live, language):
    user = user_of(900_400, language)
    group = -4_000 - LANGUAGES.index(language)
    sandbox.user(user, "Citizen", language_code=language)
    sandbox.group(group, "Neighbours")
    await sandbox.send_text(user, COMPLAINT[language], chat_id=group)
    [note] = await say(sandbox, user, "/start", chat_id=group)
    assert note["text"] == live.desk.texts.render("utter_group_private_only", language, bot="@charterdesk_bot")
    # Updates of one chat are handled in order: the complaint before /start was seen and left alone.
    assert len(sandbox.bot_messages(group)) == 1
    assert await tickets(live.store) == []


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_flooding_chat_is_told_once_and_held_back(sandbox, live, language):
    user = user_of(900_500, language)
    sandbox.user(user, "Citizen", language_code=language)
    texts = live.desk.texts
    for _ in range(FLOOD_LIMIT + 1):
        await sandbox.send_text(user, "👍")
    replies = await sandbox.wait_for_bot_messages(user, FLOOD_LIMIT + 1, timeout=30)
    assert [r["text"] for r in replies] == (
        [texts.render("utter_empty_message", language)] * FLOOD_LIMIT + [texts.render("utter_flood", language)]
    )
