"""Issue 18: every staff command and button, fed arbitrary text and integers of any size, is answered."""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from sqlalchemy import select

from desk.organisations.models import FIRST_ORGANISATION
from conversation.staff import console
from conversation.staff.turn import Request
from desk.staff.access import Actor
from desk.staff import service as members
from desk.staff.startup import seed_registry
from desk.tickets.models import Ticket, TicketEntry
from tests import factories
from tests.conftest import at

RECEIVED = at("2026-11-23T10:15:00+09:00")
NOW = at("2026-11-24T11:00:00+09:00")
STAFF_CHAT = -1001234567890
ADMIN = Actor(1003, "Ada", "ada", "en")
# /agency is the agency officer's alone (an admin is refused): it is tried as one.
AGENCY_OFFICER = Actor(1009, "Agnes", "agnes", "en")
_ids = itertools.count(1)

# Integers of any size, as staff might type them: 23 digits, 5,000 digits, negative, zero.
# (Python refuses int() of more than 4,300 digits: a 5,000-digit id must be refused before that.)
huge = st.one_of(st.integers().map(str), st.text(alphabet="0123456789", min_size=18, max_size=5000),
                 st.sampled_from(["0", "-1", str(2**31), str(2**63), "9" * 23, "9" * 5000]))
word = st.one_of(huge, st.from_regex(r"[ICAN]-?[0-9]{1,30}", fullmatch=True), st.text(max_size=30))
ticket = st.one_of(st.just("I-1001"), st.just("1001"), word)
argument = st.one_of(st.lists(word, max_size=4).map(" ".join), st.text(max_size=200),
                     st.tuples(ticket, st.lists(word, max_size=3)).map(lambda t: " ".join([t[0], *t[1]])))
EXAMPLES = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
async def staffed(store, desk):
    await seed_registry(store, desk.charter, organisation_id=FIRST_ORGANISATION, now=RECEIVED)
    async with store.unit_of_work() as session:
        # An admin, so that /staff add and remove reach their arguments.
        await members.add(session=session, organisation_id=FIRST_ORGANISATION, telegram_id=ADMIN.user_id, name=ADMIN.name, role="admin", by=1001,
                          now=RECEIVED)
        await members.add(session=session, organisation_id=FIRST_ORGANISATION, telegram_id=AGENCY_OFFICER.user_id,
                          name=AGENCY_OFFICER.name, role="agency", by=1001, now=RECEIVED)
        await factories.ticket(session, desk.charter, received_at=RECEIVED, chat_id=700)
    return desk


async def _answered(store, desk, command: str, text: str, *, button: bool) -> console.Outcome:
    number = next(_ids)
    request = Request(command=command, chat_id=STAFF_CHAT, key=f"prop:{number}", text=text,
                      message_id=None if button else number, button=button, in_group=True)
    async with store.unit_of_work() as session:
        actor = AGENCY_OFFICER if command == "agency" else ADMIN
        return await console.handle(session=session, desk=desk, actor=actor, request=request, now=NOW)


@pytest.mark.parametrize("command", console.TYPED_COMMANDS)
@EXAMPLES
@given(text=argument)
async def test_every_typed_command_answers_any_argument(store, staffed, command, text):
    outcome = await _answered(store, staffed, command, text, button=False)
    assert any(m.chat_id == STAFF_CHAT and m.text for m in outcome.outgoing)


@pytest.mark.parametrize("command", sorted(console.BUTTONS))
@EXAMPLES
@given(text=argument)
async def test_every_button_answers_any_data(store, staffed, command, text):
    outcome = await _answered(store, staffed, command, text, button=True)
    assert outcome.toast or any(m.chat_id == STAFF_CHAT and m.text for m in outcome.outgoing)



@pytest.mark.parametrize("command, text, expected", [
    ("reply", "9" * 23 + " hi", "is not a ticket number. Write it like I-1042"),
    ("reply", "I-" + "9" * 5000 + " hi", "is not a ticket number. Write it like I-1042"),
    ("show", "I-１００１", "is not a ticket number"),  # full-width digits: isdigit() says yes, the form says no
    ("assign", "I-1001 " + "9" * 23, "cannot be a Telegram id"),
    ("assign", "I-1001 " + "9" * 5000, "cannot be a Telegram id"),
    ("assign", "I-1001 ²", "cannot be a Telegram id"),
    ("staff", "add " + "9" * 23 + " agent Bob", "cannot be a Telegram id"),
    ("staff", "remove " + "9" * 5000, "cannot be a Telegram id"),
    ("interim", "I-1001 waiting for documents 2026-13-45 99:99", "could not read '2026-13-45 99:99'"),
    ("interim", "I-1001 next blursday at 25 o'clock", "could not read '25 o'clock'"),
])
async def test_out_of_range_and_unreadable_arguments_are_explained(store, staffed, command, text, expected):
    outcome = await _answered(store, staffed, command, text, button=False)
    [answer] = [m.text for m in outcome.outgoing]  # to the staff chat only: the citizen is sent nothing
    assert expected in answer


async def test_an_unreadable_interim_date_leaves_the_promise(store, staffed):
    async with store.unit_of_work() as session:
        before = (await session.get(Ticket, 1)).due_at
    await _answered(store, staffed, "interim", "I-1001 waiting 2026-13-45 99:99", button=False)
    async with store.unit_of_work() as session:
        assert (await session.get(Ticket, 1)).due_at == before
        assert (await session.scalars(select(TicketEntry).where(TicketEntry.kind == "interim"))).all() == []


@pytest.mark.parametrize("command, text", [("report", "\x00"), ("note", "I-1001 a\x00b"), ("queue", "\x00")])
async def test_a_nul_character_is_dropped_before_anything_is_stored(store, staffed, command, text):
    """PostgreSQL text refuses NUL; Hypothesis found /report's audit detail failing on it."""
    outcome = await _answered(store, staffed, command, text, button=False)
    assert [m for m in outcome.outgoing if m.chat_id == STAFF_CHAT and m.text]
