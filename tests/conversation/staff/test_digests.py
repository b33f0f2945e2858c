"""Digests: waiting new-ticket cards folded into messages listing many tickets, every card accounted for."""

from datetime import timedelta

from sqlalchemy import func, select

from desk.organisations.models import FIRST_ORGANISATION
from conversation.buttons import CardAction, decode
from conversation.staff import digests
from conversation.staff.cards import category_name, enqueue_staff_card
from desk import outbox
from desk.outbox import OutboxMessage
from desk.staff.startup import seed_registry
from desk.tickets.models import Ticket
from tests import factories
from tests.conftest import at
from tests.conversation.staff.test_staff_console import AGENT, run, said

RECEIVED = at("2026-11-23T10:15:00+09:00")
NOW = at("2026-11-23T10:16:00+09:00")


async def open_with_cards(store, desk, count: int, *, chat_id: int = 700, **options) -> list[int]:
    """`count` tickets, each with its card promised to the staff chat, as intake leaves them."""
    ids = []
    async with store.unit_of_work() as session:
        for i in range(count):
            ticket = await factories.ticket(session, desk.charter, received_at=RECEIVED, chat_id=chat_id + i, **options)
            await session.flush()
            await enqueue_staff_card(session, desk, ticket, RECEIVED)
            ids.append(ticket.id)
    return ids


async def fold(store, desk, *, above: int = 5, now=NOW) -> int:
    async with store.unit_of_work() as session:
        return await digests.fold_waiting(session, desk, now, above=above)


async def rows(store, prefix: str) -> list[OutboxMessage]:
    async with store.unit_of_work() as session:
        query = select(OutboxMessage).where(OutboxMessage.key.startswith(prefix)).order_by(OutboxMessage.id)
        return list((await session.scalars(query)).all())


async def test_a_few_waiting_cards_go_as_cards(store, desk):
    await open_with_cards(store, desk, 5)
    assert await fold(store, desk, above=5) == 0
    assert {card.status for card in await rows(store, "card:")} == {"pending"}
    assert await rows(store, "digest:") == []


