"""The staff console without Telegram: arguments, answers, refusals, buttons and their audit rows."""

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from desk.organisations.models import FIRST_ORGANISATION
from desk import audit
from conversation.staff import console
from desk.staff.access import ANONYMOUS_ADMIN_ID, Actor
from desk.staff.models import Staff
from desk.staff.startup import seed_registry
from conversation.staff.turn import Request
from desk.tickets.models import Citizen, Ticket, TicketEntry
from tests import factories
from tests.conftest import at

RECEIVED = at("2026-11-23T10:15:00+09:00")
NOW = at("2026-11-24T11:00:00+09:00")
STAFF_CHAT = -1001234567890
OFFICER = Actor(1001, "김담당", "kim", "en")
AGENT = Actor(1002, "이상담", "lee", "en")
STRANGER = Actor(4242, "Mallory", "mallory", "en")
_message_ids = itertools.count(1)


@pytest.fixture
async def desk_with_staff(store, desk):
    await seed_registry(store, desk.charter, organisation_id=FIRST_ORGANISATION, now=RECEIVED)
    return desk


async def open_ticket(store, desk, *, category="inquiry", anonymous=False, name=None, chat_id=700) -> Ticket:
    async with store.unit_of_work() as session:
        return await factories.ticket(session, desk.charter, received_at=RECEIVED, category=category,
                                      chat_id=None if anonymous else chat_id, name=name,
                                      text="Where do I apply for care?")


async def run(store, desk, actor: Actor, command: str, text: str = "", now=NOW, **extra) -> console.Outcome:
    message_id = extra.pop("message_id", None) or next(_message_ids)
    button = extra.get("button", False)
    request = Request(
        command=command, chat_id=STAFF_CHAT, text=text, key=f"test:{message_id}:{command}",
        message_id=None if button else message_id, **extra,
    )
    async with store.unit_of_work() as session:
        return await console.handle(session=session, desk=desk, actor=actor, request=request, now=now)


def said(outcome: console.Outcome) -> str:
    """What the console answered in the staff chat."""
    return "\n".join(m.text for m in outcome.outgoing if m.chat_id == STAFF_CHAT)


def to_citizen(outcome: console.Outcome, chat_id: int = 700) -> list[str]:
    return [m.text for m in outcome.outgoing if m.chat_id == chat_id]


async def audit_rows(store) -> list[audit.AuditEntry]:
    async with store.unit_of_work() as session:
        return list((await session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.id))).all())


async def test_staff_help_lists_the_commands_in_the_staff_language(store, desk_with_staff):
    answer = said(await run(store, desk_with_staff, AGENT, "help"))
    for command in ("/queue", "/show", "/reply", "/interim", "/close", "/assign", "/note", "/confirm", "/decline",
                    "/reopen", "/audit", "/staff"):
        assert command in answer
    korean = Actor(1002, "이상담", None, "ko")
    assert "직원 콘솔" in said(await run(store, desk_with_staff, korean, "help"))
    french = Actor(1002, "이상담", None, "fr")  # not spoken: the charter's first language
    assert "직원 콘솔" in said(await run(store, desk_with_staff, french, "help"))


@pytest.mark.parametrize(
    "command, text, expected",
    [
        ("reply", "", "Usage: /reply N text"),
        ("reply", "I-1001", "Usage: /reply N text"),
        ("interim", "I-1001", "Usage: /interim N reason [new due date]"),
        ("interim", "I-1001 2026-12-30 10:00", "Usage: /interim N reason"),  # a date but no reason
        ("show", "", "Usage: /show N"),
        ("assign", "I-1001", "Usage: /assign N me|@user"),
        ("assign", "I-1001 @nobody", "@nobody is not on the staff list"),
        ("confirm", "I-1001", "Usage: /confirm N date and time"),
        ("queue", "someday", "Usage: /queue [mine | overdue | due-today | inquiry"),
        ("reply", "I-1999 hello", "There is no ticket I-1999"),
        ("reply", "C-1001 hello", "There is no ticket C-1001"),  # I-1001 exists, C-1001 does not
        ("show", "banana", "'banana' is not a ticket number. Write it like I-1042"),
        ("staff", "promote 1003", "Usage: /staff list"),
    ],
)
async def test_bad_arguments_say_what_is_expected_and_change_nothing(store, desk_with_staff, command, text, expected):
    await open_ticket(store, desk_with_staff)
    outcome = await run(store, desk_with_staff, AGENT, command, text)
    assert expected in said(outcome)
    assert to_citizen(outcome) == []
    assert [r for r in await audit_rows(store) if r.action == command] == []


