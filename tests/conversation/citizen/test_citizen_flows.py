"""Citizen flows at the desk level: unsure messages, follow-ups, non-response complaints, files, edits,
status, the language choice; time pinned."""

from datetime import timedelta

from sqlalchemy import select

from desk.organisations.models import FIRST_ORGANISATION
from desk.outbox import OutboxMessage
from infra.database import Store
from conversation.citizen import flows
from desk.tickets import service
from desk.tickets.models import Citizen, InboundMessage, Ticket, TicketEntry
from desk.tickets.questions import Question
from tests.conftest import at

RECEIVED = at("2026-11-23T10:15:00+09:00")  # a Monday morning in Seoul
CHAT = 500


def inbound(text: str, message_id: int, **extra) -> flows.Inbound:
    return flows.Inbound(chat_id=CHAT, message_id=message_id, text=text,
                         received_at=RECEIVED + timedelta(minutes=message_id), **extra)


async def take(store: Store, desk, message: flows.Inbound, intent: str, language="en", certain=True, now=None):
    async with store.unit_of_work() as session:
        return await flows.take_message(
            session=session, desk=desk, inbound=message,
            understanding=flows.Understanding(intent=intent, language=language, certain=certain),
            now=now or message.received_at,
        )


async def press(store: Store, desk, data: str, query: str = "q1", now=None) -> flows.Answer:
    async with store.unit_of_work() as session:
        return await flows.press(session=session, desk=desk, now=now or RECEIVED + timedelta(hours=1),
                                 press=flows.Press(chat_id=CHAT, query_id=query, data=data, message_id=None))


async def all_of(store: Store, model, *where):
    async with store.unit_of_work() as session:
        return list((await session.scalars(select(model).where(*where).order_by(model.id))).all())


def button_data(answer: flows.Answer) -> list[str]:
    markup = answer.outgoing[-1].reply_markup or []
    return [b["data"] for row in markup for b in row]


async def test_an_unsure_message_is_held_and_opened_from_the_choice(store, desk):
    asked = await take(store, desk, inbound("It is about my pension", 1), "inquiry", certain=False)
    assert asked.ticket_number is None
    assert asked.outgoing[0].text == desk.texts.render("utter_ask_category", "en")
    assert button_data(asked) == ["c:q:1:n:I", "c:q:1:n:C", "c:q:1:n:A", "c:q:1:x"]
    assert await all_of(store, Ticket) == []
    [held] = await all_of(store, Question)
    assert held.text == "It is about my pension" and held.received_at == RECEIVED + timedelta(minutes=1)

    chosen = await press(store, desk, "c:q:1:n:C", now=RECEIVED + timedelta(days=3))
    [ticket] = await all_of(store, Ticket)
    # The charter's clock runs from the message's receipt, however late the choice.
    assert ticket.category == "complaint" and ticket.received_at == RECEIVED + timedelta(minutes=1)
    assert ticket.due_at == desk.charter.due_at("complaint", ticket.received_at)
    assert chosen.ticket_number == "C-1001" and chosen.settled
    again = await press(store, desk, "c:q:1:n:I", query="q2")
    assert again.toast == desk.texts.render("utter_question_done", "en") and again.outgoing == []
    assert len(await all_of(store, Ticket)) == 1


async def test_a_held_message_can_be_corrected_before_the_choice(store, desk):
    await take(store, desk, inbound("It is about my pensoin", 1), "inquiry", certain=False)
    async with store.unit_of_work() as session:
        edited = await flows.take_edit(session=session, desk=desk, inbound=inbound("It is about my pension", 1),
                                       edited_at=RECEIVED + timedelta(minutes=2), now=RECEIVED)
    assert edited.outgoing[0].text == desk.texts.render("utter_edit_held", "en")
    await press(store, desk, "c:q:1:n:I")
    [ticket] = await all_of(store, Ticket)
    assert ticket.text == "It is about my pension"


async def test_same_kind_while_open_is_asked_about_and_other_kinds_open_at_once(store, desk):
    await take(store, desk, inbound("How do I apply for housing benefit?", 1), "inquiry")
    asked = await take(store, desk, inbound("And what about heating support?", 2), "inquiry")
    assert asked.outgoing[0].text == desk.texts.render("utter_ask_followup", "en", numbers="I-1001")
    assert button_data(asked) == ["c:q:1:a:1", "c:q:1:n:I"]
    out_of_scope = await take(store, desk, inbound("who won the match?", 3), "out_of_scope")
    # Not confidently a request: the citizen may also say it was none.
    assert button_data(out_of_scope) == ["c:q:2:a:1", "c:q:2:n:I", "c:q:2:n:C", "c:q:2:n:A", "c:q:2:x"]
    complaint = await take(store, desk, inbound("The staff were rude to me", 4), "complaint")
    assert complaint.ticket_number == "C-1002"
    added = await press(store, desk, "c:q:1:a:1")
    assert added.outgoing[0].text.startswith("Added to I-1001")
    entries = await all_of(store, TicketEntry, TicketEntry.ticket_id == 1)
    assert [(e.kind, e.text, e.telegram_message_id) for e in entries] == [
        ("citizen_message", "And what about heating support?", 2)
    ]
    # Someone else's ticket cannot be added to, whatever the button says.
    async with store.unit_of_work() as session:
        session.add(Citizen(organisation_id=FIRST_ORGANISATION, chat_id=999, language="en", created_at=RECEIVED))
    stranger = await press(store, desk, "c:q:2:a:99", query="q9")
    assert stranger.toast == desk.texts.render("utter_question_gone", "en")


