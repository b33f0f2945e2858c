"""Two organisations in one database: each counts its ticket numbers from I-1001. A number typed at one desk names
only that desk's ticket: another organisation's number is answered as a mistyped one is (existence not revealed)
and changes nothing; a button naming another organisation's ticket is refused the same way, and audited."""

import itertools

import pytest
from sqlalchemy import func, select

from conversation.citizen.flows import Desk
from conversation.staff import console
from conversation.staff.turn import Request
from desk import audit
from desk.charter.model import load_charter
from desk.organisations import service as organisations
from desk.organisations.models import FIRST_ORGANISATION
from desk.outbox import OutboxMessage
from desk.staff.access import Actor
from desk.staff.startup import seed_registry
from desk.tickets.models import Ticket, TicketEntry
from tests import factories
from tests.conftest import ROOT, at

RECEIVED = at("2026-11-23T10:15:00+09:00")
NOW = at("2026-11-24T11:00:00+09:00")
OFFICER = Actor(1001, "김담당", "kim", "en")  # organisation 1's officer (charter.yml)
HUNGARIAN_ADMIN = Actor(5002, "Elnök", "elnok", "en")  # organisation 2's admin (charters/csagyi.yml)
TYPO = "I-9999"
_ids = itertools.count(1)

# (command, text after the number) typed by staff; each names a ticket first.
TYPED = [
    ("show", ""), ("reply", " Here is the answer."), ("interim", " We are still checking."), ("close", ""),
    ("assign", " @kim"), ("note", " called back"), ("confirm", " 2026-12-01 10:00"), ("decline", ""),
    ("reopen", ""), ("category", " complaint"), ("audit", ""),
]
# Buttons under a card carry the ticket's id (and, for category, a letter).
PRESSED = [("take", ""), ("reply", ""), ("interim", ""), ("close", ""), ("category", " C"), ("show", "")]


@pytest.fixture
async def two(store, desk, texts):
    """Organisation 1 (charter.yml) with one ticket (I-1001) and organisation 2 (csagyi.yml) with two (I-1001
    and I-1002), each with its staff; the ids of organisation 1's ticket and organisation 2's second."""
    hungarian = load_charter(ROOT / "charters" / "csagyi.yml")
    async with store.unit_of_work() as session:
        second = await organisations.add(session=session, slug="csagyi", name=hungarian.organisation.name,
                                         charter_file=str(ROOT / "charters" / "csagyi.yml"), now=RECEIVED)
    other = Desk(charter=hungarian, texts=texts, organisation_id=second.id)
    await seed_registry(store, desk.charter, organisation_id=FIRST_ORGANISATION, now=RECEIVED)
    await seed_registry(store, hungarian, organisation_id=second.id, now=RECEIVED)
    async with store.unit_of_work() as session:
        ours = await factories.ticket(session, desk.charter, received_at=RECEIVED, chat_id=700, text="Ours")
        await factories.ticket(session, hungarian, received_at=RECEIVED, chat_id=700, text="Their first",
                               language="hu", organisation_id=second.id)
        theirs = await factories.ticket(session, hungarian, received_at=RECEIVED, chat_id=700, text="Theirs",
                                        language="hu", organisation_id=second.id)
    assert (ours.number, theirs.number) == ("I-1001", "I-1002")
    return desk, other, ours.id, theirs.id


async def run(store, desk, actor: Actor, command: str, text: str, *, button: bool = False,
              replied_text: str | None = None) -> console.Outcome:
    n = next(_ids)
    request = Request(command=command, chat_id=desk.charter.staff_chat_id, text=text, key=f"x:{n}",
                      message_id=None if button else 10_000 + n, button=button, replied_text=replied_text,
                      in_group=True)
    async with store.unit_of_work() as session:
        return await console.handle(session=session, desk=desk, actor=actor, request=request, now=NOW)


def answer(outcome: console.Outcome) -> str:
    """What staff are told: the chat's text, or the button's toast."""
    return outcome.toast or "\n".join(m.text for m in outcome.outgoing)


async def snapshot(store, ticket_id: int) -> tuple:
    """Everything a command could change about a ticket: its row, its history, the messages about it."""
    async with store.unit_of_work() as session:
        row = await session.get(Ticket, ticket_id)
        columns = tuple(getattr(row, c.key) for c in Ticket.__table__.columns)
        entries = await session.scalar(select(func.count()).where(TicketEntry.ticket_id == ticket_id))
        sent = await session.scalar(select(func.count()).where(OutboxMessage.ticket_id == ticket_id))
        return columns, entries, sent


async def refused_elsewhere(store, organisation_id: int) -> int:
    async with store.unit_of_work() as session:
        query = select(func.count()).where(
            audit.AuditEntry.organisation_id == organisation_id, audit.AuditEntry.outcome == audit.REFUSED,
            audit.AuditEntry.detail == "another organisation's ticket",
        )
        return await session.scalar(query)


