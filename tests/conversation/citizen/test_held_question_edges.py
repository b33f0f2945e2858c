"""Issue 18: a held question never strands its message when the ticket it offered is closed meanwhile."""

from datetime import timedelta

from desk.tickets import lifecycle
from desk.tickets.models import Ticket, TicketEntry
from desk.tickets.questions import Question
from tests.conversation.citizen.test_citizen_flows import CHAT, RECEIVED, all_of, button_data, inbound, press, take
from conversation.citizen import flows


async def _photo_held_with_two_open(store, desk) -> flows.Answer:
    await take(store, desk, inbound("How do I apply for housing benefit?", 1), "inquiry")
    await take(store, desk, inbound("The staff were rude", 2), "complaint")
    photo = inbound("", 3, attachment=flows.Attachment("photo-file-1", "photo"))
    return await take(store, desk, photo, "out_of_scope", certain=False)


async def _close(store, ticket_id: int) -> None:
    async with store.unit_of_work() as session:
        lifecycle.close(await session.get(Ticket, ticket_id), now=RECEIVED + timedelta(minutes=30))


async def test_a_photo_for_a_ticket_closed_meanwhile_is_offered_a_new_ticket_and_kept(store, desk):
    asked = await _photo_held_with_two_open(store, desk)
    assert "c:q:1:a:1" in button_data(asked)
    await _close(store, 1)

    pressed = await press(store, desk, "c:q:1:a:1")
    [offer] = pressed.outgoing
    assert offer.text == desk.texts.render("utter_question_target_gone", "en", number="I-1001")
    assert [b["data"] for row in offer.reply_markup for b in row] == ["c:q:1:n:I", "c:q:1:n:C", "c:q:1:n:A", "c:q:1:x"]
    assert pressed.settled and pressed.toast is None
    [held] = await all_of(store, Question)
    assert held.answered_at is None and held.file_id == "photo-file-1"  # the message is kept

    opened = await press(store, desk, "c:q:1:n:I", query="q2")
    assert opened.ticket_number == "I-1003"
    attachments = await all_of(store, TicketEntry, TicketEntry.kind == "attachment")
    assert [(e.ticket_id, e.file_id) for e in attachments] == [(3, "photo-file-1")]


async def test_a_missing_answer_choice_after_the_answer_came_offers_a_new_complaint(store, desk):
    late = RECEIVED + timedelta(days=30)
    await take(store, desk, inbound("How do I apply for housing benefit?", 1), "inquiry")
    complaint = flows.Inbound(chat_id=CHAT, message_id=2, text="Nobody answered me, this is unacceptable",
                              received_at=late)
    asked = await take(store, desk, complaint, "complaint")
    assert "c:q:1:r:1" in button_data(asked)
    await _close(store, 1)

    pressed = await press(store, desk, "c:q:1:r:1", now=late)
    [offer] = pressed.outgoing
    assert [b["data"] for row in offer.reply_markup for b in row] == ["c:q:1:n:C", "c:q:1:x"]
    [held] = await all_of(store, Question)
    assert held.answered_at is None and held.text == "Nobody answered me, this is unacceptable"


async def test_status_with_a_bare_ticket_number_shows_the_citizens_own_ticket(store, desk):
    await take(store, desk, inbound("How do I apply for housing benefit?", 1), "inquiry")

    async def status(argument: str, message_id: int) -> str:
        async with store.unit_of_work() as session:
            answer = await flows.show_status(session=session, desk=desk, inbound=inbound("/status", message_id),
                                             argument=argument, now=RECEIVED + timedelta(hours=1))
        return answer.outgoing[0].text

    assert (await status("1001", 2)).startswith("I-1001 · ")
    assert await status("1002", 3) == desk.texts.render("utter_status_not_yours", "en", number="1002")
    assert await status("12", 4) == desk.texts.render("utter_status_bad_argument", "en", argument="12")
    assert await status("9" * 5000, 5) == desk.texts.render("utter_status_bad_argument", "en", argument="9" * 40)