async def test_a_reply_to_our_message_or_the_number_makes_a_follow_up(store, desk):
    opened = await take(store, desk, inbound("How do I apply for housing benefit?", 1), "inquiry")
    async with store.unit_of_work() as session:
        row = await session.get(OutboxMessage, opened.outgoing[0].id)
        row.status, row.telegram_message_id = "sent", 2
    by_reply = await take(store, desk, inbound("My address is 12 Main St", 3, reply_to_message_id=2), "out_of_scope")
    by_number = await take(store, desk, inbound("i-1001: I also rent", 4), "check_status")
    assert by_reply.outgoing[0].text.startswith("Added to I-1001")
    # Naming the number: added, and the ticket's state shown.
    assert by_number.outgoing[0].text.startswith("Added to I-1001") and "I-1001 · open" in by_number.outgoing[0].text
    assert [e.text for e in await all_of(store, TicketEntry)] == ["My address is 12 Main St", "i-1001: I also rent"]
    [inbound_row] = await all_of(store, InboundMessage, InboundMessage.message_id == 3)
    assert inbound_row.ticket_id == 1


async def test_a_complaint_while_a_ticket_is_overdue_is_a_linked_non_response_complaint(store, desk):
    await take(store, desk, inbound("How do I apply for housing benefit?", 1), "inquiry")
    async with store.unit_of_work() as session:
        original = await session.get(Ticket, 1)
        original.due_at = RECEIVED - timedelta(days=1)
    # Is it about the late answer, or something else? Asked, since a complaint can be about anything.
    asked = await take(store, desk, inbound("Nobody answered me, as promised!", 2), "complaint")
    assert asked.outgoing[0].text == desk.texts.render(
        "utter_ask_non_response", "en", number="I-1001", due=desk.moment(RECEIVED - timedelta(days=1), "en"))
    assert button_data(asked) == ["c:q:1:r:1", "c:q:1:n:C"]
    answer = await press(store, desk, "c:q:1:r:1")
    assert answer.ticket_number == "N-1002" and answer.settled
    complaint = (await all_of(store, Ticket, Ticket.id == 2))[0]
    assert complaint.parent_id == 1 and complaint.assigned_to == desk.charter.officers[0].telegram_id
    # Its own clock, from the complaint's receipt (not from the press).
    assert complaint.received_at == RECEIVED + timedelta(minutes=2)
    assert complaint.due_at == desk.charter.due_at("non_response_complaint", complaint.received_at)
    chats = [m.chat_id for m in answer.outgoing]
    assert chats == [CHAT, desk.charter.staff_chat_id, desk.charter.officers[0].telegram_id]
    [note] = await all_of(store, TicketEntry, TicketEntry.ticket_id == 1)
    assert note.kind == "escalation" and "N-1002" in note.text
    # The breach itself is the deadline sweep's to record.
    assert (await all_of(store, Ticket, Ticket.id == 1))[0].breached_at is None
    # A complaint naming the late ticket needs no question; it joins the open non-response complaint.
    again = await take(store, desk, inbound("I-1001: still nothing!", 3), "complaint")
    assert again.ticket_number is None and again.outgoing[0].text.startswith("Added to N-1002")
    assert len(await all_of(store, Ticket)) == 2


async def test_a_complaint_about_something_else_while_a_ticket_is_overdue(store, desk):
    await take(store, desk, inbound("How do I apply for housing benefit?", 1), "inquiry")
    async with store.unit_of_work() as session:
        (await session.get(Ticket, 1)).due_at = RECEIVED - timedelta(days=1)
    await take(store, desk, inbound("The staff at the desk were rude", 2), "complaint")
    answer = await press(store, desk, "c:q:1:n:C")
    assert answer.ticket_number == "C-1002"
    assert await all_of(store, TicketEntry) == []  # nothing escalated


async def test_a_complaint_without_an_overdue_ticket_is_a_plain_complaint(store, desk):
    await take(store, desk, inbound("How do I apply for housing benefit?", 1), "inquiry")
    answer = await take(store, desk, inbound("Nobody answered me!", 2), "complaint")
    assert answer.ticket_number == "C-1002"