async def test_a_reply_answers_the_citizen_and_the_staff_chat(store, desk_with_staff):
    ticket = await open_ticket(store, desk_with_staff)
    outcome = await run(store, desk_with_staff, AGENT, "reply", "i-1001 Bring your ID\nto room 3.")
    [answer] = to_citizen(outcome)
    assert answer.startswith("Answer to your inquiry I-1001:") and "Bring your ID\nto room 3." in answer
    assert "on its way to the citizen" in said(outcome)
    [row] = await audit_rows(store)
    assert (row.action, row.actor_id, row.ticket_id, row.chat_id) == ("reply", 1002, ticket.id, None)


async def test_bare_numbers_work_too(store, desk_with_staff):
    await open_ticket(store, desk_with_staff)
    assert "I-1001" in said(await run(store, desk_with_staff, AGENT, "show", "1001"))


async def test_an_interim_with_a_date_moves_the_promise(store, desk_with_staff):
    ticket = await open_ticket(store, desk_with_staff)
    outcome = await run(store, desk_with_staff, AGENT, "interim", "I-1001 Waiting for the district office 2026-12-10 18:00")
    new_due = at("2026-12-10T18:00:00+09:00")
    [message] = to_citizen(outcome)
    assert "Reason: Waiting for the district office" in message and desk_with_staff.moment(new_due, "en") in message
    assert desk_with_staff.moment(new_due, "en") in said(outcome)
    async with store.unit_of_work() as session:
        assert (await session.get(Ticket, ticket.id)).due_at == new_due


async def test_an_interim_date_in_the_past_is_refused_clearly(store, desk_with_staff):
    await open_ticket(store, desk_with_staff)
    outcome = await run(store, desk_with_staff, AGENT, "interim", "I-1001 busy 2026-11-01 10:00")
    assert "already passed" in said(outcome) and to_citizen(outcome) == []


async def test_non_staff_are_refused_politely_and_the_attempt_is_audited(store, desk_with_staff):
    ticket = await open_ticket(store, desk_with_staff)
    outcome = await run(store, desk_with_staff, STRANGER, "reply", "I-1001 you are all fired")
    assert not outcome.accepted and "for registered desk staff only" in said(outcome)
    assert to_citizen(outcome) == []
    [row] = await audit_rows(store)
    assert (row.action, row.outcome, row.actor_id, row.actor_role, row.ticket_id) == ("reply", "refused", None, None, ticket.id)
    # Not staff: named by a keyed hash of their id, never the id.
    assert row.actor_hash == store.keyring.chat_hash(4242) and row.chat_id == STAFF_CHAT


async def test_in_the_staff_chat_someone_refused_is_told_once_then_only_audited(store, desk_with_staff):
    await open_ticket(store, desk_with_staff)
    first = await run(store, desk_with_staff, STRANGER, "close", "I-1001", in_group=True)
    second = await run(store, desk_with_staff, STRANGER, "reply", "I-1001 x", in_group=True)
    later = NOW + console.REFUSAL_QUIET + timedelta(seconds=1)
    third = await run(store, desk_with_staff, STRANGER, "note", "I-1001 x", in_group=True, now=later)
    in_private = await run(store, desk_with_staff, STRANGER, "note", "I-1001 x", now=later)
    assert said(first) and said(second) == "" and said(third) and said(in_private)
    details = [r.detail for r in await audit_rows(store)]
    assert details == ["not staff", "not staff, not answered again", "not staff", "not staff"]


