"""End to end: the rating question reaches the citizen through the sandbox, the real bot takes the press,
shows the score, thanks, and takes a comment only when the citizen offered one."""

from datetime import timedelta

from sqlalchemy import select

from desk.organisations.models import FIRST_ORGANISATION
from conversation.citizen import surveys
from desk.surveys import Rating
from desk.tickets import lifecycle, service
from tests.conftest import at

USER = 8801
# The survey is asked "now" in the past, outside quiet hours, so the scheduler sends it at once.
ASKED = at("2026-11-20T10:00:00+09:00")


async def answered_ticket(store) -> int:
    async with store.unit_of_work() as session:
        citizen = await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=USER, language="en", now=ASKED)
        ticket = await lifecycle.create(
            organisation_id=FIRST_ORGANISATION, session=session,
            citizen=citizen,
            category="inquiry",
            language="en",
            text="How do I renew my card?",
            received_at=ASKED - timedelta(days=1),
            due_at=ASKED + timedelta(days=6),
        )
        ticket.status, ticket.answered_at = "answered", ASKED
        return ticket.id


async def the_rating(store) -> Rating | None:
    async with store.unit_of_work() as session:
        return await session.scalar(select(Rating))


def edited_to(sandbox, message_id: int, text: str):
    return lambda: next(
        (m for m in sandbox.bot_messages(USER) if m["message_id"] == message_id and m["text"] == text), None
    )


async def test_a_citizen_rates_comments_and_then_writes_a_new_request(sandbox, live):
    sandbox.user(USER, "Rater", language_code="en")
    ticket_id = await answered_ticket(live.store)
    async with live.store.unit_of_work() as session:
        ticket = await service.get_ticket(session=session, organisation_id=FIRST_ORGANISATION, ticket_id=ticket_id)
        assert await surveys.ask_for_rating(session=session, desk=live.desk, ticket=ticket, now=ASKED)

    [question] = await sandbox.wait_for_bot_messages(USER, timeout=15)
    assert question["text"].startswith("How satisfied are you with how we handled I-1001?")
    await sandbox.press_button(USER, USER, question["message_id"], f"c:rate:{ticket_id}:4")
    rated = await sandbox.wait_for(
        edited_to(sandbox, question["message_id"], "Your rating for I-1001: 4 of 5. Thank you!"),
        what="the question edited to show the score",
    )
    assert [a["text"] for a in sandbox.callback_answers] == ["Thank you for your rating!"]
    assert (await the_rating(live.store)).score == 4

    await sandbox.press_button(
        USER, USER, question["message_id"], rated["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    )
    await sandbox.wait_for(
        lambda: "within 10 minutes" in sandbox.bot_messages(USER)[0]["text"], what="the comment prompt"
    )

    comment = await sandbox.send_text(USER, "Clear answer, a bit slow.")
    [saved] = await sandbox.wait_for_bot_messages(USER, after_message_id=comment["message_id"])
    assert saved["text"] == "Thank you, your comment on I-1001 is saved."
    assert (await the_rating(live.store)).comment == "Clear answer, a bit slow."

    # The comment was one message: the next one is handled as citizens' messages always are.
    request = await sandbox.send_text(USER, "How do I apply for a disabled parking permit?")
    [reply] = await sandbox.wait_for_bot_messages(USER, after_message_id=request["message_id"])
    assert "comment" not in reply["text"]
    assert (await the_rating(live.store)).comment == "Clear answer, a bit slow."