async def test_files_join_the_one_open_ticket_or_ask(store, desk):
    photo = flows.Attachment("PHOTO-ID", "photo")
    asked = await take(store, desk, inbound("", 1, attachment=photo, telegram_language="en"), "out_of_scope",
                       certain=False)
    assert asked.outgoing[0].text == desk.texts.render("utter_ask_category", "en")
    await press(store, desk, "c:q:1:n:I")
    voice = flows.Attachment("VOICE-ID", "voice")
    added = await take(store, desk, inbound("", 2, attachment=voice, telegram_language="en"), "out_of_scope",
                       certain=False)
    assert added.outgoing[0].text.startswith("Added to I-1001")
    entries = await all_of(store, TicketEntry)
    assert [(e.kind, e.file_kind, e.file_id) for e in entries] == [
        ("attachment", "photo", "PHOTO-ID"), ("attachment", "voice", "VOICE-ID")
    ]


async def test_empty_and_emoji_only_messages_are_answered_without_a_ticket(store, desk):
    for number, text in enumerate(["   ", "👍👍", "?!"], start=1):
        answer = await take(store, desk, inbound(text, number, telegram_language="en"), "out_of_scope",
                            certain=False)
        assert answer.outgoing[0].text == desk.texts.render("utter_empty_message", "en")
    assert await all_of(store, Ticket) == [] and await all_of(store, Question) == []


async def test_edits_update_the_ticket_and_keep_the_old_text_once(store, desk):
    await take(store, desk, inbound("How do I aply?", 1), "inquiry")

    async def edit(text: str, message_id: int, second: int):
        async with store.unit_of_work() as session:
            return await flows.take_edit(session=session, desk=desk, inbound=inbound(text, message_id),
                                         edited_at=RECEIVED + timedelta(seconds=second), now=RECEIVED)

    assert (await edit("How do I apply?", 1, 10)).outgoing[0].text == desk.texts.render(
        "utter_edit_applied", "en", number="I-1001")
    assert (await edit("How do I apply?", 1, 10)).outgoing == []  # the same edit again: nothing new
    assert (await edit("Hello", 7, 11)).outgoing[0].text == desk.texts.render("utter_edit_not_applied", "en")
    [ticket] = await all_of(store, Ticket)
    assert ticket.text == "How do I apply?"
    assert [(e.kind, e.text) for e in await all_of(store, TicketEntry)] == [("citizen_edit", "How do I aply?")]


async def test_status_lists_open_and_recent_tickets_and_one_in_full(store, desk):
    await take(store, desk, inbound("How do I apply for housing benefit?", 1), "inquiry")
    await take(store, desk, inbound("The staff were rude", 2), "complaint")
    async with store.unit_of_work() as session:
        closed = await session.get(Ticket, 2)
        closed.status, closed.closed_at = "closed", RECEIVED + timedelta(days=1)
        session.add(TicketEntry(ticket_id=1, kind="interim", text="We need one more week.", author_id=1001,
                                created_at=RECEIVED + timedelta(days=1)))

    async def status(argument: str, message_id: int, now) -> str:
        async with store.unit_of_work() as session:
            answer = await flows.show_status(session=session, desk=desk, inbound=inbound("/status", message_id),
                                             argument=argument, now=now)
        return answer.outgoing[0].text

    listing = await status("", 3, RECEIVED + timedelta(days=2))
    assert "C-1002: closed on" in listing and "I-1001: answer due by" in listing
    assert "↳ last answer: We need one more week." in listing
    assert "C-1002" not in await status("", 4, RECEIVED + timedelta(days=40))  # no longer recent
    late = await status("I-1001", 5, RECEIVED + timedelta(days=30))
    assert late.startswith("I-1001 · overdue") and "Interim notice" in late
    assert await status("C 1002", 6, RECEIVED) == await status("c-1002", 7, RECEIVED)


async def test_a_chosen_language_wins_over_the_messages_language(store, desk):
    await take(store, desk, inbound("Hello", 1), "greet")
    chosen = await press(store, desk, "c:lang:hu")
    assert chosen.menu_language == "hu" and chosen.outgoing[0].text.startswith("Mostantól magyarul")
    answer = await take(store, desk, inbound("How do I apply for housing benefit?", 2), "inquiry", language="en")
    assert answer.language == "hu" and answer.outgoing[0].text.startswith("Megkaptuk")
    unknown = await press(store, desk, "c:lang:fr", query="q2")
    assert unknown.toast and unknown.outgoing == []


async def test_a_flood_notice_is_promised_once_per_window(store, desk):
    async with store.unit_of_work() as session:
        first = await flows.flood_notice(session=session, desk=desk, chat_id=CHAT, hint="hu", now=RECEIVED)
        again = await flows.flood_notice(session=session, desk=desk, chat_id=CHAT, hint="hu", now=RECEIVED)
    assert first.outgoing[0].text == desk.texts.render("utter_flood", "hu") and again.outgoing == []


async def test_a_citizen_who_blocked_the_bot_and_writes_again_is_reachable_again(store: Store):
    async with store.unit_of_work() as session:
        citizen = await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=7007, language="en", now=RECEIVED)
        citizen.unreachable_at = RECEIVED
    async with store.unit_of_work() as session:
        await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=7007, language="en", now=RECEIVED + timedelta(days=1))
    async with store.unit_of_work() as session:
        assert (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=7007)).unreachable_at is None
