"""The sealed channel: an anonymous sender who chose it is told the answer, asked for a rating, and
the rows that carried it are gone afterwards."""

from sqlalchemy import func, select

from desk.organisations.models import FIRST_ORGANISATION
from desk.anonymous import receipts
from conversation.citizen import surveys
from desk.outbox import OutboxMessage
from infra.sealing import Sealer
from desk.staff.models import Staff
from conversation.staff import handling
from desk.tickets import lifecycle
from desk.tickets.models import Ticket
from scheduler import sweeps
from tests.conftest import at

RECEIVED = at("2026-11-23T10:15:00+09:00")
NOW = at("2026-11-24T11:00:00+09:00")
SENDER = 705
AGENT = 1002


async def anonymous_ticket(store, desk, sealer: Sealer, *, sealed_to: int | None) -> int:
    async with store.unit_of_work() as session:
        ticket = await lifecycle.create(
            organisation_id=FIRST_ORGANISATION, session=session, citizen=None, category="complaint", language="en", text="The counter was rude.",
            received_at=RECEIVED, due_at=desk.charter.due_at("complaint", RECEIVED),
        )
        ticket.anonymous = True
        receipt, _code = await receipts.issue(session=session, ticket_id=ticket.id)
        if sealed_to is not None:
            receipt.sealed_chat = sealer.seal_chat(sealed_to, purpose=receipts.purpose_of(receipt))
        return ticket.id


async def reply(store, desk, ticket_id: int, text: str) -> None:
    async with store.unit_of_work() as session:
        staff = await session.get(Staff, AGENT)
        ticket = await session.get(Ticket, ticket_id)
        await handling.staff_reply(session=session, desk=desk, staff=staff, ticket=ticket, text=text, now=NOW)


async def outbox_count(store) -> int:
    async with store.unit_of_work() as session:
        return await session.scalar(select(func.count()).select_from(OutboxMessage))


async def seeded_staff(store) -> None:
    async with store.unit_of_work() as session:
        if await session.get(Staff, AGENT) is None:
            session.add(Staff(organisation_id=FIRST_ORGANISATION, telegram_id=AGENT, name="이상담", role="agent", added_at=RECEIVED))


async def test_the_answer_and_the_rating_question_reach_the_sealed_chat_once_and_leave_no_rows(
    store, desk, sandbox, make_dispatcher
):
    sealer = Sealer(bytes(range(32)))
    sandbox.user(SENDER, "Anonymous sender")
    await seeded_staff(store)
    ticket_id = await anonymous_ticket(store, desk, sealer, sealed_to=SENDER)
    silent = await anonymous_ticket(store, desk, sealer, sealed_to=None)
    await reply(store, desk, ticket_id, "We spoke to the counter staff.")
    await reply(store, desk, silent, "Noted.")
    dispatcher = make_dispatcher(clock=lambda: NOW)

    assert await sweeps.push_anonymous_answers(store, desk, lambda: NOW, sealer, dispatcher) == 2
    await dispatcher.drain()
    answer, question = sandbox.bot_messages(SENDER)
    assert "C-1001" in answer["text"] and "We spoke to the counter staff." in answer["text"]
    assert "C-1001" in question["text"] and question["reply_markup"]["inline_keyboard"][0][0]["text"] == "1"
    await sweeps.push_anonymous_answers(store, desk, lambda: NOW, sealer, dispatcher)
    assert await outbox_count(store) == 0  # delivered rows are deleted: no chat stays next to the ticket
    assert await sweeps.push_anonymous_answers(store, desk, lambda: NOW, sealer, dispatcher) == 0
    assert len(sandbox.bot_messages(SENDER)) == 2

    async with store.unit_of_work() as session:
        press = await surveys.record_rating(session=session, desk=desk, ticket_id=ticket_id, score=4,
                                            chat_id=SENDER, now=NOW, sealer=sealer)
    assert press.status == "recorded"


async def test_a_channel_sealed_under_another_key_is_never_pushed_to(store, desk, sandbox, make_dispatcher):
    sandbox.user(SENDER, "Anonymous sender")
    await seeded_staff(store)
    ticket_id = await anonymous_ticket(store, desk, Sealer(bytes(32)), sealed_to=SENDER)
    await reply(store, desk, ticket_id, "Answer.")
    dispatcher = make_dispatcher(clock=lambda: NOW)
    assert await sweeps.push_anonymous_answers(store, desk, lambda: NOW, Sealer(bytes(range(32))), dispatcher) == 0
    await dispatcher.drain()
    assert sandbox.bot_messages(SENDER) == []
