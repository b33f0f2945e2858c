"""The front door through the flows: nobody with content is turned away, whatever the model says or the language."""

from datetime import timedelta

import pytest

from desk.organisations.models import FIRST_ORGANISATION
from conversation.citizen import flows
from conversation.staff import handling
from desk.outbox import OutboxMessage
from desk.staff.models import Staff
from desk.surveys import survey_key
from desk.tickets.models import Ticket
from desk.tickets.questions import Question
from tests.conversation.citizen.test_citizen_flows import CHAT, RECEIVED, all_of, button_data, inbound, press, take

HOUSING = "Please help me with my housing benefit application."
JAPANESE = "住宅手当の申請について教えてください。必要な書類は何ですか？"


def render(desk, name: str, language: str, **params) -> str:
    return desk.texts.render(name, language, **{**desk.known(), **params})


def pair(desk, name: str, **params) -> str:
    """A text as a citizen we have no texts for reads it: English, then the charter's first language."""
    first = desk.charter.languages[0]
    english, other = (
        render(desk, name, code, **{k: desk.moment(v, code) if k == "due" else v for k, v in params.items()})
        for code in ("en", first)
    )
    return f"{english}\n\n{other}"


async def test_a_request_called_a_status_question_by_a_new_citizen_is_asked_not_told_no_tickets(store, desk):
    asked = await take(store, desk, inbound(HOUSING, 1), "check_status")
    [message] = asked.outgoing
    assert message.text == desk.texts.render("utter_ask_category", "en")
    assert desk.texts.render("utter_status_none", "en") not in message.text
    assert button_data(asked) == ["c:q:1:n:I", "c:q:1:n:C", "c:q:1:n:A", "c:q:1:x"]
    [held] = await all_of(store, Question)
    assert held.text == HOUSING and held.answered_at is None
    opened = await press(store, desk, "c:q:1:n:I")
    assert opened.ticket_number == "I-1001" and opened.settled


async def test_a_long_greeting_carries_a_request_and_is_asked_about(store, desk):
    text = "Hello, my mother's care allowance stopped last month and nobody told us why, what can we do?"
    asked = await take(store, desk, inbound(text, 1), "greet")
    assert asked.outgoing[0].text == desk.texts.render("utter_ask_category", "en")
    [held] = await all_of(store, Question)
    assert held.text == text


@pytest.mark.parametrize("intent", ["greet", "thanks"])
async def test_clear_small_talk_ends_at_the_door_and_keeps_nothing(store, desk, intent):
    answered = await take(store, desk, inbound("Thank you!" if intent == "thanks" else "Hello!", 1), intent)
    assert answered.outgoing[0].text == render(desk, f"utter_{intent}", "en")
    assert await all_of(store, Question) == [] and await all_of(store, Ticket) == []


@pytest.mark.parametrize("intent", ["greet", "thanks", "out_of_scope", "check_status"])
async def test_unsure_small_talk_or_status_is_asked_never_dropped(store, desk, intent):
    asked = await take(store, desk, inbound("Hi, thanks", 1), intent, certain=False)
    assert asked.outgoing[0].text == desk.texts.render("utter_ask_category", "en")
    assert len(await all_of(store, Question)) == 1


@pytest.mark.parametrize("text", ["", "   ", "👍🙏", "?!…"])
async def test_an_empty_or_emoji_only_message_gets_the_empty_answer_and_holds_nothing(store, desk, text):
    answered = await take(store, desk, inbound(text, 1), "out_of_scope", certain=False)
    # No letters to read a language from: a new citizen is answered in the charter's first language.
    assert answered.outgoing[0].text == render(desk, "utter_empty_message", desk.charter.languages[0])
    assert await all_of(store, Question) == []


async def test_out_of_scope_is_said_and_can_still_be_sent_to_the_staff(store, desk):
    offered = await take(store, desk, inbound("Who won the match last night?", 1), "out_of_scope")
    assert offered.outgoing[0].text == render(desk, "utter_out_of_scope_offer", "en")
    assert button_data(offered) == ["c:q:1:s"]
    assert await all_of(store, Ticket) == []
    sent = await press(store, desk, "c:q:1:s", now=RECEIVED + timedelta(days=2))
    [ticket] = await all_of(store, Ticket)
    # An inquiry on the charter's clock from the message's receipt, answered with its number and due moment.
    assert ticket.category == "inquiry" and ticket.received_at == RECEIVED + timedelta(minutes=1)
    assert sent.ticket_number == "I-1001" and sent.due_at == ticket.due_at and sent.settled
    acknowledgement = next(m for m in sent.outgoing if m.chat_id == CHAT)
    assert "I-1001" in acknowledgement.text and desk.moment(ticket.due_at, "en") in acknowledgement.text
    [card] = await all_of(store, OutboxMessage, OutboxMessage.key == "card:1")
    assert "Who won the match last night?" in card.text
    again = await press(store, desk, "c:q:1:s", query="q2")
    assert again.toast == desk.texts.render("utter_question_done", "en") and again.outgoing == []
    assert len(await all_of(store, Ticket)) == 1


