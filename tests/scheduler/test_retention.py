"""The daily retention purge, with time pinned: it removes exactly what the charter's retention says."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import delete, func, select
from sqlalchemy.exc import DBAPIError

from desk.organisations.models import FIRST_ORGANISATION
from desk.anonymous import receipts
from desk import audit, outbox
from desk.outbox import OutboxMessage
from desk.reports.period import Period
from desk.reports.report import build_report
from desk.surveys import Rating
from desk.anonymous.attempts import Attempt, WRONG_CODE
from desk.tickets import citizens, lifecycle, service
from desk.tickets.models import Citizen, InboundMessage, Ticket, TicketEntry
from desk.tickets.questions import Question
from scheduler import app as scheduler_app
from scheduler import sweeps
from tests.conftest import at

NOW = at("2027-12-01T12:00:00+09:00")
RECEIVED = at("2026-11-23T10:15:00+09:00")
PERIOD = Period(date(2026, 11, 1), date(2027, 12, 31), "days")
A, B, C, IDLE, ACTIVE, ORPHAN, FRESH_ORPHAN = 111, 222, 333, 444, 555, 666, 777


def clock() -> datetime:
    return datetime.now(UTC)  # pinned by time_machine in every test


async def make_ticket(session, desk, *, chat_id: int | None, mark: str, status: str, closed_days_ago: int | None,
                      message_id: int) -> Ticket:
    citizen = None
    if chat_id is not None:
        citizen = await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=chat_id, language="en", now=RECEIVED)
    ticket = await lifecycle.create(organisation_id=FIRST_ORGANISATION, session=session, citizen=citizen, category="inquiry", language="en",
                                    text=f"{mark} words", received_at=RECEIVED,
                                    due_at=desk.charter.due_at("inquiry", RECEIVED))
    ticket.anonymous = chat_id is None
    ticket.status = status
    if status != "open":
        ticket.answered_at = RECEIVED + timedelta(days=2)
    if closed_days_ago is not None:
        ticket.closed_at = NOW - timedelta(days=closed_days_ago)
    session.add(TicketEntry(ticket_id=ticket.id, kind="attachment", text=f"{mark} entry", file_id=f"{mark}-file",
                            file_kind="photo", telegram_message_id=message_id, created_at=RECEIVED))
    session.add(TicketEntry(ticket_id=ticket.id, kind="staff_reply", author_id=1002, text=f"{mark} answer",
                            created_at=RECEIVED + timedelta(days=2)))
    session.add(Rating(ticket_id=ticket.id, score=5, comment=f"{mark} comment", created_at=RECEIVED))
    if chat_id is not None:
        inbound = await service.record_inbound(organisation_id=FIRST_ORGANISATION, session=session, chat_id=chat_id, message_id=message_id,
                                               received_at=RECEIVED)
        await service.link_inbound(session=session, inbound_id=inbound, ticket_id=ticket.id)
        row = await outbox.enqueue(session, key=f"answer:{ticket.id}", chat_id=chat_id, text=f"{mark} answer",
                                   now=RECEIVED, ticket_id=ticket.id)
        await outbox.record_sent(session, message_ids={row.id: 900 + message_id}, now=RECEIVED)
    else:
        receipt, _ = await receipts.issue(session=session, ticket_id=ticket.id)
        receipt.sealed_chat = None
    await audit.record(session, organisation_id=FIRST_ORGANISATION, action="close" if closed_days_ago else "reply", actor_id=1002, actor_role="agent",
                       now=RECEIVED, ticket_id=ticket.id)
    return ticket


async def seed(store, desk) -> dict[str, int]:
    day, days = timedelta(days=1), desk.charter.retention_days
    async with store.unit_of_work() as session:
        ids = {
            "expired": (await make_ticket(session, desk, chat_id=A, mark="EXPIRED", status="closed",
                                          closed_days_ago=days + 1, message_id=1)).id,
            "recent": (await make_ticket(session, desk, chat_id=B, mark="RECENT", status="closed",
                                         closed_days_ago=days - 1, message_id=2)).id,
            "open": (await make_ticket(session, desk, chat_id=B, mark="OPEN", status="open", closed_days_ago=None,
                                       message_id=3)).id,
            "answered": (await make_ticket(session, desk, chat_id=C, mark="ANSWERED", status="answered",
                                           closed_days_ago=None, message_id=4)).id,
            "anonymous": (await make_ticket(session, desk, chat_id=None, mark="ANONOLD", status="closed",
                                            closed_days_ago=days + 30, message_id=5)).id,
        }
        old = NOW - timedelta(days=days + 10)
        for chat_id in (IDLE, ACTIVE):
            (await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=chat_id, language="hu", now=old)).created_at = old
        await citizens.choose(organisation_id=FIRST_ORGANISATION, session=session, chat_id=IDLE, language="hu", now=old)
        await service.record_inbound(organisation_id=FIRST_ORGANISATION, session=session, chat_id=ACTIVE, message_id=7, received_at=NOW - day)
        await service.record_inbound(organisation_id=FIRST_ORGANISATION, session=session, chat_id=C, message_id=8, received_at=old)  # a bare /help
        session.add(citizens.LanguageChoice(organisation_id=FIRST_ORGANISATION, chat_hash=_hash(ORPHAN), language="ko", chosen_at=old))
        session.add(citizens.LanguageChoice(organisation_id=FIRST_ORGANISATION, chat_hash=_hash(FRESH_ORPHAN), language="ko", chosen_at=NOW - day))
        for kind, created, answered, chat_id in (
            ("category", NOW - 3 * day, NOW - 2 * day, B),  # answered two days ago: goes
            ("category", NOW - 3 * day, NOW - timedelta(hours=1), B),  # answered an hour ago: stays
            ("category", old, None, B),  # waited longer than retention: goes
            ("followup", NOW - 10 * day, None, B),  # waits still: stays
        ):
            session.add(Question(organisation_id=FIRST_ORGANISATION, kind=kind, chat_id=chat_id, language="en", text="held words", created_at=created,
                                 answered_at=answered))
        session.add(Question(organisation_id=FIRST_ORGANISATION, kind="anonymous", chat_key="k1", language="en", created_at=NOW - 2 * day))
        session.add(Question(organisation_id=FIRST_ORGANISATION, kind="anonymous", chat_key="k2", language="en", created_at=NOW - timedelta(hours=2)))
        session.add(Attempt(kind=WRONG_CODE, subject="s", at=NOW - timedelta(minutes=11)))
        session.add(Attempt(kind=WRONG_CODE, subject="s", at=NOW - timedelta(minutes=5)))
        old_row = await outbox.enqueue(session, key="reply:old", chat_id=C, text="old help", now=old)
        await outbox.record_sent(session, message_ids={old_row.id: 77}, now=old)
    return ids


def _hash(chat_id: int) -> str:
    from infra.encrypted import chat_hash_of

    return chat_hash_of(chat_id)


async def report_totals(store, charter) -> tuple:
    async with store.unit_of_work() as session:
        report = await build_report(session=session, organisation_id=FIRST_ORGANISATION, charter=charter, period=PERIOD, now=NOW)
    f = report.whole.total
    return (f.received, f.on_time, f.late, f.pending, f.median_hours, f.p90_hours, f.breaches, f.escalations,
            tuple(f.distribution.items()), f.comments)


async def count(store, model, *where) -> int:
    async with store.unit_of_work() as session:
        return (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


@time_machine.travel(NOW, tick=False)
async def test_purge_removes_exactly_what_retention_says(store, desk, charter):
    ids = await seed(store, desk)
    figures = await report_totals(store, charter)
    audit_rows = await count(store, audit.AuditEntry)

    counts = await sweeps.purge_expired(store, desk, clock)

    assert counts == {"tickets_erased": 2, "citizens_forgotten": 2, "questions_expired": 3, "attempts_expired": 1,
                      "messages_expired": 2, "language_choices_expired": 1}
    async with store.unit_of_work() as session:
        tickets = {t.id: t for t in (await session.scalars(select(Ticket))).all()}
        entries = (await session.scalars(select(TicketEntry))).all()
        ratings = {r.ticket_id: r for r in (await session.scalars(select(Rating))).all()}
        kept_receipts = (await session.scalars(select(receipts.Receipt))).all()
        known = {c.chat_id for c in (await session.scalars(select(Citizen))).all()}
        choices = {c.chat_hash for c in (await session.scalars(select(citizens.LanguageChoice))).all()}
    erased, kept = {ids["expired"], ids["anonymous"]}, {ids["recent"], ids["open"], ids["answered"]}
    assert {i for i, t in tickets.items() if t.erased_at == NOW} == erased
    for i in erased:
        assert tickets[i].text == "" and tickets[i].citizen_id is None and tickets[i].status == "closed"
        assert ratings[i].score == 5 and ratings[i].comment == ""
    for i in kept:
        assert tickets[i].text.endswith(" words") and tickets[i].citizen_id is not None and tickets[i].erased_at is None
        assert ratings[i].comment.endswith(" comment")
    assert all(e.text is None and e.file_id is None and e.telegram_message_id is None
               for e in entries if e.ticket_id in erased)
    assert all(e.text is not None for e in entries if e.ticket_id in kept)
    assert len(entries) == 10  # history rows stay: the report counts their kinds
    assert [r.ticket_id for r in kept_receipts] == []  # the anonymous ticket's receipt went with it
    # A: their only ticket erased; IDLE: never a ticket, silent since before the cutoff.
    assert known == {B, C, ACTIVE}
    assert choices == {store.keyring.chat_hash(FRESH_ORPHAN)}
    assert await count(store, OutboxMessage, OutboxMessage.ticket_id.in_(erased)) == 0
    assert await count(store, OutboxMessage, OutboxMessage.ticket_id.in_(kept)) == 3
    assert await count(store, InboundMessage, InboundMessage.ticket_id.in_(erased)) == 0
    assert await count(store, Question) == 3 and await count(store, Attempt) == 1
    # Figures and the audit log are untouched.
    assert await report_totals(store, charter) == figures
    assert await count(store, audit.AuditEntry) == audit_rows


@time_machine.travel(NOW, tick=False)
async def test_a_second_purge_finds_nothing_and_the_audit_log_refuses_deletion(store, desk):
    await seed(store, desk)
    await sweeps.purge_expired(store, desk, clock)
    assert await sweeps.purge_expired(store, desk, clock) == {}
    rows = await count(store, audit.AuditEntry)
    assert rows == 5
    with pytest.raises(DBAPIError):
        async with store.unit_of_work() as session:
            await session.execute(delete(audit.AuditEntry))
    assert await count(store, audit.AuditEntry) == rows
    # At least two years, whatever the charter's ticket retention.
    from desk.privacy.retention import AUDIT_KEEP

    assert AUDIT_KEEP >= timedelta(days=730) and AUDIT_KEEP > timedelta(days=desk.charter.retention_days)


async def test_a_ticket_closed_a_day_short_of_retention_is_purged_the_day_after(store, desk):
    with time_machine.travel(NOW, tick=False):
        ids = await seed(store, desk)
        await sweeps.purge_expired(store, desk, clock)
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        counts = await sweeps.purge_expired(store, desk, clock)
    assert counts["tickets_erased"] == 1
    async with store.unit_of_work() as session:
        assert (await session.get(Ticket, ids["recent"])).erased_at == NOW + timedelta(days=2)
        assert (await session.get(Ticket, ids["open"])).erased_at is None


def test_the_purge_is_a_daily_job(store, desk):
    jobs = scheduler_app.build_scheduler(store=store, desk=desk, dispatcher=object(), clock=clock,
                                         dispatch_interval=2, sweep_interval=30)
    job = jobs.scheduler.get_job("purge_expired")
    assert job.trigger.interval == timedelta(days=1) and job.max_instances == 1
