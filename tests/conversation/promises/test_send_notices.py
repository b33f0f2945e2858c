"""Staff are told about failed and doubtful sends; a citizen who blocked the bot becomes unreachable."""

from sqlalchemy import select

from desk.organisations.models import FIRST_ORGANISATION
from conversation.promises import notices
from desk import outbox
from infra.encrypted import chat_hash_of
from desk.outbox import Delivery, OutboxMessage
from desk.tickets import service
from tests.conftest import at
from tests.conversation.promises.test_deadlines import open_ticket

NOW = at("2026-11-24T10:00:00+09:00")
STAFF_CHAT = -1001234567890


async def failed(store, *, key, chat_id, delivery, ticket_id=None) -> int:
    async with store.unit_of_work() as session:
        message = await outbox.enqueue(session, key=key, chat_id=chat_id, text=f"text of {key}", now=NOW, ticket_id=ticket_id)
        await outbox.record(session, outbox_id=message.id, delivery=delivery, now=NOW)
        return message.id


async def report(store, desk) -> int:
    async with store.unit_of_work() as session:
        return await notices.report_failed_sends(session=session, desk=desk, now=NOW)


async def staff_chat_texts(store) -> list[str]:
    async with store.unit_of_work() as session:
        query = select(OutboxMessage.text).where(OutboxMessage.chat_hash == chat_hash_of(STAFF_CHAT)).order_by(OutboxMessage.id)
        return list((await session.scalars(query)).all())


async def test_an_unknown_send_is_reported_once_with_its_ticket_and_text(store, desk):
    ticket_id = await open_ticket(store, desk)
    await failed(store, key="interim:1", chat_id=700, delivery=Delivery("unknown", reason="timed out"), ticket_id=ticket_id)
    assert await report(store, desk) == 1
    assert await report(store, desk) == 0
    [text] = await staff_chat_texts(store)
    assert text == desk.texts.render(
        "utter_notice_unknown", "ko", about=desk.texts.render("utter_notice_about_ticket", "ko", number="I-1001"),
        excerpt="text of interim:1",
    )


async def test_a_citizen_who_blocked_the_bot_becomes_unreachable_and_staff_are_told(store, desk):
    ticket_id = await open_ticket(store, desk)
    blocked = Delivery("undeliverable", reason="Forbidden: bot was blocked by the user", chat_blocked=True)
    await failed(store, key="interim:1", chat_id=700, delivery=blocked, ticket_id=ticket_id)
    await report(store, desk)
    async with store.unit_of_work() as session:
        assert (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=700)).unreachable_at == NOW
        assert (await service.get_ticket(session=session, organisation_id=FIRST_ORGANISATION, ticket_id=ticket_id)).status == "open"
    [text] = await staff_chat_texts(store)
    assert "I-1001" in text and "700" not in text  # the ticket, never the chat: anonymity holds


async def test_a_staff_member_who_never_started_the_bot_is_named(store, desk):
    never_started = Delivery("undeliverable", reason="Forbidden: bot can't initiate conversation with a user", chat_blocked=True)
    await failed(store, key="escalate:1", chat_id=1001, delivery=never_started)
    await report(store, desk)
    [text] = await staff_chat_texts(store)
    assert "김담당" in text and "text of escalate:1" in text


async def test_a_refused_message_is_reported_with_the_reason(store, desk):
    await failed(store, key="reply:1", chat_id=700, delivery=Delivery("undeliverable", reason="Bad Request: message is too long"))
    await report(store, desk)
    [text] = await staff_chat_texts(store)
    assert "message is too long" in text and desk.texts.render("utter_notice_about_nothing", "ko") in text


async def test_failed_notices_are_not_reported_again(store, desk):
    await failed(store, key="notice:unknown:1", chat_id=STAFF_CHAT, delivery=Delivery("unknown"))
    await failed(store, key="remind:1", chat_id=STAFF_CHAT, delivery=Delivery("undeliverable", reason="Forbidden: bot was kicked", chat_blocked=True))
    assert await report(store, desk) == 2
    assert await report(store, desk) == 0
    assert await staff_chat_texts(store) == ["text of notice:unknown:1", "text of remind:1"]