async def test_a_message_sent_as_the_group_is_refused_even_from_a_staff_member(store, desk_with_staff):
    await open_ticket(store, desk_with_staff)
    for actor in (Actor(1001, sender_chat=True, language_code="en"), Actor(ANONYMOUS_ADMIN_ID, is_bot=True)):
        outcome = await run(store, desk_with_staff, actor, "close", "I-1001")
        assert not outcome.accepted
    assert "as yourself" in said(outcome) or "본인 계정" in said(outcome)
    assert [(r.outcome, r.detail) for r in await audit_rows(store)] == [("refused", "hidden sender")] * 2


async def test_an_agent_may_not_read_the_audit_trail_or_change_staff(store, desk_with_staff):
    await open_ticket(store, desk_with_staff)
    assert "Responsible officer or higher" in said(await run(store, desk_with_staff, AGENT, "audit", "I-1001"))
    assert "Administrator or higher" in said(await run(store, desk_with_staff, OFFICER, "staff", "add 1003 agent 박신입"))
    rows = await audit_rows(store)
    assert [(r.action, r.outcome, r.actor_role) for r in rows] == [("audit", "refused", "agent"), ("staff", "refused", "officer")]
    assert "Audit trail of I-1001" in said(await run(store, desk_with_staff, OFFICER, "audit", "I-1001"))


async def test_the_same_command_message_twice_is_handled_once(store, desk_with_staff):
    await open_ticket(store, desk_with_staff)
    first = await run(store, desk_with_staff, AGENT, "note", "I-1001 called them", message_id=9999)
    again = await run(store, desk_with_staff, AGENT, "note", "I-1001 called them", message_id=9999)
    assert not first.duplicate and again.duplicate and again.outgoing == []
    assert [r.action for r in await audit_rows(store)] == ["note"]


async def test_show_names_the_sender_only_of_a_named_ticket_and_audits_the_display(store, desk_with_staff):
    await open_ticket(store, desk_with_staff, name="Anna Kovacs")
    await open_ticket(store, desk_with_staff, category="complaint", anonymous=True)
    named = said(await run(store, desk_with_staff, AGENT, "show", "I-1001"))
    assert "From: Anna Kovacs @anna kovacs" in named and "Where do I apply for care?" in named
    hidden = said(await run(store, desk_with_staff, AGENT, "show", "C-1002"))
    assert "From: anonymous (no identity kept)" in hidden and "Anna" not in hidden and "700" not in hidden
    assert [(r.action, r.detail) for r in await audit_rows(store)] == [("show", "identity"), ("show", "anonymous")]


async def test_show_lists_the_history_with_who_did_what(store, desk_with_staff):
    await open_ticket(store, desk_with_staff)
    await run(store, desk_with_staff, AGENT, "note", "I-1001 called the district office")
    await run(store, desk_with_staff, OFFICER, "reply", "I-1001 All done.")
    shown = said(await run(store, desk_with_staff, AGENT, "show", "I-1001"))
    assert "이상담 · internal note: called the district office" in shown
    assert "김담당 · answer: All done." in shown and "answered" in shown


async def test_queue_filters(store, desk_with_staff):
    await open_ticket(store, desk_with_staff)
    await open_ticket(store, desk_with_staff, category="complaint", chat_id=701)
    await run(store, desk_with_staff, AGENT, "assign", "C-1002 me")
    everything = said(await run(store, desk_with_staff, AGENT, "queue"))
    assert "Open tickets: 2" in everything and "I-1001" in everything and "C-1002" in everything
    assert "I-1001" not in said(await run(store, desk_with_staff, AGENT, "queue", "mine"))
    assert "C-1002" not in said(await run(store, desk_with_staff, AGENT, "queue", "inquiry"))
    assert "C-1002" in said(await run(store, desk_with_staff, AGENT, "queue", "C"))
    assert "No open tickets match" in said(await run(store, desk_with_staff, AGENT, "queue", "overdue"))


