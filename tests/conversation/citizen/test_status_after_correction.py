"""/status NUMBER after staff changed the ticket's category: the old number still works; a number beyond any id names nothing."""

from conversation.citizen import flows
from desk.tickets import corrections, entries, lifecycle
from desk.tickets.enums import Category
from tests.conftest import at
from tests.conversation.citizen.test_citizen_flows import CHAT, RECEIVED, inbound, take

NOW = at("2026-11-24T11:00:00+09:00")


async def test_the_first_number_still_shows_the_ticket(store, desk):
    await take(store, desk, inbound("How do I apply for housing benefit?", 1), "inquiry")
    async with store.unit_of_work() as session:
        ticket = await session.get(lifecycle.Ticket, 1)
        change = lifecycle.recategorise(ticket, charter=desk.charter, category=Category.COMPLAINT)
        await corrections.record(session=session, ticket=ticket, from_category=change.from_category, staff_id=1002,
                                 now=NOW)

    async def status(argument: str, message_id: int) -> str:
        async with store.unit_of_work() as session:
            answer = await flows.show_status(session=session, desk=desk, inbound=inbound("/status", message_id),
                                             argument=argument, now=NOW)
        return answer.outgoing[0].text

    due = desk.moment(desk.charter.due_at(Category.COMPLAINT, RECEIVED), "en")
    for number, message_id in (("I-1001", 2), ("C-1001", 3)):
        shown = await status(number, message_id)
        assert shown.startswith("C-1001") and due in shown
    for never, message_id in (("A-1001", 4), ("I-99999999999999", 5)):
        assert await status(never, message_id) == desk.texts.render("utter_status_not_yours", "en", number=never)


async def test_a_message_naming_the_first_number_goes_on_the_corrected_ticket(store, desk):
    await take(store, desk, inbound("How do I apply for housing benefit?", 1), "inquiry")
    async with store.unit_of_work() as session:
        ticket = await session.get(lifecycle.Ticket, 1)
        change = lifecycle.recategorise(ticket, charter=desk.charter, category=Category.COMPLAINT)
        await corrections.record(session=session, ticket=ticket, from_category=change.from_category, staff_id=1002,
                                 now=NOW)

    answer = await take(store, desk, inbound("About I-1001: I also sent the lease contract.", 2), "inquiry")

    due = desk.moment(desk.charter.due_at(Category.COMPLAINT, RECEIVED), "en")
    assert answer.outgoing[0].text == desk.texts.render("utter_followup_added", "en", number="C-1001", due=due)
    async with store.unit_of_work() as session:
        assert await entries.ticket_of_message(session=session, chat_id=CHAT, message_id=2) == 1
