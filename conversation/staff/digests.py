"""Digests: when more new-ticket cards wait for the staff chat than its flood limit lets through soon,
they are folded into messages that list many tickets each (number, category, due moment, a button).

The folding itself (which rows, marked how) is desk/digests.py; this module decides when and renders.
A pressed button shows the ticket in full, as /show does.
"""

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from conversation.arguments import MAX_ID
from conversation.buttons import Button, CardAction, Keyboard, stored
from conversation.staff import queue_summary, views
from conversation.staff.cards import category_name
from conversation.staff.turn import Reply, StaffTurn
from desk import digests, outbox
from desk.staff.errors import ActionError
from desk.tickets import service
from desk.tickets.models import Ticket

if TYPE_CHECKING:
    from conversation.citizen.flows import Desk

# Tickets one digest lists: a line each (about 50 characters) stays inside Telegram's 4096 characters
# (a longer text is cut back to fit), and a button each inside its 100 buttons per keyboard.
DIGEST_SIZE = 60
BUTTONS_PER_ROW = 4
TEXT_LIMIT = 4096
# Seconds of the group's budget that waiting cards may fill before they are folded: past it the last
# of them would reach staff later than this.
FRESH_SECONDS = 15.0


def fold_above(group_per_minute: float) -> int:
    """Waiting cards beyond which they are folded: what the group limit lets through in FRESH_SECONDS."""
    return max(1, int(group_per_minute * FRESH_SECONDS / 60.0))


async def fold_waiting(session: AsyncSession, desk: "Desk", now: datetime, *, above: int) -> int:
    """Fold the staff chat's waiting cards into digests when they and what the chat was sent in the last
    minute are more than `above`, or when a digest not yet sent can take them in; returns cards folded."""
    chat_id = desk.charter.staff_chat_id
    cards = await digests.waiting_cards(session, chat_id=chat_id, now=now, limit=DIGEST_SIZE * 25)
    digest = await digests.open_digest(session, chat_id=chat_id, now=now) if cards else None
    if not cards or (digest is None and not await _over_budget(session, chat_id, len(cards), now, above)):
        return 0
    language = desk.staff_chat_language()
    listed = await digests.listed(session, digest_id=digest.id) if digest is not None else []
    folded = 0
    while cards:
        if digest is not None and len(listed) >= DIGEST_SIZE:
            digest, listed = None, []
        chunk = cards[: DIGEST_SIZE - len(listed)]
        tickets = listed + await digests.tickets_of(session, chunk)
        # Cut back to fit; a fresh digest always takes at least one card.
        while chunk and len(tickets) > 1 and len(render_text(desk, tickets, language)) > TEXT_LIMIT:
            chunk, tickets = chunk[:-1], tickets[:-1]
        if not chunk:  # the open digest has no room left for even one more line
            digest, listed = None, []
            continue
        text, keyboard = render_text(desk, tickets, language), stored(render_buttons(tickets))
        if digest is None:
            # A burst is starting (or going on): staff get the live summary before its first digest.
            await queue_summary.post_if_stale(session, desk, now)
            made = await outbox.enqueue(
                session, key=f"{digests.DIGEST_KEY}{chunk[0].id}", chat_id=chat_id, text=text,
                reply_markup=keyboard, now=now, organisation_id=desk.organisation_id,
            )
            if made is None:  # another dispatcher folded this very card a moment ago
                return folded
            digest_id = made.id
        else:
            digest.text, digest.reply_markup, digest_id = text, keyboard, digest.id
        digests.fold(chunk, digest_id=digest_id)
        folded += len(chunk)
        # This digest is full now, or no card is left: whatever remains starts a new one.
        cards, digest, listed = cards[len(chunk):], None, []
    return folded


async def _over_budget(session: AsyncSession, chat_id: int, waiting: int, now: datetime, above: int) -> bool:
    """Whether the waiting cards, with what the chat was sent in the last minute or is being sent, exceed
    `above`; a lone card still goes as a card (a digest of one says less)."""
    if waiting > above:
        return True
    if waiting < 2:
        return False
    used = await digests.in_hand_or_recent(session, chat_id=chat_id, now=now, since=now - timedelta(minutes=1))
    return used + waiting > above


def render_text(desk: "Desk", tickets: list[Ticket], language: str) -> str:
    """The digest's text: a header with the count, a line per ticket, and how to open one."""
    lines = [desk.texts.render("utter_staff_digest_header", language, count=len(tickets))]
    lines += [
        desk.texts.render(
            "utter_staff_digest_line", language, number=t.number,
            category=category_name(desk, t.category, language), due=desk.moment(t.due_at, language),
        )
        for t in tickets
    ]
    lines.append(desk.texts.render("utter_staff_digest_footer", language))
    return "\n".join(lines)


def render_buttons(tickets: list[Ticket]) -> Keyboard:
    """A button per ticket, labelled with its number, that shows it in full."""
    buttons = [Button(t.number, CardAction("show", t.id)) for t in tickets]
    return [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]


async def show_pressed(turn: StaffTurn) -> Reply:
    """A ticket's button under a digest: the ticket in full, as /show NUMBER answers."""
    token = turn.request.text
    # Ids are Integer columns: a longer number names no ticket (and the database refuses to compare it).
    ticket_id = int(token) if token.isdigit() and len(token) <= len(str(MAX_ID)) and int(token) <= MAX_ID else None
    ticket = (
        await service.get_ticket(
            session=turn.session, organisation_id=turn.desk.organisation_id, ticket_id=ticket_id
        )
        if ticket_id
        else None
    )
    if ticket is None:
        raise ActionError("utter_staff_unknown_ticket", number=turn.request.text)
    return await views.show(replace(turn, request=replace(turn.request, text=ticket.number)))