async def test_queue_due_today_and_overdue(store, desk_with_staff):
    ticket = await open_ticket(store, desk_with_staff)
    async with store.unit_of_work() as session:
        (await session.get(Ticket, ticket.id)).due_at = NOW + timedelta(hours=2)
    assert "I-1001" in said(await run(store, desk_with_staff, AGENT, "queue", "due-today"))
    async with store.unit_of_work() as session:
        (await session.get(Ticket, ticket.id)).due_at = NOW - timedelta(hours=2)
    assert "⚠ • I-1001" in said(await run(store, desk_with_staff, AGENT, "queue", "overdue"))


async def test_assign_by_username_learned_from_their_messages(store, desk_with_staff):
    await open_ticket(store, desk_with_staff)
    await run(store, desk_with_staff, OFFICER, "queue")  # the officer writes once: @kim becomes known
    assert "handled by 김담당" in said(await run(store, desk_with_staff, AGENT, "assign", "I-1001 @Kim"))


async def test_a_reply_to_a_card_waits_for_its_authors_confirmation(store, desk_with_staff):
    ticket = await open_ticket(store, desk_with_staff)
    card = "🆕 New inquiry I-1001\nDue: ..."
    outcome = await run(store, desk_with_staff, AGENT, "draft", "Your card is ready.", replied_text=card)
    [prompt] = [m for m in outcome.outgoing if m.chat_id == STAFF_CHAT]
    assert "Send this answer to the citizen of I-1001?" in prompt.text and to_citizen(outcome) == []
    send, cancel = prompt.reply_markup[0]
    assert send["data"].startswith("s:send:") and cancel["data"].startswith("s:drop:")
    draft_id = send["data"].rsplit(":", 1)[1]
    not_yours = await run(store, desk_with_staff, OFFICER, "send", draft_id, button=True)
    assert "Only the person who wrote" in not_yours.toast and to_citizen(not_yours) == []
    sent = await run(store, desk_with_staff, AGENT, "send", draft_id, button=True)
    [answer] = to_citizen(sent)
    assert "Your card is ready." in answer and sent.settled
    twice = await run(store, desk_with_staff, AGENT, "send", draft_id, button=True)
    assert "already sent or cancelled" in twice.toast and to_citizen(twice) == []
    actions = [(r.action, r.ticket_id) for r in await audit_rows(store)]
    assert actions == [("draft", ticket.id), ("reply", ticket.id)]


async def test_a_cancelled_draft_is_never_sent(store, desk_with_staff):
    await open_ticket(store, desk_with_staff)
    outcome = await run(store, desk_with_staff, AGENT, "draft", "oops", replied_text="🆕 New inquiry I-1001")
    draft_id = outcome.outgoing[-1].reply_markup[0][1]["data"].rsplit(":", 1)[1]
    dropped = await run(store, desk_with_staff, AGENT, "drop", draft_id, button=True)
    assert "nothing was sent" in dropped.toast
    assert to_citizen(await run(store, desk_with_staff, AGENT, "send", draft_id, button=True)) == []


async def test_a_reply_to_a_bot_message_without_a_ticket_number_explains_itself(store, desk_with_staff):
    outcome = await run(store, desk_with_staff, AGENT, "draft", "hello", replied_text="Open tickets: 0")
    assert "reply to its card" in said(outcome)


