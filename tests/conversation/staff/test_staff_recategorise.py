"""Staff change a ticket's category (/category, the → buttons): the answer, the citizen's message, the
correction kept, the audit row, and every bad input."""

import pytest
from sqlalchemy import select, text

from conversation.buttons import ChangeCategory, decode
from conversation.citizen.flows import Desk
from conversation.staff.cards import card_buttons
from desk.charter.model import Clocks
from desk.tickets import corrections
from desk.tickets.enums import Category
from desk.tickets.models import Ticket
from tests.conftest import at
from tests.conversation.staff.test_staff_console import (
    AGENT, NOW, RECEIVED, STRANGER, audit_rows, desk_with_staff, open_ticket, run, said, to_citizen,  # noqa: F401
)


async def stored(store, ticket_id: int = 1) -> Ticket:
    async with store.unit_of_work() as session:
        return await session.get(Ticket, ticket_id)


async def kept(store) -> list[corrections.Correction]:
    async with store.unit_of_work() as session:
        return list((await session.scalars(select(corrections.Correction))).all())


async def test_a_typed_correction_moves_the_clock_tells_the_citizen_and_is_kept(store, desk_with_staff):
    desk = desk_with_staff
    await open_ticket(store, desk)
    outcome = await run(store, desk, AGENT, "category", "I-1001 C")
    due = desk.charter.due_at(Category.COMPLAINT, RECEIVED)
    answer = said(outcome)
    assert "I-1001 → C-1001 (complaint)" in answer and desk.moment(due, "en") in answer
    assert "The citizen is told the new date." in answer
    [told] = to_citizen(outcome)
    assert told.startswith('Your request I-1001 is now filed as "complaint" under the number C-1001')
    assert desk.moment(due, "en") in told and told.endswith("— 이상담")
    ticket = await stored(store)
    assert ticket.category is Category.COMPLAINT and ticket.due_at == due
    [row] = await kept(store)
    assert (row.ticket_id, row.from_category, row.to_category, row.staff_id) == (1, "inquiry", "complaint", 1002)
    assert (row.text, row.language, row.corrected_at) == ("Where do I apply for care?", "en", NOW)
    async with store.unit_of_work() as session:  # the message is encrypted at rest, like the ticket's text
        raw = await session.scalar(text("SELECT text FROM ticket_corrections"))
        assert "apply" not in raw
    [entry] = [r for r in await audit_rows(store) if r.action == "category"]
    assert entry.actor_id == 1002 and entry.ticket_id == 1 and entry.detail.startswith("from=inquiry to=complaint due=")
    assert "apply" not in entry.detail


async def test_the_card_button_does_the_same_and_answers_on_the_button(store, desk_with_staff):
    desk = desk_with_staff
    await open_ticket(store, desk)
    outcome = await run(store, desk, AGENT, "category", "1 A", button=True)
    assert "I-1001 → A-1001 (appointment request)" in outcome.toast
    assert "New due" in outcome.toast  # confirmed within one business day: Tuesday 18:00, still ahead
    assert said(outcome) == outcome.toast  # and said in the staff chat, for everyone there
    ticket = await stored(store)
    assert ticket.category is Category.APPOINTMENT_REQUEST


async def test_a_new_date_already_past_tells_the_citizen_we_are_late(store, desk_with_staff):
    desk = desk_with_staff
    await open_ticket(store, desk)
    # Thursday: the appointment request's promise (Tuesday 18:00) is gone.
    outcome = await run(store, desk, AGENT, "category", "I-1001 A", now=at("2026-11-26T10:00:00+09:00"))
    assert "already past" in said(outcome)
    [told] = to_citizen(outcome)
    assert "we are late, and we will answer as soon as we can" in told


async def test_an_unchanged_date_is_not_told_to_the_citizen(store, desk_with_staff, texts):
    charter = desk_with_staff.charter
    same = charter.model_copy(update={"clocks": Clocks(
        inquiry=charter.clocks.inquiry, complaint=charter.clocks.inquiry,
        non_response_complaint=charter.clocks.non_response_complaint,
        appointment_request=charter.clocks.appointment_request,
    )})
    desk = Desk(charter=same, texts=texts)
    await open_ticket(store, desk)
    outcome = await run(store, desk, AGENT, "category", "I-1001 complaint")
    assert "The due date stays" in said(outcome) and to_citizen(outcome) == []
    assert len(await kept(store)) == 1