async def test_each_staff_command_and_button_on_another_organisations_ticket_is_refused_as_a_typo(store, two):
    desk, other, ours, theirs = two
    theirs_number = "I-1002"  # organisation 2 has it; organisation 1 has no I-1002
    before = await snapshot(store, theirs)
    for command, rest in TYPED:
        tried = answer(await run(store, desk, OFFICER, command, theirs_number + rest))
        typo = answer(await run(store, desk, OFFICER, command, TYPO + rest))
        assert tried == typo.replace(TYPO, theirs_number), command
        assert "9999" in typo, command  # the typo's answer is "no such ticket", naming what was typed
    attempts = 0
    for command, rest in PRESSED:
        tried = answer(await run(store, desk, OFFICER, command, f"{theirs}{rest}", button=True))
        typo = answer(await run(store, desk, OFFICER, command, f"9999{rest}", button=True))
        assert tried == typo.replace("9999", str(theirs)), command
        attempts += 1
    # A reply to a card naming their ticket (a forged or pasted card) drafts nothing.
    tried = answer(await run(store, desk, OFFICER, "draft", "Our answer", replied_text=f"{theirs_number} Theirs"))
    typo = answer(await run(store, desk, OFFICER, "draft", "Our answer", replied_text=f"{TYPO} Theirs"))
    assert tried == typo.replace(TYPO, theirs_number)

    assert await snapshot(store, theirs) == before
    assert await refused_elsewhere(store, FIRST_ORGANISATION) == attempts
    assert await refused_elsewhere(store, other.organisation_id) == 0
    # Typed numbers were not audited as attempts on another organisation's ticket (they name none), and our own
    # I-1001 is ours at our desk, theirs at theirs.
    shown = answer(await run(store, desk, OFFICER, "show", "I-1001"))
    assert "Ours" in shown and "Their" not in shown
    their_shown = answer(await run(store, other, HUNGARIAN_ADMIN, "show", "I-1001"))
    assert "Their first" in their_shown and "Ours" not in their_shown


async def test_another_organisations_staff_are_strangers_here(store, two):
    desk, other, ours, theirs = two
    before = await snapshot(store, ours)
    refused = await run(store, desk, HUNGARIAN_ADMIN, "show", "I-1001")
    assert not refused.accepted and "Ours" not in answer(refused)
    assert await snapshot(store, ours) == before
    async with store.unit_of_work() as session:
        assert await audit.count(session, outcome=audit.REFUSED) == 1
        [row] = (await session.scalars(select(audit.AuditEntry))).all()
    assert (row.organisation_id, row.detail, row.actor_id) == (FIRST_ORGANISATION, "not staff", None)
    # At their own desk they are admins.
    assert (await run(store, other, HUNGARIAN_ADMIN, "show", "I-1002")).accepted


async def test_queue_and_report_of_each_organisation_hold_only_its_own_tickets(store, two):
    desk, other, ours, theirs = two
    queue = answer(await run(store, desk, OFFICER, "queue", ""))
    assert "I-1001" in queue and "I-1002" not in queue
    their_queue = answer(await run(store, other, HUNGARIAN_ADMIN, "queue", ""))
    assert "I-1001" in their_queue and "I-1002" in their_queue
    for who, where, received in ((OFFICER, desk, 1), (HUNGARIAN_ADMIN, other, 2)):
        report = await run(store, where, who, "report", "2026-11")
        assert report.accepted
        assert f"All requests: {received} received" in answer(report), answer(report)


async def test_a_citizens_status_by_number_reads_their_own_organisations_ticket(store, two):
    """The same chat wrote to both: /status I-1001 at each desk is that desk's ticket; I-1002 exists only at
    organisation 2, so organisation 1 answers it as not theirs."""
    from conversation.citizen import flows
    from conversation.citizen.flows import Inbound

    desk, other, ours, theirs = two

    async def status(where, argument: str, message_id: int) -> str:
        inbound = Inbound(chat_id=700, message_id=message_id, text=f"/status {argument}", received_at=NOW,
                          telegram_language="en")
        async with store.unit_of_work() as session:
            answer = await flows.show_status(session=session, desk=where, inbound=inbound, argument=argument, now=NOW)
        return "\n".join(m.text for m in answer.outgoing)

    # Both received at once, promised by different charters: each desk shows its own ticket's promise.
    mine, their_first = await status(desk, "I-1001", 3), await status(other, "I-1001", 6)
    ours_due = desk.moment(desk.charter.due_at("inquiry", RECEIVED), "en")
    their_due = other.moment(other.charter.due_at("inquiry", RECEIVED), "hu")  # that citizen writes Hungarian
    assert ours_due != their_due
    assert ours_due in mine and their_due not in mine
    assert their_due in their_first and ours_due not in their_first
    assert await status(desk, "I-1002", 4) == desk.texts.render("utter_status_not_yours", "en", number="I-1002")
    there = await status(other, "I-1002", 5)
    assert there.startswith("I-1002 · "), there
