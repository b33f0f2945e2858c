"""Deadline use cases with pinned time: staff reminders, breaches and interim replies, appointment reminders."""

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from desk.organisations.models import FIRST_ORGANISATION
from conversation.promises import deadlines
from desk.outbox import OutboxMessage
from infra.database import Store
from desk.tickets import service
from desk.tickets.models import Ticket, TicketEntry
from tests import factories
from tests.conftest import at

RECEIVED = at("2026-11-23T10:00:00+09:00")  # Monday; an inquiry is then due Tue 1 Dec 18:00 KST
CITIZEN_CHAT = 700
OFFICER = 1001
STAFF_CHAT = -1001234567890


async def open_ticket(store: Store, desk, *, category="inquiry", chat_id=CITIZEN_CHAT, language="en", **columns) -> int:
    """A ticket opened at RECEIVED with the charter's due and remind moments, then columns overridden."""
    async with store.unit_of_work() as session:
        ticket = await factories.ticket(session, desk.charter, received_at=RECEIVED, category=category,
                                        chat_id=chat_id, language=language, text="?")
        for name, value in columns.items():
            setattr(ticket, name, value)  # a state the sweeps must meet (reminded, breached, moved ...)
        return ticket.id


async def run(step, store: Store, desk, now) -> int:
    async with store.unit_of_work() as session:
        return await step(session=session, desk=desk, now=now)


async def outbox_rows(store: Store) -> list[OutboxMessage]:
    async with store.unit_of_work() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def ticket(store: Store, ticket_id: int) -> Ticket:
    async with store.unit_of_work() as session:
        return await session.get(Ticket, ticket_id)


async def entries(store: Store, kind: str = "escalation") -> list[TicketEntry]:
    async with store.unit_of_work() as session:
        return list((await session.scalars(select(TicketEntry).where(TicketEntry.kind == kind))).all())


# --- staff reminders ---------------------------------------------------------------------------


async def test_the_assigned_staff_member_is_reminded_once_when_remind_at_comes(store, desk):
    ticket_id = await open_ticket(store, desk, assigned_to=1002)
    remind_at = (await ticket(store, ticket_id)).remind_at
    assert await run(deadlines.remind_staff, store, desk, remind_at - timedelta(seconds=1)) == 0
    assert await run(deadlines.remind_staff, store, desk, remind_at) == 1
    assert await run(deadlines.remind_staff, store, desk, remind_at + timedelta(hours=1)) == 0
    [row] = await outbox_rows(store)
    assert (row.chat_id, row.ticket_id, row.not_before) == (1002, ticket_id, remind_at)
    assert row.key == f"remind:{ticket_id}:2026-12-01T09:00:00+00:00"
    assert "I-1001" in row.text and desk.moment(desk.charter.due_at("inquiry", RECEIVED), "ko") in row.text
    assert (await ticket(store, ticket_id)).reminded_at == remind_at


async def test_without_an_assignee_the_staff_chat_is_reminded(store, desk):
    ticket_id = await open_ticket(store, desk)
    await run(deadlines.remind_staff, store, desk, (await ticket(store, ticket_id)).remind_at)
    [row] = await outbox_rows(store)
    assert row.chat_id == STAFF_CHAT


async def test_a_ticket_already_past_due_gets_no_reminder_but_is_marked(store, desk):
    ticket_id = await open_ticket(store, desk)
    late = desk.charter.due_at("inquiry", RECEIVED) + timedelta(hours=1)
    assert await run(deadlines.remind_staff, store, desk, late) == 1
    assert await outbox_rows(store) == []
    assert (await ticket(store, ticket_id)).reminded_at == late


async def test_answered_tickets_and_clocks_without_reminders_are_left_alone(store, desk):
    await open_ticket(store, desk, status="answered")
    await open_ticket(store, desk, category="complaint", chat_id=701)  # the complaint clock reminds nobody
    assert await run(deadlines.remind_staff, store, desk, at("2026-12-31T00:00:00+09:00")) == 0


