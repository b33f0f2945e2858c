"""The one read intake makes of a chat (desk/chat_state.py) tells what the older separate reads told."""

from datetime import timedelta

from sqlalchemy import event

from desk.organisations.models import FIRST_ORGANISATION
from conversation.citizen import surveys
from desk import chat_state
from desk.tickets import citizens, questions, service
from desk.tickets.questions import Question
from tests import factories
from tests.conversation.citizen.test_surveys import ANSWERED, CHARTER, ask, rate
from tests.conftest import at

NOW = at("2026-11-24T11:00:00+09:00")
CHAT = 4242
KEY = "a" * 64


async def read(store, *, chat_id=CHAT, at_=NOW, key=KEY):
    async with store.unit_of_work() as session:
        return await chat_state.read(session, organisation_id=FIRST_ORGANISATION, chat_id=chat_id, at=at_, anonymous_key=key)


async def test_a_chat_never_seen_has_nothing(store):
    state = await read(store, chat_id=999)
    assert state == chat_state.ChatState(None, None, None, False, None)


async def test_the_citizen_and_the_chosen_language_come_in_the_same_read(store):
    async with store.unit_of_work() as session:
        await factories.citizen(session, chat_id=CHAT, language="en", now=NOW)
        await citizens.choose(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT, language="hu", now=NOW)
    state = await read(store)
    assert state.citizen is not None and state.citizen.language == "hu"
    assert state.chosen_language == "hu"
    other = await read(store, chat_id=CHAT + 1)
    assert other.citizen is None and other.chosen_language is None


async def test_a_pending_anonymous_is_found_by_its_key_only(store):
    async with store.unit_of_work() as session:
        await questions.ask(session=session, question=Question(organisation_id=FIRST_ORGANISATION, kind="anonymous", chat_key=KEY, language="en",
                                                               created_at=NOW))
    assert (await read(store)).anonymous_waiting
    assert not (await read(store, key="b" * 64)).anonymous_waiting
    assert not (await read(store, key=None)).anonymous_waiting


async def test_an_open_appointment_question_is_found_and_its_absence_remembered_until_one_is_asked(store):
    async with store.unit_of_work() as session:
        state = await chat_state.read(session, organisation_id=FIRST_ORGANISATION, chat_id=CHAT, at=NOW, anonymous_key=None)
        assert state.appointment_question_id is None
        assert await questions.open_for_chat(session=session, organisation_id=FIRST_ORGANISATION, chat_id=CHAT, kind="appointment") is None
        asked = await questions.ask(session=session, question=Question(
            organisation_id=FIRST_ORGANISATION, kind="appointment", chat_id=CHAT, language="en", created_at=NOW))
        # Asked in the same transaction: what was read as absent is asked for again.
        assert await questions.open_for_chat(session=session, organisation_id=FIRST_ORGANISATION, chat_id=CHAT, kind="appointment") is asked
    assert (await read(store)).appointment_question_id == asked.id


async def test_a_survey_comment_is_expected_only_inside_its_window(store, desk):
    async with store.unit_of_work() as session:
        ticket = await factories.ticket(session, CHARTER, received_at=ANSWERED - timedelta(days=1), chat_id=CHAT,
                                        status="answered", answered_at=ANSWERED)
        ticket_id = ticket.id
    await ask(store, desk, ticket_id)
    await rate(store, desk, ticket_id, 4)
    assert (await read(store, at_=ANSWERED)).comment_rating_id is None
    async with store.unit_of_work() as session:
        await surveys.open_comment(session=session, desk=desk, ticket_id=ticket_id, chat_id=CHAT, now=ANSWERED)
    armed = await read(store, at_=ANSWERED + timedelta(minutes=1))
    assert armed.comment_rating_id is not None
    assert (await read(store, chat_id=CHAT + 1, at_=ANSWERED + timedelta(minutes=1))).comment_rating_id is None
    assert (await read(store, at_=ANSWERED + surveys.COMMENT_WINDOW + timedelta(minutes=1))).comment_rating_id is None


