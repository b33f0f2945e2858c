"""The weekly push: each officer gets last week's report text once the charter's weekly moment has come."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk import outbox
from desk.outbox import OutboxMessage
from desk.reports.period import days
from desk.reports.report import build_report
from conversation.reports.text import render_text
from conversation.citizen.flows import Desk
from desk.tickets.models import Ticket


def weekly_key(week_of: datetime, telegram_id: int) -> str:
    """Outbox key of one officer's weekly report; unique, so each week goes once."""
    return f"report:weekly:{week_of.date().isoformat()}:{telegram_id}"


async def weekly_report_due(*, session: AsyncSession, desk: Desk, now: datetime) -> list[outbox.Outgoing]:
    """Promise the report of the 7 days before the latest weekly moment to every officer not yet sent it."""
    charter = desk.charter
    if charter.reports.weekly is None or not charter.officers:
        return []
    moment = charter.reports.weekly.last_at_or_before(now, charter.timezone)
    keys = {officer.telegram_id: weekly_key(moment, officer.telegram_id) for officer in charter.officers}
    # Cheap when the week's reports are out, which is what every sweep but one finds.
    sent = set(
        (await session.scalars(select(OutboxMessage.key).where(
            OutboxMessage.organisation_id == desk.organisation_id, OutboxMessage.key.in_(keys.values())
        ))).all()
    )
    if sent >= set(keys.values()) or not await _was_running(session, desk.organisation_id, moment):
        return []
    week = days(moment.date() - timedelta(days=7), moment.date() - timedelta(days=1))
    report = await build_report(
        session=session, organisation_id=desk.organisation_id, charter=charter, period=week, now=now
    )
    language = desk.staff_chat_language()
    text = render_text(report, desk.texts, language, weekly=True)
    promised = []
    for telegram_id, key in keys.items():
        # An officer's private chat with the bot has the officer's user id as its chat id.
        row = await outbox.enqueue(
            session, key=key, chat_id=telegram_id, text=text, now=now, organisation_id=desk.organisation_id
        )
        if row is not None:
            promised.append(row)
    return promised


async def _was_running(session: AsyncSession, organisation_id: int, moment: datetime) -> bool:
    # A desk installed after the weekly moment has no week to report yet: its first report is next week's.
    query = (
        select(Ticket.id)
        .where(Ticket.organisation_id == organisation_id, Ticket.received_at <= moment)
        .limit(1)
    )
    return await session.scalar(query) is not None