# --- breaches ----------------------------------------------------------------------------------


async def test_a_breach_sends_the_interim_escalates_and_makes_the_new_date_the_promise(store, desk):
    ticket_id = await open_ticket(store, desk)
    due = desk.charter.due_at("inquiry", RECEIVED)
    assert await run(deadlines.handle_breaches, store, desk, due) == 0  # due, not yet past
    now = due + timedelta(minutes=1)
    assert await run(deadlines.handle_breaches, store, desk, now) == 1
    new_due = desk.charter.due_at("inquiry", now)
    assert new_due == at("2026-12-09T18:00:00+09:00")
    interim, officer, staff = await outbox_rows(store)
    assert (interim.chat_id, interim.key, interim.not_before) == (CITIZEN_CHAT, f"interim:{ticket_id}:2026-12-01T09:00:00+00:00", now)
    assert interim.text == desk.texts.render(
        "utter_interim_on_breach", "en", number="I-1001", due=desk.moment(due, "en"), new_due=desk.moment(new_due, "en")
    )
    assert (officer.chat_id, staff.chat_id) == (OFFICER, STAFF_CHAT)
    assert officer.text == staff.text and desk.moment(new_due, "ko") in officer.text
    assert officer.not_before == now  # staff are never held back
    row = await ticket(store, ticket_id)
    assert (row.status, row.breached_at, row.interim_at, row.due_at) == ("open", now, now, new_due)
    assert (row.remind_at, row.reminded_at) == (desk.charter.remind_at("inquiry", new_due), None)
    [entry] = await entries(store)
    assert (entry.ticket_id, entry.text, entry.created_at) == (ticket_id, officer.text, now)


async def test_a_breach_is_handled_once(store, desk):
    await open_ticket(store, desk)
    now = desk.charter.due_at("inquiry", RECEIVED) + timedelta(minutes=1)
    await run(deadlines.handle_breaches, store, desk, now)
    assert await run(deadlines.handle_breaches, store, desk, now + timedelta(minutes=5)) == 0
    assert len(await outbox_rows(store)) == 3 and len(await entries(store)) == 1


async def test_an_interim_found_in_quiet_hours_waits_for_the_morning(store, desk):
    await open_ticket(store, desk)
    now = at("2026-12-01T22:30:00+09:00")  # the scheduler was late; 22:30 is inside 21:00-08:00
    await run(deadlines.handle_breaches, store, desk, now)
    interim, officer, _ = await outbox_rows(store)
    assert interim.not_before == at("2026-12-02T08:00:00+09:00")
    assert officer.not_before == now


async def test_a_staff_interim_before_the_due_moment_replaces_the_automatic_one(store, desk):
    due = desk.charter.due_at("inquiry", RECEIVED)
    staff_interim = due - timedelta(days=1)
    ticket_id = await open_ticket(store, desk, interim_at=staff_interim)
    now = due + timedelta(minutes=1)
    assert await run(deadlines.handle_breaches, store, desk, now) == 1
    rows = await outbox_rows(store)
    assert [r.chat_id for r in rows] == [OFFICER, STAFF_CHAT]  # escalated all the same, no citizen message
    assert rows[0].text == desk.texts.render(
        "utter_escalation_interim_by_staff", "ko", number="I-1001", due=desk.moment(due, "ko"),
        interim=desk.moment(staff_interim, "ko"),
    )
    row = await ticket(store, ticket_id)
    assert (row.breached_at, row.due_at, row.interim_at) == (now, due, staff_interim)
    assert await run(deadlines.handle_breaches, store, desk, now + timedelta(days=30)) == 0