async def test_card_buttons_take_close_and_hint(store, desk_with_staff):
    ticket = await open_ticket(store, desk_with_staff)
    taken = await run(store, desk_with_staff, AGENT, "take", str(ticket.id), button=True)
    assert "handled by 이상담" in taken.toast and "handled by 이상담" in said(taken)
    hint = await run(store, desk_with_staff, AGENT, "reply", str(ticket.id), button=True)
    assert "/reply I-1001" in hint.toast and hint.outgoing == []
    closed = await run(store, desk_with_staff, AGENT, "close", str(ticket.id), button=True)
    assert "closed by 이상담" in said(closed)
    again = await run(store, desk_with_staff, AGENT, "close", str(ticket.id), button=True)
    assert "already closed" in again.toast and again.outgoing == []
    async with store.unit_of_work() as session:
        loaded = await session.get(Ticket, ticket.id)
        assert (loaded.assigned_to, loaded.status) == (1002, "closed")


async def test_a_stranger_pressing_a_button_is_answered_on_the_button_only(store, desk_with_staff):
    ticket = await open_ticket(store, desk_with_staff)
    outcome = await run(store, desk_with_staff, STRANGER, "close", str(ticket.id), button=True)
    assert "for registered desk staff only" in outcome.toast and outcome.outgoing == []
    [row] = await audit_rows(store)
    assert (row.action, row.outcome, row.ticket_id) == ("close", "refused", ticket.id)


async def test_appointments_are_confirmed_with_a_time(store, desk_with_staff):
    await open_ticket(store, desk_with_staff, category="appointment_request")
    no_time = await run(store, desk_with_staff, AGENT, "confirm", "A-1001 2026-12-03")
    assert "Usage: /confirm" in said(no_time)
    outcome = await run(store, desk_with_staff, AGENT, "confirm", "A-1001 2026-12-03 14:00")
    [message] = to_citizen(outcome)
    assert "is confirmed" in message and "confirmed for" in said(outcome)
    declined = await run(store, desk_with_staff, AGENT, "decline", "A-1001 No room is free")
    assert "Reason: No room is free" in to_citizen(declined)[0]


async def test_an_admin_manages_staff_and_the_roster_is_told(store, desk_with_staff):
    async with store.unit_of_work() as session:
        (await session.get(Staff, 1001)).role = "admin"
    added = await run(store, desk_with_staff, OFFICER, "staff", "add 1003 agent 박 신입")
    assert "박 신입 is on the staff list as Case worker" in said(added) and added.roster_changed
    replied_to = Actor(1004, "Eve Example", "eve", "en")
    by_reply = await run(store, desk_with_staff, OFFICER, "staff", "add officer", replied_user=replied_to)
    assert "Eve Example is on the staff list as Responsible officer" in said(by_reply)
    listed = said(await run(store, desk_with_staff, AGENT, "staff", "list"))
    assert "박 신입" in listed and "@eve" in listed and "Staff (4)" in listed
    removed = await run(store, desk_with_staff, OFFICER, "staff", "remove @eve")
    assert "Eve Example is no longer on the staff list" in said(removed)
    assert "cannot be staff" in said(await run(store, desk_with_staff, OFFICER, "staff", f"add {ANONYMOUS_ADMIN_ID} admin Group"))
    assert "would leave no admin" in said(await run(store, desk_with_staff, OFFICER, "staff", "remove 1001"))
    actions = [(r.action, r.outcome) for r in await audit_rows(store)]
    assert actions == [("staff_add", "done"), ("staff_add", "done"), ("staff_list", "done"), ("staff_remove", "done")]


async def test_a_note_is_never_sent(store, desk_with_staff):
    await open_ticket(store, desk_with_staff)
    outcome = await run(store, desk_with_staff, AGENT, "note", "I-1001 the citizen sounded upset")
    assert to_citizen(outcome) == [] and "internal, not sent" in said(outcome)
    async with store.unit_of_work() as session:
        [entry] = (await session.scalars(select(TicketEntry))).all()
        assert entry.kind == "note"
        assert (await session.scalar(select(Citizen))).chat_id == 700