async def test_not_a_request_lets_the_message_go_politely_and_a_second_press_changes_nothing(store, desk):
    await take(store, desk, inbound("It is about my pension", 1), "inquiry", certain=False)
    released = await press(store, desk, "c:q:1:x")
    assert released.outgoing[0].text == render(desk, "utter_not_a_request", "en") and released.settled
    [question] = await all_of(store, Question)
    assert question.answered_at is not None and question.text is None
    assert await all_of(store, Ticket) == []
    again = await press(store, desk, "c:q:1:x", query="q2")
    assert again.toast == desk.texts.render("utter_question_done", "en") and again.outgoing == []
    # A kind pressed after the release is just as settled.
    late = await press(store, desk, "c:q:1:n:I", query="q3")
    assert late.toast == desk.texts.render("utter_question_done", "en")
    assert await all_of(store, Ticket) == []


async def test_a_press_on_a_question_that_does_not_exist_or_is_not_ours_is_refused(store, desk):
    await take(store, desk, inbound("It is about my pension", 1), "inquiry", certain=False)
    missing = await press(store, desk, "c:q:77:x")
    assert missing.toast == desk.texts.render("utter_question_gone", "en")
    async with store.unit_of_work() as session:
        stranger = await flows.press(session=session, desk=desk, now=RECEIVED, press=flows.Press(
            chat_id=CHAT + 1, query_id="q9", data="c:q:1:s", message_id=None))
    assert stranger.toast == desk.texts.render("utter_question_gone", desk.charter.languages[0])
    [question] = await all_of(store, Question)
    assert question.answered_at is None


@pytest.mark.parametrize("detected", ["ja", "und"])
async def test_a_language_we_have_no_texts_in_opens_the_ticket_in_english_and_the_first_language(
    store, desk, detected
):
    opened = await take(store, desk, inbound(JAPANESE, 1), "inquiry", language=detected)
    [ticket] = await all_of(store, Ticket)
    assert ticket.language == detected and opened.ticket_number == "I-1001"
    [acknowledgement] = [m for m in opened.outgoing if m.chat_id == CHAT]
    assert acknowledgement.text == pair(desk, "utter_ticket_opened_inquiry", number="I-1001", due=ticket.due_at)
    [card] = await all_of(store, OutboxMessage, OutboxMessage.key == "card:1")
    staff = desk.staff_chat_language()
    named = "일본어 (ja)" if detected == "ja" else desk.texts.render("utter_staff_language_undetermined", staff)
    assert named in card.text


async def test_a_held_question_in_a_language_we_lack_has_two_language_buttons(store, desk):
    asked = await take(store, desk, inbound(JAPANESE, 1), "inquiry", language="ja", certain=False)
    assert asked.outgoing[0].text == pair(desk, "utter_ask_category")
    labels = [b["text"] for row in asked.outgoing[0].reply_markup for b in row]
    first = desk.charter.languages[0]
    assert labels[0] == f"{desk.texts.render('utter_button_inquiry', 'en')} / {desk.texts.render('utter_button_inquiry', first)}"
    chosen = await press(store, desk, "c:q:1:n:C")
    assert chosen.ticket_number == "C-1001"
    [ticket] = await all_of(store, Ticket)
    assert ticket.language == "ja"


async def test_the_final_reply_and_the_rating_question_reach_such_a_citizen_in_both_languages(store, desk):
    await take(store, desk, inbound(JAPANESE, 1), "inquiry", language="ja")
    async with store.unit_of_work() as session:
        session.add(Staff(organisation_id=FIRST_ORGANISATION, telegram_id=1002, name="이상담", role="agent", added_at=RECEIVED))
    async with store.unit_of_work() as session:
        ticket = await session.get(Ticket, 1)
        staff = await session.get(Staff, 1002)
        handled = await handling.staff_reply(session=session, desk=desk, staff=staff, ticket=ticket,
                                             text="Please bring your ID.", now=RECEIVED + timedelta(hours=2))
    [reply] = handled.outgoing
    first = desk.charter.languages[0]
    expected = [
        desk.texts.render("utter_staff_answer", code, what=desk.texts.render("utter_staff_your_inquiry", code),
                          number="I-1001", text="Please bring your ID.", signature=handling.signature(desk, staff, code))
        for code in ("en", first)
    ]
    assert reply.text == "\n\n".join(expected)
    [rating] = await all_of(store, OutboxMessage, OutboxMessage.key == survey_key(1))
    assert rating.text == pair(desk, "utter_survey_question", number="I-1001")


async def test_the_status_list_is_composed_whole_in_each_language_of_the_pair(store, desk):
    await take(store, desk, inbound(JAPANESE, 1), "inquiry", language="ja")
    listed = await take(store, desk, inbound("状況はどうなっていますか", 2), "check_status", language="ja")
    first = desk.charter.languages[0]
    text = listed.outgoing[0].text
    english, other = text.split("\n\n")
    assert english.startswith(render(desk, "utter_status_header", "en"))
    assert other.startswith(render(desk, "utter_status_header", first))
    assert "I-1001" in english and "I-1001" in other


async def test_a_request_in_an_untaught_language_opens_an_inquiry_answered_in_english_and_the_first_language(store, desk):
    text = "Здравствуйте, мне нужна помощь с заявлением на жилищное пособие, какие документы нужны?"
    async with store.unit_of_work() as session:
        answer = await flows.take_message(
            session=session, desk=desk, inbound=flows.Inbound(chat_id=4242, message_id=1, text=text, received_at=RECEIVED),
            understanding=flows.Understanding(intent="out_of_scope", language="ru", certain=False, readable=False),
            now=RECEIVED,
        )
    assert answer.ticket_number.startswith("I-")
    english, first = answer.outgoing[0].text.split("\n\n", 1)
    assert answer.ticket_number in english and answer.ticket_number in first