@pytest.mark.parametrize("word, category", [
    ("c", "complaint"), ("Complaint", "complaint"), ("민원", "complaint"), ("panasz", "complaint"),
    ("A", "appointment_request"), ("appointment", "appointment_request"), ("상담 예약", "appointment_request"),
])
async def test_a_category_by_letter_name_or_its_name_on_a_card(store, desk_with_staff, word, category):
    await open_ticket(store, desk_with_staff)
    await run(store, desk_with_staff, AGENT, "category", f"I-1001 {word}")
    assert (await stored(store)).category == category


@pytest.mark.parametrize("typed, expected", [
    ("", "Usage: /category N CATEGORY"),
    ("I-1001", "Usage: /category N CATEGORY"),
    ("I-1001 urgent", '"urgent" is not a category'),
    ("I-1001 N", "a non-response complaint is opened only by a citizen"),
    ("I-1001 non_response_complaint", "a non-response complaint is opened only by a citizen"),
    ("I-1001 I", "I-1001 has that category already."),
    ("I-1002 C", "There is no ticket"),  # no such ticket
    ("C-1001 A", "There is no ticket"),  # the letter of a category it never had
    ("I-99999999999999 C", "is not a ticket number. Write it like I-1042"),  # beyond any id
    ("1001x C", "is not a ticket number. Write it like I-1042"),
])
async def test_bad_input_gets_a_clear_answer_and_changes_nothing(store, desk_with_staff, typed, expected):
    await open_ticket(store, desk_with_staff)
    outcome = await run(store, desk_with_staff, AGENT, "category", typed)
    assert expected in said(outcome) and to_citizen(outcome) == []
    assert (await stored(store)).category is Category.INQUIRY and await kept(store) == []


@pytest.mark.parametrize("pressed", ["1 N", "1 X", "abc C", "99 C", "99999999999 C"])
async def test_a_forged_button_changes_nothing(store, desk_with_staff, pressed):
    await open_ticket(store, desk_with_staff)
    outcome = await run(store, desk_with_staff, AGENT, "category", pressed, button=True)
    assert outcome.toast and (await stored(store)).category is Category.INQUIRY


async def test_a_closed_ticket_keeps_its_category(store, desk_with_staff):
    await open_ticket(store, desk_with_staff)
    await run(store, desk_with_staff, AGENT, "close", "I-1001")
    outcome = await run(store, desk_with_staff, AGENT, "category", "I-1001 C")
    assert "I-1001 is not open: only an open ticket can change category." in said(outcome)
    assert await kept(store) == []


async def test_someone_not_staff_is_refused_and_audited(store, desk_with_staff):
    await open_ticket(store, desk_with_staff)
    await run(store, desk_with_staff, STRANGER, "category", "I-1001 C")
    assert (await stored(store)).category is Category.INQUIRY
    assert [(r.action, r.outcome, r.ticket_id) for r in await audit_rows(store)] == [("category", "refused", 1)]


async def test_the_old_number_still_names_the_ticket(store, desk_with_staff):
    await open_ticket(store, desk_with_staff)
    await run(store, desk_with_staff, AGENT, "category", "I-1001 C")
    assert "C-1001" in said(await run(store, desk_with_staff, AGENT, "show", "I-1001"))
    await run(store, desk_with_staff, AGENT, "category", "I-1001 A")  # corrected twice, by its first number
    assert (await stored(store)).category is Category.APPOINTMENT_REQUEST
    assert [(r.from_category, r.to_category) for r in await kept(store)] == [
        ("inquiry", "complaint"), ("complaint", "appointment_request")
    ]


async def test_help_and_the_card_offer_it(store, desk_with_staff):
    assert "/category N I|C|A" in said(await run(store, desk_with_staff, AGENT, "help"))
    ticket = await open_ticket(store, desk_with_staff)
    _, row = card_buttons(desk_with_staff, ticket, "en")
    assert [(b.label, b.press) for b in row] == [
        ("→ complaint", ChangeCategory(1, "complaint")), ("→ appointment request", ChangeCategory(1, "appointment_request")),
    ]
    assert decode("s:cat:1:N") == ChangeCategory(1, "non_response_complaint")  # read, then refused by the console