async def test_a_staff_interim_with_a_new_date_is_a_new_promise_kept_like_the_first(store, desk):
    first_due = desk.charter.due_at("inquiry", RECEIVED)
    new_date = at("2026-12-04T18:00:00+09:00")
    # What the staff console does on /interim with a date before the first due moment.
    ticket_id = await open_ticket(store, desk, interim_at=first_due - timedelta(days=1), due_at=new_date)
    assert await run(deadlines.handle_breaches, store, desk, first_due + timedelta(hours=1)) == 0
    now = new_date + timedelta(minutes=1)
    assert await run(deadlines.handle_breaches, store, desk, now) == 1
    interim = (await outbox_rows(store))[0]
    assert interim.chat_id == CITIZEN_CHAT and interim.key.endswith("2026-12-04T09:00:00+00:00")
    assert (await ticket(store, ticket_id)).due_at == desk.charter.due_at("inquiry", now)


async def test_a_staff_interim_after_the_due_moment_does_not_replace_the_automatic_one(store, desk):
    due = desk.charter.due_at("inquiry", RECEIVED)
    await open_ticket(store, desk, interim_at=due + timedelta(minutes=5))
    await run(deadlines.handle_breaches, store, desk, due + timedelta(minutes=10))
    assert [r.chat_id for r in await outbox_rows(store)] == [CITIZEN_CHAT, OFFICER, STAFF_CHAT]


async def test_the_new_date_of_an_automatic_interim_is_breached_in_turn(store, desk):
    ticket_id = await open_ticket(store, desk)
    first = desk.charter.due_at("inquiry", RECEIVED) + timedelta(minutes=1)
    await run(deadlines.handle_breaches, store, desk, first)
    second_due = (await ticket(store, ticket_id)).due_at
    assert await run(deadlines.handle_breaches, store, desk, second_due - timedelta(minutes=1)) == 0
    assert await run(deadlines.handle_breaches, store, desk, second_due + timedelta(minutes=1)) == 1
    keys = [r.key for r in await outbox_rows(store) if r.chat_id == CITIZEN_CHAT]
    assert len(keys) == len(set(keys)) == 2
    assert len(await entries(store)) == 2


async def test_a_clock_without_interim_escalates_only(store, desk):
    ticket_id = await open_ticket(store, desk, category="complaint")
    due = desk.charter.due_at("complaint", RECEIVED)
    now = due + timedelta(seconds=1)
    assert await run(deadlines.handle_breaches, store, desk, now) == 1
    assert [r.chat_id for r in await outbox_rows(store)] == [OFFICER, STAFF_CHAT]
    row = await ticket(store, ticket_id)
    assert (row.due_at, row.breached_at, row.interim_at) == (due, now, None)
    assert await run(deadlines.handle_breaches, store, desk, now + timedelta(days=10)) == 0


async def test_an_unreachable_or_anonymous_citizen_gets_no_interim(store, desk):
    blocked = await open_ticket(store, desk)
    anonymous = await open_ticket(store, desk, chat_id=701, anonymous=True)
    async with store.unit_of_work() as session:
        (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CITIZEN_CHAT)).unreachable_at = RECEIVED
    now = desk.charter.due_at("inquiry", RECEIVED) + timedelta(minutes=1)
    assert await run(deadlines.handle_breaches, store, desk, now) == 2
    rows = await outbox_rows(store)
    assert {r.chat_id for r in rows} == {OFFICER, STAFF_CHAT}
    assert "cannot message the citizen" in desk.texts.render(
        "utter_escalation_citizen_unreachable", "en", number="x", due="y"
    )
    for ticket_id in (blocked, anonymous):
        assert (await ticket(store, ticket_id)).due_at == desk.charter.due_at("inquiry", RECEIVED)


async def test_answered_and_closed_tickets_are_never_breached(store, desk):
    await open_ticket(store, desk, status="answered")
    await open_ticket(store, desk, chat_id=701, status="closed")
    assert await run(deadlines.handle_breaches, store, desk, at("2027-01-01T00:00:00+09:00")) == 0


