"""Telling staff about sends that failed or may have failed, so that a person decides what to do.

A send whose outcome is unknown is never repeated automatically (it may have arrived); a chat that
refuses our messages (403) makes its citizen unreachable: pushes to them stop, their tickets stay
open. Either way the staff chat gets one notice per outbox row, written in the same transaction
that marks the row reported.
"""

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk import outbox
from conversation.promises.deadlines import BATCH
from desk.outbox import OutboxMessage
from desk.tickets import service
from conversation.citizen.flows import Desk
from desk.tickets.models import Ticket

log = logging.getLogger(__name__)

REPORTED_STATUSES = ("unknown", "undeliverable", "blocked")
NOTICE_KEY = "notice:"
EXCERPT_CHARS = 200


async def report_failed_sends(*, session: AsyncSession, desk: Desk, now: datetime, limit: int = BATCH) -> int:
    """Tell staff about failed or doubtful sends not reported yet; returns the rows handled."""
    query = (
        select(OutboxMessage)
        # Each organisation's staff hear of their own bot's failures only.
        .where(
            OutboxMessage.organisation_id == desk.organisation_id,
            OutboxMessage.status.in_(REPORTED_STATUSES),
            OutboxMessage.reported_at.is_(None),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = (await session.scalars(query)).all()
    for row in rows:
        row.reported_at = now
        if row.key.startswith(NOTICE_KEY):
            # A notice about a failed notice would chase its own tail.
            log.error("staff notice %s not delivered (%s): %s", row.id, row.status, row.last_error)
            continue
        text = await _notice(session, desk, row, now)
        if text is not None:
            await outbox.enqueue(
                session,
                organisation_id=desk.organisation_id,
                key=f"{NOTICE_KEY}{row.status}:{row.id}",
                chat_id=desk.charter.staff_chat_id,
                text=text,
                now=now,
                ticket_id=row.ticket_id,
            )
    return len(rows)


async def _notice(session: AsyncSession, desk: Desk, row: OutboxMessage, now: datetime) -> str | None:
    language = desk.staff_chat_language()
    about = await _about(session, desk, row.ticket_id, language)
    excerpt = row.text if len(row.text) <= EXCERPT_CHARS else row.text[:EXCERPT_CHARS] + "…"
    reason = row.last_error or "?"
    if row.status == "unknown":
        return desk.texts.render("utter_notice_unknown", language, about=about, excerpt=excerpt)
    if row.status == "blocked":
        citizen = await service.get_citizen(
            session=session, organisation_id=desk.organisation_id, chat_id=row.chat_id
        )
        if citizen is not None:
            citizen.unreachable_at = citizen.unreachable_at or now
            return desk.texts.render("utter_notice_blocked_citizen", language, about=about)
        member = desk.charter.staff_member(row.chat_id)
        if member is not None:
            return desk.texts.render(
                "utter_notice_blocked_staff", language, staff=member.name, reason=reason, excerpt=excerpt
            )
        if row.chat_id == desk.charter.staff_chat_id:
            log.error("the staff chat refuses our messages (%s): nobody can be told", reason)
            return None
    return desk.texts.render("utter_notice_undeliverable", language, about=about, reason=reason, excerpt=excerpt)


async def _about(session: AsyncSession, desk: Desk, ticket_id: int | None, language: str) -> str:
    ticket = await session.get(Ticket, ticket_id) if ticket_id is not None else None
    if ticket is None:
        return desk.texts.render("utter_notice_about_nothing", language)
    return desk.texts.render("utter_notice_about_ticket", language, number=ticket.number)
