"""Anonymous complaints at the desk level: receipt codes, no link to the sender, throttled wrong codes,
the sealed channel, and what is deleted afterwards."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from desk.organisations.models import FIRST_ORGANISATION
from desk.anonymous import receipts
from desk.anonymous import traces
from conversation.citizen import anonymous
from desk.anonymous.receipts import Receipt
from desk.outbox import OutboxMessage
from infra.sealing import Sealer
from conversation.citizen.flows import Desk
from desk.tickets.models import InboundMessage, Ticket, TicketEntry
from tests.bot.citizen_steps import rows_mentioning
from tests.conftest import at

RECEIVED = at("2026-11-23T10:15:00+09:00")
CHAT = 771_999_001


@pytest.fixture
def sealer(tmp_path) -> Sealer:
    return Sealer.from_file(tmp_path / "data.key")


def test_codes_have_16_digits_and_are_read_as_typed():
    code = receipts.new_code()
    assert len(code) == 16 and code.isdigit()
    assert receipts.display("1234567890123456") == "1234 5678 9012 3456"
    assert receipts.parse_code("1234 5678-9012.3456") == "1234567890123456"
    assert receipts.parse_code("1234 5678") is None and receipts.parse_code("١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦") is None
    assert receipts.looks_like_code("12 34") and not receipts.looks_like_code("I-1001")


async def test_a_code_is_found_through_its_bucket_only(store):
    async with store.unit_of_work() as session:
        for number in (1, 2):
            session.add(Ticket(organisation_id=FIRST_ORGANISATION, serial=1000 + number, category="complaint", language="en", text="x", received_at=RECEIVED,
                               due_at=RECEIVED, anonymous=True))
        await session.flush()
        receipt, code = await receipts.issue(session=session, ticket_id=1)
        # A second receipt in the same bucket (the first five digits are not unique).
        twin_code = code[:5] + "".join(reversed(code[5:]))
        session.add(Receipt(lookup=code[:5], code_hash=receipts._HASHER.hash(twin_code), ticket_id=2))
    async with store.unit_of_work() as session:
        assert (await receipts.find(session=session, organisation_id=FIRST_ORGANISATION, code=code)).ticket_id == 1
        assert (await receipts.find(session=session, organisation_id=FIRST_ORGANISATION, code=twin_code)).ticket_id == 2
        assert await receipts.find(session=session, organisation_id=FIRST_ORGANISATION, code=code[:15] + str((int(code[15]) + 1) % 10)) is None
    assert code not in receipt.code_hash and receipt.lookup == code[:5]


async def take(store, desk, sealer, text: str, message_id: int = 1, now=RECEIVED):
    async with store.unit_of_work() as session:
        return await anonymous.take_complaint(
            session=session, desk=desk, sealer=sealer, chat_id=CHAT, message_id=message_id, text=text,
            received_at=now, language="en", now=now,
        )


async def status(store, desk, sealer, code: str, now) -> str:
    async with store.unit_of_work() as session:
        answer = await anonymous.status_by_code(
            session=session, desk=desk, sealer=sealer, chat_id=CHAT, message_id=None, code_text=code,
            received_at=now, language="en", now=now,
        )
    return answer.outgoing[0].text


def code_in(answer) -> str:
    [data] = [b["data"] for row in answer.outgoing[0].reply_markup for b in row
              if b["data"].startswith("c:seal:")]
    return data.removeprefix("c:seal:")


async def test_the_complaint_is_stored_with_nothing_that_points_at_the_sender(store, desk, sealer):
    async with store.unit_of_work() as session:
        explained = await anonymous.explain(session=session, desk=desk, sealer=sealer, chat_id=CHAT,
                                                  message_id=1, received_at=RECEIVED, language="en", now=RECEIVED)
        assert await anonymous.is_waiting(session=session, organisation_id=FIRST_ORGANISATION, sealer=sealer, chat_id=CHAT)
    assert explained.ephemeral
    answer = await take(store, desk, sealer, "The waiting room was locked.", message_id=2)
    code = code_in(answer)
    assert answer.ephemeral and answer.ticket_number == "C-1001"
    assert receipts.display(code) in answer.outgoing[0].text
    [ticket] = (await rows(store, Ticket))
    assert ticket.anonymous and ticket.citizen_id is None
    [inbound_one, inbound_two] = await rows(store, InboundMessage)
    assert {inbound_one.chat_id, inbound_two.chat_id} == {0} and inbound_two.ticket_id is None
    # The replies went out (as the handler does) and were deleted; the staff card stays, sender-free.
    async with store.unit_of_work() as session:
        for row in (await session.scalars(select(OutboxMessage))).all():
            row.status = "sent"
        await traces.scrub(session=session, outbox_ids=[m.id for m in explained.outgoing + answer.outgoing])
    assert [row.key for row in await rows(store, OutboxMessage)] == ["card:1"]
    assert await rows_mentioning(store, [CHAT]) == []
    async with store.unit_of_work() as session:
        assert not await anonymous.is_waiting(session=session, organisation_id=FIRST_ORGANISATION, sealer=sealer, chat_id=CHAT)
    # The same Telegram message again changes nothing.
    assert (await take(store, desk, sealer, "The waiting room was locked.", message_id=2)).duplicate


async def test_idempotency_records_of_the_anonymous_path_are_forgotten_after_a_day(store, desk, sealer):
    await take(store, desk, sealer, "The waiting room was locked.")
    await take(store, desk, sealer, "And cold.", message_id=2, now=RECEIVED + timedelta(days=1, minutes=1))
    assert [r.received_at for r in await rows(store, InboundMessage)] == [RECEIVED + timedelta(days=1, minutes=1)]


async def test_five_wrong_codes_then_none_are_checked_for_ten_minutes(store, desk, sealer):
    code = code_in(await take(store, desk, sealer, "The waiting room was locked."))
    assert "C-1001 · open" in await status(store, desk, sealer, code, RECEIVED)
    for minute in range(5):
        wrong = await status(store, desk, sealer, "0000 0000 0000 0000", RECEIVED + timedelta(minutes=minute))
        assert wrong == desk.texts.render("utter_code_wrong", "en")
    throttled = desk.texts.render("utter_code_throttled", "en", minutes=10)
    assert await status(store, desk, sealer, code, RECEIVED + timedelta(minutes=9)) == throttled
    assert "C-1001" in await status(store, desk, sealer, code, RECEIVED + timedelta(minutes=10))


async def test_a_sealed_channel_gets_each_answer_once(store, desk, sealer):
    code = code_in(await take(store, desk, sealer, "The waiting room was locked."))
    async with store.unit_of_work() as session:
        sealed = await anonymous.seal(session=session, desk=desk, sealer=sealer, chat_id=CHAT, code=code,
                                            language="en", now=RECEIVED)
        forged = await anonymous.seal(session=session, desk=desk, sealer=sealer, chat_id=CHAT,
                                            code="1" * 16, language="en", now=RECEIVED)
    assert sealed.outgoing[0].text.startswith("Done.") and forged.outgoing[0].text.startswith("That receipt code")
    async with store.unit_of_work() as session:
        session.add(TicketEntry(ticket_id=1, kind="staff_reply", text="We fixed the lock.", created_at=RECEIVED))

    async def push():
        async with store.unit_of_work() as session:
            return await anonymous.push_sealed_answers(session=session, desk=desk, sealer=sealer, now=RECEIVED)

    pushed, question = await push()  # the answer, then the rating question through the same channel
    assert pushed.chat_id == CHAT and "We fixed the lock." in pushed.text
    assert question.chat_id == CHAT and question.reply_markup[0][-1]["text"] == "5"
    assert await push() == []
    async with store.unit_of_work() as session:
        row = await session.get(OutboxMessage, pushed.id)
        assert row.ticket_id is None and row.key.startswith("anon:")
        for row in (await session.scalars(select(OutboxMessage))).all():
            row.status = "sent"  # as the handler and the dispatcher leave them
        # receipt, 2 seal answers, the push and its rating question
        assert await traces.scrub_delivered(session=session) == 5
    assert await rows_mentioning(store, [CHAT]) == []


async def test_a_charter_without_anonymous_complaints_says_so(store, desk, sealer):
    closed = Desk(charter=desk.charter.model_copy(update={"anonymous_complaints": False}), texts=desk.texts)
    answer = await take(store, closed, sealer, "The waiting room was locked.")
    assert answer.outgoing[0].text == desk.texts.render(
        "utter_anonymous_disabled", "en", organisation=desk.charter.organisation.name, contact=desk.known()["contact"]
    )
    assert await rows(store, Ticket) == []


async def rows(store, model):
    async with store.unit_of_work() as session:
        return list((await session.scalars(select(model).order_by(model.id))).all())