async def test_more_cards_than_the_limit_lets_through_are_folded_each_into_one_digest(store, desk):
    ids = await open_with_cards(store, desk, 90)
    assert await fold(store, desk) == 90
    cards, made = await rows(store, "card:"), await rows(store, "digest:")
    size = digests.DIGEST_SIZE
    assert len(made) == -(-90 // size)
    assert {card.status for card in cards} == {"folded"}
    # Each digest full before the next is started.
    assert sorted(card.folded_into for card in cards) == sorted(
        made[i // size].id for i in range(90)
    )
    async with store.unit_of_work() as session:
        tickets = list(await session.scalars(select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id)))
    listed = "\n".join(d.text for d in made)
    assert all(ticket.number in listed for ticket in tickets)
    language = desk.staff_chat_language()
    # Each line: number, category and due moment, as the staff chat reads them.
    first = tickets[0]
    assert f"{first.number} · {category_name(desk, first.category, language)}" in made[0].text.splitlines()[1]
    assert desk.moment(first.due_at, language) in made[0].text.splitlines()[1]
    for digest in made:
        assert digest.status == "pending" and digest.chat_id == desk.charter.staff_chat_id
        assert len(digest.text) <= digests.TEXT_LIMIT
        buttons = [button for row in digest.reply_markup for button in row]
        assert all(len(row) <= 8 for row in digest.reply_markup) and len(buttons) <= 100
        assert {decode(b["data"]).action for b in buttons} == {"show"}
    # Folding again finds nothing: no card is listed twice.
    assert await fold(store, desk) == 0


async def test_a_digest_not_yet_sent_takes_in_later_cards_even_a_few(store, desk):
    await open_with_cards(store, desk, 10)
    await fold(store, desk)
    await open_with_cards(store, desk, 2, chat_id=900)
    assert await fold(store, desk) == 2
    (made,) = await rows(store, "digest:")
    assert made.text.count("• ") == 12


async def test_a_leased_card_or_one_being_sent_is_never_folded(store, desk):
    await open_with_cards(store, desk, 8)
    async with store.unit_of_work() as session:
        leased = await outbox.claim_due(session, now=NOW, limit=2)
        await outbox.mark_sending(session, outbox_ids=[leased[0].id], now=NOW)
    assert await fold(store, desk) == 6
    statuses = {card.id: card.status for card in await rows(store, "card:")}
    assert statuses[leased[0].id] == statuses[leased[1].id] == "pending"


async def test_a_digest_in_the_staff_chats_language(store, desk):
    await open_with_cards(store, desk, 7)
    await fold(store, desk)
    (made,) = await rows(store, "digest:")
    assert made.text.splitlines()[0] == desk.texts.render(
        "utter_staff_digest_header", desk.staff_chat_language(), count=7
    )
    for language in ("ko", "en", "hu"):
        assert desk.texts.render("utter_staff_digest_footer", language)


async def test_pressing_a_number_under_a_digest_shows_the_ticket_in_full(store, desk):
    await seed_registry(store, desk.charter, organisation_id=FIRST_ORGANISATION, now=RECEIVED)
    (ticket_id,) = await open_with_cards(store, desk, 1, text="The heating in flat 12 is broken")
    outcome = await run(store, desk, AGENT, "show", str(ticket_id), button=True)
    assert "The heating in flat 12 is broken" in said(outcome)
    unknown = await run(store, desk, AGENT, "show", "99999999999999999999999", button=True)
    assert said(unknown) or unknown.toast
    assert CardAction("show", ticket_id) == decode(f"s:show:{ticket_id}")


async def test_every_card_row_stays_accounted_for(store, desk):
    await open_with_cards(store, desk, 45)
    await fold(store, desk)
    async with store.unit_of_work() as session:
        counts = dict((await session.execute(
            select(OutboxMessage.status, func.count()).where(OutboxMessage.key.startswith("card:"))
            .group_by(OutboxMessage.status))).all())
    assert counts == {"folded": 45}


async def test_a_digest_that_would_be_too_long_is_cut_back_and_the_rest_goes_in_the_next(store, desk, monkeypatch):
    monkeypatch.setattr(digests, "TEXT_LIMIT", 600)
    await open_with_cards(store, desk, 30)
    assert await fold(store, desk) == 30
    made = await rows(store, "digest:")
    assert len(made) > 1 and all(len(d.text) <= 600 for d in made)
    assert sum(d.text.count("• ") for d in made) == 30
    assert {card.status for card in await rows(store, "card:")} == {"folded"}


async def test_cards_waiting_in_a_minute_already_busy_are_folded_a_lone_card_is_not(store, desk):
    await open_with_cards(store, desk, 4)
    async with store.unit_of_work() as session:
        for row in await outbox.claim_due(session, now=NOW, limit=4):
            await outbox.record_sent(session, message_ids={row.id: None}, now=NOW)
    await open_with_cards(store, desk, 1, chat_id=900)
    assert await fold(store, desk, above=5) == 0  # one card: it goes as a card
    await open_with_cards(store, desk, 1, chat_id=950)
    assert await fold(store, desk, above=5) == 2  # 4 sent this minute + 2 waiting > 5
    async with store.unit_of_work() as session:  # the live summary and the digest go out
        sent = await outbox.claim_due(session, now=NOW, limit=10)
        await outbox.record_sent(session, message_ids={row.id: None for row in sent}, now=NOW)
    assert len(sent) == 2
    # Two minutes later the budget is free again: two cards go as cards.
    await open_with_cards(store, desk, 2, chat_id=990)
    assert await fold(store, desk, above=5, now=NOW + timedelta(minutes=2)) == 0


async def test_a_digest_past_retention_is_deleted_and_its_cards_stay_accounted_as_folded(store, desk):
    from desk.privacy import retention

    await open_with_cards(store, desk, 7)
    await fold(store, desk)
    async with store.unit_of_work() as session:
        sent = await outbox.claim_due(session, now=NOW, limit=10)
        await outbox.record_sent(session, message_ids={row.id: None for row in sent}, now=NOW)
    async with store.unit_of_work() as session:
        later = NOW + timedelta(days=3650)
        while await retention.expire_messages(session=session, desk=desk, now=later):
            pass
    assert await rows(store, "digest:") == []
    cards = await rows(store, "card:")
    assert len(cards) == 7 and {(card.status, card.folded_into) for card in cards} == {("folded", None)}


async def test_an_open_digest_with_no_room_left_for_a_line_leaves_later_cards_to_a_new_one(store, desk, monkeypatch):
    await open_with_cards(store, desk, 7)
    await fold(store, desk)
    (first,) = await rows(store, "digest:")
    monkeypatch.setattr(digests, "TEXT_LIMIT", len(first.text) + 5)
    await open_with_cards(store, desk, 3, chat_id=900)
    assert await fold(store, desk) == 3
    first_again, second = await rows(store, "digest:")
    assert first_again.text == first.text and second.text.count("• ") == 3