async def test_the_open_tickets_come_with_the_read_once_and_a_later_ticket_is_seen(store):
    async with store.unit_of_work() as session:
        first = await factories.ticket(session, CHARTER, received_at=NOW, chat_id=CHAT)
        await factories.ticket(session, CHARTER, received_at=NOW, chat_id=CHAT, status="answered")
        first_id = first.id
    async with store.unit_of_work() as session:
        state = await chat_state.read(session, organisation_id=FIRST_ORGANISATION, chat_id=CHAT, at=NOW, anonymous_key=None)
        citizen_id = state.citizen.id
        assert [t.id for t in await service.open_tickets(session=session, citizen_id=citizen_id)] == [first_id]
        later = await factories.ticket(session, CHARTER, received_at=NOW + timedelta(hours=1), chat_id=CHAT)
        await session.flush()
        again = await service.open_tickets(session=session, citizen_id=citizen_id)
        assert [t.id for t in again] == [first_id, later.id]


async def test_several_chats_read_at_once_are_each_as_read_alone(store):
    async with store.unit_of_work() as session:
        await factories.ticket(session, CHARTER, received_at=NOW, chat_id=CHAT)
        await factories.ticket(session, CHARTER, received_at=NOW + timedelta(hours=1), chat_id=CHAT)
        await factories.citizen(session, chat_id=CHAT + 1, language="en", now=NOW)
        await citizens.choose(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT + 1, language="hu", now=NOW)
        await questions.ask(session=session, question=Question(organisation_id=FIRST_ORGANISATION, kind="anonymous", chat_key=KEY, language="en",
                                                               created_at=NOW))
        await questions.ask(session=session, question=Question(organisation_id=FIRST_ORGANISATION, kind="appointment", chat_id=CHAT + 3, language="en",
                                                               created_at=NOW))
    arrivals = [
        chat_state.Arrival(CHAT, NOW, None),
        chat_state.Arrival(CHAT + 1, NOW, None),
        chat_state.Arrival(CHAT + 2, NOW, KEY),  # a new chat that said /anonymous
        chat_state.Arrival(CHAT + 3, NOW, "c" * 64),
    ]
    async with store.unit_of_work() as session:
        together = await chat_state.read_many(session, arrivals, organisation_id=FIRST_ORGANISATION)
        open_together = [await service.open_tickets(session=session, citizen_id=s.citizen.id)
                         for s in together if s.citizen is not None]
    alone = []
    for arrival in arrivals:
        async with store.unit_of_work() as session:
            alone.append(await chat_state.read(session, organisation_id=FIRST_ORGANISATION, chat_id=arrival.chat_id, at=arrival.at,
                                               anonymous_key=arrival.anonymous_key))
    summary = [(s.citizen.id if s.citizen else None, s.chosen_language, s.comment_rating_id, s.anonymous_waiting,
                s.appointment_question_id) for s in together]
    assert summary == [(s.citizen.id if s.citizen else None, s.chosen_language, s.comment_rating_id,
                        s.anonymous_waiting, s.appointment_question_id) for s in alone]
    assert [len(tickets) for tickets in open_together] == [2, 0]
    assert summary[1][1] == "hu" and summary[2][3] and summary[3][4] is not None
    assert await chat_state.read_many(None, [], organisation_id=FIRST_ORGANISATION) == []


async def test_a_question_asked_in_one_chat_leaves_what_was_read_of_the_others(store):
    arrivals = [chat_state.Arrival(CHAT + n, NOW, None) for n in range(3)]
    async with store.unit_of_work() as session:
        await chat_state.read_many(session, arrivals, organisation_id=FIRST_ORGANISATION)
        asked = await questions.ask(session=session, question=Question(
            organisation_id=FIRST_ORGANISATION, kind="appointment", chat_id=CHAT, language="en", created_at=NOW))
        assert await questions.open_for_chat(session=session, organisation_id=FIRST_ORGANISATION, chat_id=CHAT, kind="appointment") is asked
        statements = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731 - the statement text
        sync_engine = session.get_bind()
        event.listen(sync_engine, "before_cursor_execute", listen)
        try:
            assert await questions.open_for_chat(session=session, organisation_id=FIRST_ORGANISATION, chat_id=CHAT + 1, kind="appointment") is None
        finally:
            event.remove(sync_engine, "before_cursor_execute", listen)
        assert statements == []  # known absent from the read: not asked again
