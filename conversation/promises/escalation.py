"""Escalating a ticket a citizen says went unanswered: to the designated officers and the staff chat."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from desk import outbox
from desk.tickets import entries
from conversation import replies
from desk.tickets.models import Ticket
from conversation.turns import Desk


async def escalate_non_response(
    *, session: AsyncSession, desk: Desk, original: Ticket, complaint: Ticket, now: datetime
) -> list[outbox.Outgoing]:
    """A non-response complaint was raised about `original`: note it on both, hand the complaint to the
    first officer, and tell the officers and the staff chat (once per original, by key).

    The breach itself (breached_at, the interim to the citizen) stays with the deadline sweep, which
    finds the original past due as it finds any other ticket.
    """
    charter = desk.charter
    language = desk.staff_chat_language()
    if complaint.assigned_to is None and charter.officers:
        complaint.assigned_to = charter.officers[0].telegram_id
    note = desk.texts.render("utter_escalated_note", language, complaint=complaint.number)
    await entries.add(session=session, ticket=original, kind=entries.ESCALATION, text=note, now=now)
    text = desk.texts.render(
        "utter_staff_escalation_non_response",
        language,
        number=original.number,
        complaint=complaint.number,
        due=desk.moment(original.due_at, language),
        complaint_due=desk.moment(complaint.due_at, language),
        officers=", ".join(member.name for member in charter.officers) or "-",
    )
    promised: list[outbox.Outgoing] = []
    for chat_id in dict.fromkeys([charter.staff_chat_id, *(m.telegram_id for m in charter.officers)]):
        promised += await replies.enqueue_text(
            session, key=f"escalate:{original.id}:non_response:{chat_id}", chat_id=chat_id, text=text, now=now,
            ticket_id=original.id, organisation_id=desk.organisation_id,
        )
    return promised
