"""Taking a citizen's message: tickets, promised dates, answers, idempotency, language."""

from sqlalchemy import func, select

from desk.outbox import OutboxMessage
from infra.database import Store
from conversation.citizen import flows
from desk.tickets.models import Ticket
from tests.conftest import at

RECEIVED = at("2026-11-23T10:15:00+09:00")  # a Monday morning in Seoul
NOW = RECEIVED


def inbound(text: str, *, chat_id: int = 500, message_id: int = 1, language: str | None = None) -> flows.Inbound:
    return flows.Inbound(
        chat_id=chat_id, message_id=message_id, text=text, received_at=RECEIVED, telegram_language=language
    )


async def take(store: Store, desk, message: flows.Inbound, intent: str, language: str | None) -> flows.Answer:
    async with store.unit_of_work() as session:
        return await flows.take_message(
            session=session,
            desk=desk,
            inbound=message,
            understanding=flows.Understanding(intent=intent, language=language),
            now=NOW,
        )


async def count(store: Store, model) -> int:
    async with store.unit_of_work() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_an_inquiry_opens_a_ticket_due_when_the_charter_says(store, desk):
    answer = await take(store, desk, inbound("기초생활수급 신청 서류가 뭔가요?"), "inquiry", "ko")
    assert answer.ticket_number == "I-1001"
    assert answer.due_at == desk.charter.due_at("inquiry", RECEIVED)
    [ack] = answer.outgoing
    assert ack.chat_id == 500
    assert "I-1001" in ack.text and desk.moment(answer.due_at, "ko") in ack.text
    assert ack.text.startswith("문의가 접수되었습니다")


async def test_each_category_gets_its_own_letter_and_words(store, desk):
    complaint = await take(store, desk, inbound("Nobody called me back, this is unacceptable", message_id=1), "complaint", "en")
    visit = await take(store, desk, inbound("Szeretnék időpontot kérni csütörtökre", message_id=2), "appointment_request", "hu")
    assert complaint.ticket_number.startswith("C-") and "complaint" in complaint.outgoing[0].text
    assert visit.ticket_number.startswith("A-") and "Időpontkérését" in visit.outgoing[0].text
    assert visit.due_at == desk.charter.due_at("appointment_request", RECEIVED)


async def test_the_same_message_twice_makes_one_ticket_and_one_answer(store, desk):
    first = await take(store, desk, inbound("Where do I apply for home care?"), "inquiry", "en")
    second = await take(store, desk, inbound("Where do I apply for home care?"), "inquiry", "en")
    assert first.ticket_number and not first.duplicate
    assert second.duplicate and second.outgoing == [] and second.ticket_number is None
    assert await count(store, Ticket) == 1
    # One acknowledgement and one staff card (issue 6), both promised once.
    assert await count(store, OutboxMessage) == 2


async def test_a_greeting_is_answered_without_a_ticket(store, desk):
    answer = await take(store, desk, inbound("안녕하세요"), "greet", "ko")
    assert answer.ticket_number is None
    assert answer.outgoing[0].text == desk.texts.render("utter_greet", "ko")
    assert await count(store, Ticket) == 0


async def test_out_of_scope_names_the_organisation(store, desk):
    answer = await take(store, desk, inbound("who won the football match yesterday?"), "out_of_scope", "en")
    assert desk.charter.organisation.name in answer.outgoing[0].text


async def test_status_lists_open_tickets_with_their_due_moments(store, desk):
    none_yet = await take(store, desk, inbound("what's the status of my request?", message_id=1), "check_status", "en")
    # Nothing to tell about yet: "no open tickets" alone would turn the message away, so we ask instead.
    assert none_yet.outgoing[0].text == desk.texts.render("utter_ask_category", "en")
    opened = await take(store, desk, inbound("How do I apply for disability support?", message_id=2), "inquiry", "en")
    status = await take(store, desk, inbound("any news on my request?", message_id=3), "check_status", "en")
    text = status.outgoing[0].text
    assert opened.ticket_number in text and desk.moment(opened.due_at, "en") in text


async def test_a_short_message_keeps_the_language_we_already_use(store, desk):
    await take(store, desk, inbound("Jó napot kívánok!", message_id=1), "greet", "hu")
    short = await take(store, desk, inbound("ok", message_id=2), "thanks", "en")
    assert short.language == "hu"


async def test_a_language_we_do_not_speak_is_answered_in_english_and_the_charters_first(store, desk):
    answer = await take(store, desk, inbound("Bonjour", language="fr"), "greet", "fr")
    assert answer.language == "fr"
    english, first = (desk.texts.render("utter_greet", code, **desk.known()) for code in ("en", desk.charter.languages[0]))
    assert answer.outgoing[0].text == f"{english}\n\n{first}"


async def test_start_answers_with_the_privacy_notice_once(store, desk):
    async def start(message_id: int) -> flows.Answer:
        async with store.unit_of_work() as session:
            return await flows.answer_command(
                session=session,
                desk=desk,
                inbound=inbound("/start", message_id=message_id, language="en"),
                response="utter_start",
                now=NOW,
            )

    first = await start(1)
    assert first.language == "en" and "Privacy" in first.outgoing[0].text
    assert (await start(1)).duplicate
