"""A correction's message goes when its ticket's personal data goes: by /forget and by the retention sweep."""

from datetime import timedelta

from sqlalchemy import select, text

from conversation.citizen.forget import forget
from desk.privacy import retention
from desk.tickets import corrections, lifecycle
from desk.tickets.enums import Category
from tests import factories
from tests.conftest import at

RECEIVED = at("2026-11-23T10:15:00+09:00")
NOW = at("2026-11-24T11:00:00+09:00")
WORDS = "My neighbour's dog barks all night"


async def corrected(store, charter, *, chat_id: int, words: str = WORDS, close: bool = False) -> int:
    """A ticket of this chat, moved from inquiry to complaint by staff; closed at NOW if `close`."""
    async with store.unit_of_work() as session:
        ticket = await factories.ticket(session, charter, received_at=RECEIVED, chat_id=chat_id, text=words)
        change = lifecycle.recategorise(ticket, charter=charter, category=Category.COMPLAINT)
        await corrections.record(session=session, ticket=ticket, from_category=change.from_category, staff_id=1002,
                                 now=NOW)
        if close:
            lifecycle.close(ticket, now=NOW)
        return ticket.id


async def rows(store) -> dict[int, corrections.Correction]:
    async with store.unit_of_work() as session:
        return {r.ticket_id: r for r in (await session.scalars(select(corrections.Correction))).all()}


async def test_forget_erases_the_message_and_keeps_the_count(store, desk):
    mine = await corrected(store, desk.charter, chat_id=700)
    other = await corrected(store, desk.charter, chat_id=701, words="Someone else's words")
    async with store.unit_of_work() as session:
        assert await forget(session=session, desk=desk, chat_id=700, now=NOW) == 1
    kept = await rows(store)
    assert (kept[mine].text, kept[mine].language) == (None, None)
    assert (kept[mine].from_category, kept[mine].to_category) == ("inquiry", "complaint")
    assert kept[other].text == "Someone else's words"  # only the citizen who asked
    async with store.unit_of_work() as session:
        assert await corrections.confusion(session=session) == {(Category.INQUIRY, Category.COMPLAINT): 2}
        assert [e.text for e in await corrections.examples(session=session)] == [
            "Someone else's words"
        ]
        raw = (await session.scalars(text("SELECT text FROM ticket_corrections WHERE text IS NOT NULL"))).all()
        assert len(raw) == 1 and "words" not in raw[0]  # what is kept stays encrypted


async def test_retention_erases_the_message_with_the_closed_ticket(store, desk):
    old = await corrected(store, desk.charter, chat_id=700, close=True)
    still_open = await corrected(store, desk.charter, chat_id=701)
    later = NOW + timedelta(days=desk.charter.retention_days + 1)
    async with store.unit_of_work() as session:
        assert await retention.erase_closed_tickets(session=session, desk=desk, now=later) == 1
    kept = await rows(store)
    assert kept[old].text is None and kept[still_open].text == WORDS


async def test_an_erased_ticket_is_still_named_by_its_first_number(store, desk):
    ticket_id = await corrected(store, desk.charter, chat_id=700)
    async with store.unit_of_work() as session:
        await forget(session=session, desk=desk, chat_id=700, now=NOW)
        ticket = await session.get(lifecycle.Ticket, ticket_id)
        assert await corrections.names_ticket(session=session, ticket=ticket, category=Category.INQUIRY)
        assert not await corrections.names_ticket(session=session, ticket=ticket, category=Category.APPOINTMENT_REQUEST)
