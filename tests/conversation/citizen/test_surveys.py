"""Satisfaction surveys: asked once per ticket, rated once, a comment only when offered; bad input refused."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from desk.organisations.models import FIRST_ORGANISATION
from desk.anonymous import receipts
from conversation.citizen import surveys
from conversation.buttons import stored
from desk.charter.model import SatisfactionSurvey
from desk.outbox import OutboxMessage
from infra.sealing import Sealer
from conversation.citizen.surveys import ASK_DELAY, COMMENT_WINDOW
from desk.surveys import Rating
from desk.tickets import service
from conversation.citizen.flows import Desk, Inbound
from desk.tickets.models import Ticket
from desk.charter.model import load_charter
from desk.tickets.enums import TicketStatus
from tests import factories
from tests.conftest import ROOT, at

RECEIVED = at("2026-11-23T10:00:00+09:00")  # Monday morning in Seoul
ANSWERED = at("2026-11-24T11:00:00+09:00")  # outside quiet hours (21:00-08:00)
LATE_EVENING = at("2026-11-24T22:30:00+09:00")  # inside them
CHAT = 4242
CHARTER = load_charter(ROOT / "charter.yml")


async def new_ticket(
    store, *, chat_id=CHAT, language="en", anonymous=False, appointment_at=None, status="answered"
) -> int:
    """An inquiry received at RECEIVED and, by default, answered at ANSWERED, through the lifecycle."""
    async with store.unit_of_work() as session:
        ticket = await factories.ticket(
            session, CHARTER, received_at=RECEIVED, chat_id=None if anonymous else chat_id, language=language,
            text="my question", status=TicketStatus(status), answered_at=ANSWERED,
        )
        ticket.appointment_at = appointment_at
        return ticket.id


async def ask(store, desk, ticket_id, *, now=ANSWERED):
    async with store.unit_of_work() as session:
        ticket = await session.get(Ticket, ticket_id)
        return await surveys.ask_for_rating(session=session, desk=desk, ticket=ticket, now=now)


async def rate(store, desk, ticket_id, score, *, chat_id=CHAT, now=ANSWERED, sealer=None):
    async with store.unit_of_work() as session:
        return await surveys.record_rating(
            session=session, desk=desk, ticket_id=ticket_id, score=score, chat_id=chat_id, now=now,
            sealer=sealer,
        )


async def seal_channel(store, sealer, ticket_id, chat_id):
    """The anonymous sender of `ticket_id` chose to be told in `chat_id`."""
    async with store.unit_of_work() as session:
        receipt, _code = await receipts.issue(session=session, ticket_id=ticket_id)
        receipt.sealed_chat = sealer.seal_chat(chat_id, purpose=receipts.purpose_of(receipt))


async def rows(store, model) -> list:
    async with store.unit_of_work() as session:
        return list((await session.scalars(select(model).order_by(model.id))).all())


def without_survey(desk) -> Desk:
    charter = desk.charter.model_copy(
        update={"satisfaction_survey": SatisfactionSurvey(ask_after_reply=False)}
    )
    return Desk(charter=charter, texts=desk.texts)


# --- asking --------------------------------------------------------------------------------


async def test_the_question_is_promised_once_with_five_buttons(store, desk):
    ticket_id = await new_ticket(store)
    question = await ask(store, desk, ticket_id)
    assert question.chat_id == CHAT
    assert question.text == desk.texts.render("utter_survey_question", "en", number="I-1001")
    [buttons] = question.reply_markup
    assert [b["text"] for b in buttons] == ["1", "2", "3", "4", "5"]
    assert [b["data"] for b in buttons] == [f"c:rate:{ticket_id}:{s}" for s in range(1, 6)]
    assert all(len(b["data"].encode()) <= 64 for b in buttons)
    assert await ask(store, desk, ticket_id, now=ANSWERED + timedelta(hours=1)) is None
    [row] = await rows(store, OutboxMessage)
    assert row.key == f"survey:{ticket_id}" and row.ticket_id == ticket_id
    # The question follows the final reply after a short pause, not before it.
    assert row.not_before == ANSWERED + ASK_DELAY


async def test_the_question_waits_for_the_end_of_quiet_hours(store, desk):
    ticket_id = await new_ticket(store, language="ko")
    question = await ask(store, desk, ticket_id, now=LATE_EVENING)
    assert "I-1001" in question.text and question.text.startswith("I-1001 민원 처리에")
    [row] = await rows(store, OutboxMessage)
    assert row.not_before == at("2026-11-25T08:00:00+09:00")


async def test_an_anonymous_ticket_is_never_asked_through_a_row_that_links_it_to_a_chat(store, desk):
    ticket_id = await new_ticket(store, anonymous=True)
    assert await ask(store, desk, ticket_id) is None
    assert await rows(store, OutboxMessage) == []


async def test_nothing_is_asked_when_the_charter_does_not_survey(store, desk):
    ticket_id = await new_ticket(store)
    assert await ask(store, without_survey(desk), ticket_id) is None
    assert await rows(store, OutboxMessage) == []


async def test_a_citizen_who_blocked_the_bot_is_not_asked(store, desk):
    ticket_id = await new_ticket(store)
    async with store.unit_of_work() as session:
        (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT)).unreachable_at = ANSWERED
    assert await ask(store, desk, ticket_id) is None


async def test_appointments_are_asked_about_once_their_date_has_passed(store, desk):
    visit = at("2026-11-27T10:00:00+09:00")
    passed = await new_ticket(store, chat_id=1, appointment_at=visit)
    closed = await new_ticket(store, chat_id=2, appointment_at=visit, status="closed")
    ahead = await new_ticket(store, chat_id=3, appointment_at=visit + timedelta(days=7))
    no_visit = await new_ticket(store, chat_id=4)
    # The final reply that confirms a visit does not ask yet: the visit has not happened.
    assert await ask(store, desk, passed, now=ANSWERED) is None
    after_visit = visit + timedelta(hours=2)
    async with store.unit_of_work() as session:
        asked = await surveys.due_appointment_surveys(session=session, desk=desk, now=after_visit)
    assert [q.chat_id for q in asked] == [1]
    async with store.unit_of_work() as session:
        assert await surveys.due_appointment_surveys(session=session, desk=desk, now=after_visit) == []
        assert (
            await surveys.due_appointment_surveys(session=session, desk=without_survey(desk), now=after_visit)
            == []
        )
    assert {row.ticket_id for row in await rows(store, OutboxMessage)} == {passed}
    assert closed and ahead and no_visit


# --- rating --------------------------------------------------------------------------------


async def test_a_rating_is_recorded_once_and_a_second_press_changes_nothing(store, desk):
    ticket_id = await new_ticket(store)
    await ask(store, desk, ticket_id)
    first = await rate(store, desk, ticket_id, 4)
    assert first.status == "recorded"
    assert first.notice == "Thank you for your rating!"
    assert first.message == "Your rating for I-1001: 4 of 5. Thank you!"
    assert stored(first.buttons) == [[{"text": "Add a comment", "data": f"c:ratenote:{ticket_id}"}]]
    second = await rate(store, desk, ticket_id, 1, now=ANSWERED + timedelta(minutes=1))
    assert second.status == "already" and second.message is None
    assert second.notice == "You have already rated I-1001 (4 of 5). Thank you!"
    [rating] = await rows(store, Rating)
    assert (rating.ticket_id, rating.score, rating.created_at, rating.comment) == (
        ticket_id,
        4,
        ANSWERED,
        None,
    )


@pytest.mark.parametrize("score", [0, 6, -1, 99])
async def test_a_score_outside_one_to_five_is_refused(store, desk, score):
    ticket_id = await new_ticket(store)
    await ask(store, desk, ticket_id)
    press = await rate(store, desk, ticket_id, score)
    assert press.status == "invalid" and press.notice == "This rating button is no longer valid."
    assert press.message is None
    assert await rows(store, Rating) == []


async def test_rating_a_ticket_that_does_not_exist_or_was_not_asked_is_refused(store, desk):
    assert (await rate(store, desk, 999, 5)).status == "invalid"
    assert (await rate(store, desk, 0, 5)).status == "invalid"
    never_asked = await new_ticket(store)
    assert (await rate(store, desk, never_asked, 5)).status == "invalid"
    assert await rows(store, Rating) == []


async def test_only_the_chat_that_was_asked_can_rate(store, desk):
    ticket_id = await new_ticket(store)
    await ask(store, desk, ticket_id)
    assert (await rate(store, desk, ticket_id, 1, chat_id=CHAT + 1)).status == "invalid"
    assert (await rate(store, desk, ticket_id, 5)).status == "recorded"


async def test_an_anonymous_ticket_is_rated_only_from_its_sealed_channel_and_keeps_no_citizen(store, desk):
    sealer = Sealer(bytes(range(32)))
    ticket_id = await new_ticket(store, anonymous=True)
    await seal_channel(store, sealer, ticket_id, 9090)
    assert (await rate(store, desk, ticket_id, 2, chat_id=9091, sealer=sealer)).status == "invalid"
    assert (await rate(store, desk, ticket_id, 2, chat_id=9090)).status == "invalid"  # no key, no channel
    press = await rate(store, desk, ticket_id, 2, chat_id=9090, sealer=sealer)
    assert press.status == "recorded" and press.buttons is None  # no comment: it would need a link
    [rating] = await rows(store, Rating)
    assert not hasattr(rating, "citizen_id") and not hasattr(rating, "chat_id")


async def test_the_answer_is_in_the_citizens_language(store, desk):
    ticket_id = await new_ticket(store, language="hu")
    await ask(store, desk, ticket_id)
    press = await rate(store, desk, ticket_id, 5)
    assert press.message == "A(z) I-1001 ügy értékelése: 5 az 5-ből. Köszönjük!"


# --- comments ------------------------------------------------------------------------------


def message(text: str, message_id: int, at_=ANSWERED) -> Inbound:
    return Inbound(chat_id=CHAT, message_id=message_id, text=text, received_at=at_)


async def take(store, desk, inbound: Inbound):
    async with store.unit_of_work() as session:
        return await surveys.take_comment(
            session=session, desk=desk, inbound=inbound, now=inbound.received_at
        )


async def open_comment(store, desk, ticket_id, *, chat_id=CHAT, now=ANSWERED):
    async with store.unit_of_work() as session:
        return await surveys.open_comment(
            session=session, desk=desk, ticket_id=ticket_id, chat_id=chat_id, now=now
        )


async def test_a_comment_is_taken_only_after_the_button_and_only_once(store, desk):
    ticket_id = await new_ticket(store)
    await ask(store, desk, ticket_id)
    await rate(store, desk, ticket_id, 3)
    assert (
        await take(store, desk, message("How do I renew my card?", 10)) is None
    )  # not offered: a new request
    armed = await open_comment(store, desk, ticket_id)
    assert armed.status == "armed"
    assert armed.message.startswith("Your rating for I-1001: 3 of 5.")
    assert "within 10 minutes" in armed.message and armed.buttons is None
    answer = await take(store, desk, message("Clear answer, but slow.", 11, ANSWERED + timedelta(minutes=3)))
    [saved] = answer.outgoing
    assert saved.chat_id == CHAT and saved.text == "Thank you, your comment on I-1001 is saved."
    assert (
        await take(store, desk, message("And another question", 12, ANSWERED + timedelta(minutes=4))) is None
    )
    [rating] = await rows(store, Rating)
    assert rating.comment == "Clear answer, but slow." and rating.comment_open_until is None
    assert (await open_comment(store, desk, ticket_id)).status == "commented"


async def test_the_comment_message_is_recorded_so_a_redelivery_opens_nothing(store, desk):
    ticket_id = await new_ticket(store)
    await ask(store, desk, ticket_id)
    await rate(store, desk, ticket_id, 3)
    await open_comment(store, desk, ticket_id)
    await take(store, desk, message("Fine.", 11))
    async with store.unit_of_work() as session:
        again = await service.record_inbound(
            organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT, message_id=11, received_at=ANSWERED
        )
    assert again is None


async def test_a_message_after_the_comment_window_is_not_a_comment(store, desk):
    ticket_id = await new_ticket(store)
    await ask(store, desk, ticket_id)
    await rate(store, desk, ticket_id, 3)
    await open_comment(store, desk, ticket_id)
    late = message(
        "I have a new question about housing", 11, ANSWERED + COMMENT_WINDOW + timedelta(seconds=1)
    )
    assert await take(store, desk, late) is None
    [rating] = await rows(store, Rating)
    assert rating.comment is None


async def test_a_comment_needs_a_rating_from_the_same_chat(store, desk):
    ticket_id = await new_ticket(store)
    await ask(store, desk, ticket_id)
    assert (await open_comment(store, desk, ticket_id)).status == "invalid"  # not rated yet
    await rate(store, desk, ticket_id, 3)
    assert (await open_comment(store, desk, ticket_id, chat_id=CHAT + 1)).status == "invalid"
    assert (await open_comment(store, desk, 999)).status == "invalid"
    async with store.unit_of_work() as session:
        armed = (
            await session.execute(select(func.count()).where(Rating.comment_open_until.is_not(None)))
        ).scalar_one()
    assert armed == 0


async def test_a_visit_longer_ago_than_the_survey_window_is_not_asked_about(store, desk):
    visit = at("2026-11-27T10:00:00+09:00")
    await new_ticket(store, chat_id=1, appointment_at=visit)
    long_after = visit + surveys.VISIT_SURVEY_WINDOW + timedelta(minutes=1)
    async with store.unit_of_work() as session:
        assert await surveys.due_appointment_surveys(session=session, desk=desk, now=long_after) == []
