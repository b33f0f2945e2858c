"""Staff use cases on a ticket: reply, interim, close, assign, note, appointments, reopen."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from desk.organisations.models import FIRST_ORGANISATION
from desk import audit
from desk.outbox import OutboxMessage
from desk.staff.errors import ActionError
from desk.staff.models import Staff
from conversation.staff import handling
from desk.tickets import service
from conversation.citizen.flows import Desk
from desk.tickets.models import Citizen, Ticket, TicketEntry
from tests import factories
from tests.conftest import at

RECEIVED = at("2026-11-23T10:15:00+09:00")  # Monday morning in Seoul
NOW = at("2026-11-24T11:00:00+09:00")
AGENT = Staff(organisation_id=FIRST_ORGANISATION, telegram_id=1002, name="이상담", role="agent", added_at=RECEIVED)


async def open_ticket(store, desk, *, category="inquiry", language="en", anonymous=False, chat_id=700) -> int:
    async with store.unit_of_work() as session:
        ticket = await factories.ticket(session, desk.charter, received_at=RECEIVED, category=category,
                                        chat_id=None if anonymous else chat_id, language=language)
        if await session.get(Staff, AGENT.telegram_id) is None:
            session.add(Staff(organisation_id=FIRST_ORGANISATION, telegram_id=AGENT.telegram_id, name=AGENT.name, role=AGENT.role, added_at=RECEIVED))
        return ticket.id


async def act(store, use_case, ticket_id: int, desk, **arguments) -> handling.Handled:
    async with store.unit_of_work() as session:
        ticket = await session.get(Ticket, ticket_id)
        staff = await session.get(Staff, AGENT.telegram_id)
        return await use_case(session=session, desk=desk, staff=staff, ticket=ticket, now=NOW, **arguments)


async def load(store, ticket_id: int) -> Ticket:
    async with store.unit_of_work() as session:
        return await session.get(Ticket, ticket_id)


async def rows(store, model, *conditions) -> list:
    async with store.unit_of_work() as session:
        return list((await session.scalars(select(model).where(*conditions))).all())


async def test_a_reply_reaches_the_citizen_in_their_language_signed_by_name(store, desk):
    ticket_id = await open_ticket(store, desk, language="en")
    handled = await act(store, handling.staff_reply, ticket_id, desk, text="Bring your ID to room 3.")
    [message] = handled.outgoing
    assert message.chat_id == 700 and handled.reach == handling.TO_CHAT
    assert message.text.startswith("Answer to your inquiry I-1001:")
    assert "Bring your ID to room 3." in message.text and message.text.endswith("— 이상담")
    ticket = await load(store, ticket_id)
    assert ticket.status == "answered" and ticket.answered_at == NOW
    [entry] = await rows(store, TicketEntry)
    assert (entry.kind, entry.author_id, entry.text) == ("staff_reply", 1002, "Bring your ID to room 3.")
    [row] = await rows(store, audit.AuditEntry)
    assert (row.action, row.actor_id, row.actor_role, row.ticket_id, row.outcome) == ("reply", 1002, "agent", ticket_id, "done")


async def test_the_charter_can_sign_replies_with_the_role(store, desk):
    by_role = Desk(charter=desk.charter.model_copy(update={"staff_signature": "role"}), texts=desk.texts)
    ticket_id = await open_ticket(store, desk, language="ko")
    [message] = (await act(store, handling.staff_reply, ticket_id, by_role, text="준비되었습니다.")).outgoing
    assert message.text.startswith("I-1001 문의에 대한 답변입니다.")
    assert message.text.endswith("— 상담 담당자") and "이상담" not in message.text


async def test_a_hungarian_citizen_reads_a_hungarian_frame(store, desk):
    ticket_id = await open_ticket(store, desk, language="hu", category="complaint")
    [message] = (await act(store, handling.staff_reply, ticket_id, desk, text="Elnézést kérünk.")).outgoing
    assert message.text.startswith("Válasz a(z) C-1001 ügyszámú panaszára:")


async def test_a_reply_to_an_anonymous_ticket_is_kept_and_goes_to_no_chat(store, desk):
    ticket_id = await open_ticket(store, desk, anonymous=True)
    handled = await act(store, handling.staff_reply, ticket_id, desk, text="We looked into it.")
    assert handled.outgoing == [] and handled.reach == handling.STORED_ANONYMOUS
    assert await rows(store, OutboxMessage) == []
    [entry] = await rows(store, TicketEntry)
    assert entry.kind == "staff_reply" and entry.text == "We looked into it."
    assert (await load(store, ticket_id)).status == "answered"


async def test_a_citizen_who_blocked_the_bot_is_not_messaged(store, desk):
    ticket_id = await open_ticket(store, desk)
    async with store.unit_of_work() as session:
        (await session.scalar(select(Citizen))).unreachable_at = RECEIVED
    handled = await act(store, handling.staff_reply, ticket_id, desk, text="Done.")
    assert handled.reach == handling.UNREACHABLE and await rows(store, OutboxMessage) == []


async def test_an_empty_reply_or_a_closed_ticket_is_refused(store, desk):
    ticket_id = await open_ticket(store, desk)
    with pytest.raises(ActionError) as empty:
        await act(store, handling.staff_reply, ticket_id, desk, text="   ")
    assert empty.value.response == "utter_staff_usage_reply"
    await act(store, handling.close, ticket_id, desk, note=None)
    with pytest.raises(ActionError) as closed:
        await act(store, handling.staff_reply, ticket_id, desk, text="Late answer")
    assert closed.value.response == "utter_staff_ticket_closed"


async def test_an_interim_with_a_new_date_becomes_the_promise(store, desk):
    ticket_id = await open_ticket(store, desk)
    async with store.unit_of_work() as session:
        ticket = await session.get(Ticket, ticket_id)
        ticket.reminded_at, ticket.breached_at = NOW, NOW
        old_due = ticket.due_at
    new_due = old_due + timedelta(days=5)
    handled = await act(store, handling.interim, ticket_id, desk, reason="Waiting for the district office", new_due=new_due)
    ticket = await load(store, ticket_id)
    assert ticket.due_at == new_due and ticket.interim_at == NOW
    assert ticket.remind_at == desk.charter.remind_at("inquiry", new_due)
    # The breach recorded stays (the ticket did break a promise; gauges and reports count it) and the new
    # promise is kept all the same: the sweep takes a breached_at older than due_at (lifecycle.move_promise).
    assert ticket.reminded_at is None and ticket.breached_at == NOW < ticket.due_at and ticket.status == "open"
    [message] = handled.outgoing
    assert "Reason: Waiting for the district office" in message.text
    assert desk.moment(new_due, "en") in message.text
    [entry] = await rows(store, TicketEntry)
    assert entry.kind == "interim"
    [row] = await rows(store, audit.AuditEntry)
    assert row.action == "interim" and new_due.isoformat() in row.detail


@pytest.mark.parametrize("shift, response", [(timedelta(days=-30), "utter_staff_date_past"), (timedelta(0), "utter_staff_date_not_later")])
async def test_an_interim_date_must_be_later_than_now_and_the_current_promise(store, desk, shift, response):
    ticket_id = await open_ticket(store, desk)
    before = await load(store, ticket_id)
    with pytest.raises(ActionError) as refused:
        await act(store, handling.interim, ticket_id, desk, reason="busy", new_due=before.due_at + shift)
    assert refused.value.response == response
    assert (await load(store, ticket_id)).due_at == before.due_at


async def test_an_interim_without_a_date_keeps_the_promise(store, desk):
    ticket_id = await open_ticket(store, desk, language="ko")
    before = await load(store, ticket_id)
    [message] = (await act(store, handling.interim, ticket_id, desk, reason="자료 확인 중", new_due=None)).outgoing
    assert (await load(store, ticket_id)).due_at == before.due_at
    assert "사유: 자료 확인 중" in message.text and desk.moment(before.due_at, "ko") in message.text


async def test_an_interim_on_an_answered_ticket_is_refused(store, desk):
    ticket_id = await open_ticket(store, desk)
    await act(store, handling.staff_reply, ticket_id, desk, text="Done.")
    with pytest.raises(ActionError, match="utter_staff_interim_not_open"):
        await act(store, handling.interim, ticket_id, desk, reason="more", new_due=None)


async def test_close_with_a_note_sends_nothing_and_says_it_was_unanswered(store, desk):
    ticket_id = await open_ticket(store, desk)
    handled = await act(store, handling.close, ticket_id, desk, note="answered by phone")
    assert handled.was_open and handled.outgoing == [] and await rows(store, OutboxMessage) == []
    ticket = await load(store, ticket_id)
    assert ticket.status == "closed" and ticket.closed_at == NOW
    [entry] = await rows(store, TicketEntry)
    assert (entry.kind, entry.text) == ("note", "answered by phone")
    with pytest.raises(ActionError, match="utter_staff_already_closed"):
        await act(store, handling.close, ticket_id, desk, note=None)


async def test_assign_and_note(store, desk):
    ticket_id = await open_ticket(store, desk)
    async with store.unit_of_work() as session:
        session.add(Staff(organisation_id=FIRST_ORGANISATION, telegram_id=1001, name="김담당", role="officer", added_at=RECEIVED))
    async with store.unit_of_work() as session:
        officer = await session.get(Staff, 1001)
        ticket = await session.get(Ticket, ticket_id)
        staff = await session.get(Staff, 1002)
        await handling.assign(session=session, desk=desk, staff=staff, ticket=ticket, assignee=officer, now=NOW)
    await act(store, handling.note, ticket_id, desk, text="called the district office")
    assert (await load(store, ticket_id)).assigned_to == 1001
    assert await rows(store, OutboxMessage) == []
    assert [r.action for r in await rows(store, audit.AuditEntry)] == ["assign", "note"]


async def test_an_appointment_is_confirmed_or_declined_with_a_message(store, desk):
    ticket_id = await open_ticket(store, desk, category="appointment_request")
    when = at("2026-12-03T14:00:00+09:00")
    [confirmed] = (await act(store, handling.confirm_appointment, ticket_id, desk, at=when)).outgoing
    assert "A-1001" in confirmed.text and desk.moment(when, "en") in confirmed.text
    ticket = await load(store, ticket_id)
    assert ticket.appointment_at == when and ticket.status == "answered"
    [declined] = (await act(store, handling.decline_appointment, ticket_id, desk, reason="No room free")).outgoing
    assert "Reason: No room free" in declined.text
    assert (await load(store, ticket_id)).appointment_at is None
    assert [e.kind for e in await rows(store, TicketEntry)] == ["staff_reply", "staff_reply"]


async def test_appointment_commands_need_an_appointment_and_a_future_moment(store, desk):
    inquiry = await open_ticket(store, desk)
    with pytest.raises(ActionError, match="utter_staff_not_appointment"):
        await act(store, handling.confirm_appointment, inquiry, desk, at=NOW + timedelta(days=1))
    visit = await open_ticket(store, desk, category="appointment_request", chat_id=701)
    with pytest.raises(ActionError, match="utter_staff_date_past"):
        await act(store, handling.confirm_appointment, visit, desk, at=NOW - timedelta(hours=1))


async def test_reopen_starts_a_fresh_clock(store, desk):
    ticket_id = await open_ticket(store, desk)
    await act(store, handling.staff_reply, ticket_id, desk, text="Done.")
    await act(store, handling.close, ticket_id, desk, note=None)
    await act(store, handling.reopen, ticket_id, desk)
    ticket = await load(store, ticket_id)
    assert ticket.status == "open" and ticket.closed_at is None and ticket.answered_at is None
    assert ticket.due_at == desk.charter.due_at("inquiry", NOW)
    with pytest.raises(ActionError, match="utter_staff_already_open"):
        await act(store, handling.reopen, ticket_id, desk)


async def test_every_action_leaves_one_audit_row(store, desk):
    ticket_id = await open_ticket(store, desk, category="appointment_request")
    due = (await load(store, ticket_id)).due_at
    await act(store, handling.note, ticket_id, desk, text="n")
    await act(store, handling.interim, ticket_id, desk, reason="r", new_due=due + timedelta(days=2))
    await act(store, handling.confirm_appointment, ticket_id, desk, at=NOW + timedelta(days=3))
    await act(store, handling.decline_appointment, ticket_id, desk, reason="r")
    await act(store, handling.staff_reply, ticket_id, desk, text="t")
    await act(store, handling.close, ticket_id, desk, note=None)
    await act(store, handling.reopen, ticket_id, desk)
    actions = [r.action for r in await rows(store, audit.AuditEntry, audit.AuditEntry.ticket_id == ticket_id)]
    assert actions == ["note", "interim", "confirm", "decline", "reply", "close", "reopen"]


async def test_a_final_reply_is_followed_by_one_rating_question_after_it(store, desk):
    ticket_id = await open_ticket(store, desk)
    await act(store, handling.staff_reply, ticket_id, desk, text="Room 3.")
    [question] = await rows(store, OutboxMessage, OutboxMessage.key == f"survey:{ticket_id}")
    assert question.chat_id == 700 and question.not_before > NOW and "I-1001" in question.text
    assert question.reply_markup[0][0]["data"] == f"c:rate:{ticket_id}:1"
    await act(store, handling.reopen, ticket_id, desk)
    await act(store, handling.staff_reply, ticket_id, desk, text="Room 4, sorry.")
    assert len(await rows(store, OutboxMessage, OutboxMessage.key.startswith("survey:"))) == 1


async def test_an_anonymous_or_unreachable_citizen_gets_no_rating_question_in_the_outbox(store, desk):
    anonymous = await open_ticket(store, desk, anonymous=True)
    await act(store, handling.staff_reply, anonymous, desk, text="Looked into it.")
    blocked = await open_ticket(store, desk, chat_id=701)
    async with store.unit_of_work() as session:
        (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=701)).unreachable_at = NOW
    await act(store, handling.staff_reply, blocked, desk, text="Room 3.")
    assert await rows(store, OutboxMessage, OutboxMessage.key.startswith("survey:")) == []


async def test_an_appointment_is_rated_after_its_date_not_at_confirmation(store, desk):
    ticket_id = await open_ticket(store, desk, category="appointment_request")
    await act(store, handling.confirm_appointment, ticket_id, desk, at=at("2026-12-03T14:00:00+09:00"))
    assert await rows(store, OutboxMessage, OutboxMessage.key.startswith("survey:")) == []


async def test_a_new_appointment_date_earns_a_new_reminder(store, desk):
    ticket_id = await open_ticket(store, desk, category="appointment_request")
    await act(store, handling.confirm_appointment, ticket_id, desk, at=at("2026-12-03T14:00:00+09:00"))
    async with store.unit_of_work() as session:
        (await session.get(Ticket, ticket_id)).appointment_reminded_at = NOW
    await act(store, handling.confirm_appointment, ticket_id, desk, at=at("2026-12-04T10:00:00+09:00"))
    assert (await load(store, ticket_id)).appointment_reminded_at is None