async def test_two_sweeps_at_once_act_once_on_each_ticket(store, desk):
    for n in range(30):
        await open_ticket(store, desk, chat_id=800 + n)
    now = desk.charter.due_at("inquiry", RECEIVED) + timedelta(minutes=1)

    async def sweep() -> int:
        handled = 0
        while batch := await run(lambda **kw: deadlines.handle_breaches(limit=7, **kw), store, desk, now):
            handled += batch
        return handled

    assert sum(await asyncio.gather(sweep(), sweep(), sweep())) == 30
    assert len(await entries(store)) == 30
    async with store.unit_of_work() as session:
        per_key = select(OutboxMessage.key, func.count()).group_by(OutboxMessage.key)
        counts = [count for _, count in (await session.execute(per_key)).all()]
    assert len(counts) == 90 and set(counts) == {1}


# --- appointment reminders ---------------------------------------------------------------------

APPOINTMENT = at("2026-12-03T10:30:00+09:00")


async def test_an_appointment_is_recalled_at_18h_the_day_before_once(store, desk):
    ticket_id = await open_ticket(store, desk, category="appointment_request", appointment_at=APPOINTMENT)
    evening = at("2026-12-02T18:00:00+09:00")
    assert deadlines.appointment_reminder_at(desk.charter, APPOINTMENT) == evening
    assert await run(deadlines.remind_appointments, store, desk, evening - timedelta(seconds=1)) == 0
    assert await run(deadlines.remind_appointments, store, desk, evening) == 1
    assert await run(deadlines.remind_appointments, store, desk, evening + timedelta(hours=1)) == 0
    [row] = await outbox_rows(store)
    assert (row.chat_id, row.not_before, row.key) == (CITIZEN_CHAT, evening, f"appointment:{ticket_id}:2026-12-03T01:30:00+00:00")
    assert desk.moment(APPOINTMENT, "en") in row.text and "A-1001" in row.text
    assert (await ticket(store, ticket_id)).appointment_reminded_at == evening


async def test_an_appointment_confirmed_late_is_recalled_after_the_quiet_hours(store, desk):
    await open_ticket(store, desk, category="appointment_request", appointment_at=APPOINTMENT, status="answered")
    await run(deadlines.remind_appointments, store, desk, at("2026-12-02T23:00:00+09:00"))
    [row] = await outbox_rows(store)
    assert row.not_before == at("2026-12-03T08:00:00+09:00")


async def test_no_reminder_when_the_quiet_hours_last_until_the_appointment(store, desk):
    early = at("2026-12-03T07:30:00+09:00")
    ticket_id = await open_ticket(store, desk, category="appointment_request", appointment_at=early)
    assert await run(deadlines.remind_appointments, store, desk, at("2026-12-02T22:00:00+09:00")) == 1
    assert await outbox_rows(store) == []
    assert (await ticket(store, ticket_id)).appointment_reminded_at is not None


async def test_past_closed_and_far_appointments_are_not_recalled(store, desk):
    now = at("2026-12-02T19:00:00+09:00")
    await open_ticket(store, desk, category="appointment_request", appointment_at=now - timedelta(minutes=1))
    await open_ticket(store, desk, category="appointment_request", chat_id=701, appointment_at=APPOINTMENT, status="closed")
    await open_ticket(store, desk, category="appointment_request", chat_id=702, appointment_at=APPOINTMENT + timedelta(days=2))
    assert await run(deadlines.remind_appointments, store, desk, now) == 0
    assert await outbox_rows(store) == []


async def test_the_interim_to_a_citizen_we_have_no_texts_for_is_in_english_and_the_charters_first(store, desk):
    await open_ticket(store, desk, language="ja")
    due = desk.charter.due_at("inquiry", RECEIVED)
    now = due + timedelta(minutes=1)
    await run(deadlines.handle_breaches, store, desk, now)
    new_due = desk.charter.due_at("inquiry", now)
    interim = next(row for row in await outbox_rows(store) if row.chat_id == CITIZEN_CHAT)
    assert interim.text == "\n\n".join(
        desk.texts.render("utter_interim_on_breach", code, number="I-1001", due=desk.moment(due, code),
                          new_due=desk.moment(new_due, code))
        for code in ("en", desk.charter.languages[0])
    )
