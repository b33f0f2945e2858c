"""The card a new ticket gets in the staff chat: what it is about, when it is due, and buttons to act."""

from datetime import datetime
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError
from sqlalchemy.ext.asyncio import AsyncSession

from conversation.buttons import Button, CardAction, ChangeCategory, Keyboard, stored
from desk import outbox
from desk.channels import Channel
from desk.languages import UNDETERMINED
from desk.tickets.corrections import CORRECTABLE_TO
from desk.tickets.models import Ticket

if TYPE_CHECKING:  # flows calls into this module when a ticket opens
    from conversation.citizen.flows import Desk

# Room for the card's own lines inside Telegram's 4096 characters; /show N has the full text.
MAX_CARD_TEXT = 3000
BUTTONS = ("take", "reply", "interim", "close")


async def enqueue_staff_card(
    session: AsyncSession, desk: "Desk", ticket: Ticket, now: datetime, *, claim: bool = False,
    channel: Channel = Channel.TELEGRAM,
) -> outbox.Outgoing | None:
    """Promise the ticket's card to the staff chat (once per ticket; None if already promised); a card of a
    ticket that came from the web chat says so (`channel`)."""
    language = desk.staff_chat_language()
    text = card_text(desk, ticket, language)
    if channel == Channel.WEB:
        text = desk.texts.render("utter_staff_card_from_web", language) + "\n" + text
    return await outbox.enqueue(
        session,
        key=f"card:{ticket.id}",
        chat_id=desk.charter.staff_chat_id,
        text=text,
        reply_markup=stored(card_buttons(desk, ticket, language)),
        ticket_id=ticket.id,
        now=now,
        claim=claim,
        organisation_id=desk.organisation_id,
    )


def card_text(desk: "Desk", ticket: Ticket, language: str) -> str:
    """Number, category, due moment, language and text; an anonymous card says only that it is one."""
    text = ticket.text if len(ticket.text) <= MAX_CARD_TEXT else ticket.text[:MAX_CARD_TEXT] + "…"
    name = "utter_staff_card_anonymous" if ticket.anonymous else "utter_staff_card"
    return desk.texts.render(
        name,
        language,
        number=ticket.number,
        category=category_name(desk, ticket.category, language),
        due=desk.moment(ticket.due_at, language),
        written_in=written_in(desk, ticket.language, language),
        text=text,
    )


def card_buttons(desk: "Desk", ticket: Ticket, language: str) -> Keyboard:
    """Take, reply, interim and close, in one row; below it, a button per other category staff may give it."""
    label = {action: desk.texts.render(f"utter_staff_button_{action}", language) for action in BUTTONS}
    actions = [Button(label[action], CardAction(action, ticket.id)) for action in BUTTONS]
    return [actions, category_buttons(desk, ticket, language)]


def category_buttons(desk: "Desk", ticket: Ticket, language: str) -> list[Button]:
    """"→ complaint", ...: correct the category the front door chose (conversation/staff/recategorise.py)."""
    def label(category: str) -> str:
        return desk.texts.render("utter_staff_button_category", language, category=category_name(desk, category, language))

    return [Button(label(c), ChangeCategory(ticket.id, c)) for c in CORRECTABLE_TO if c != ticket.category]


def category_name(desk: "Desk", category: str, language: str) -> str:
    """A category as staff read it ("문의", "inquiry", "kérdés")."""
    return desk.texts.render(f"utter_staff_category_{category}", language)


def written_in(desk: "Desk", code: str, language: str) -> str:
    """What staff read as the ticket's language: its name and the detected code ("일본어 (ja)"), or "unknown"."""
    if code == UNDETERMINED:
        return desk.texts.render("utter_staff_language_undetermined", language)
    name = language_name(code, language)
    return name if name == code else f"{name} ({code})"


def language_name(code: str, language: str) -> str:
    """A language's name in another language ('hu' in Korean: '헝가리어'), or the code if unknown."""
    try:
        return Locale.parse(code).get_display_name(language) or code
    except (ValueError, TypeError, UnknownLocaleError):
        return code
