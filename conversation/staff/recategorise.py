"""Staff change a ticket's category: `/category N I|C|A` and the → buttons under its card."""

from conversation import arguments
from conversation.staff import handling
from conversation.staff.cards import category_name
from conversation.staff.turn import Reply, StaffTurn, find_ticket, first_word
from desk.staff.errors import ActionError
from desk.tickets import service
from desk.tickets.enums import Category
from desk.tickets.models import CATEGORY_LETTERS, Ticket

_BY_LETTER = {letter.casefold(): category for category, letter in CATEGORY_LETTERS.items()}
# Short words staff type besides the letters and the names shown on cards.
_ALIASES = {"appointment": Category.APPOINTMENT_REQUEST}


async def command(turn: StaffTurn) -> Reply:
    """/category N CATEGORY: CATEGORY is a letter (I, C, A), a category's name, or its name on a card."""
    number, rest = first_word(turn.request.text)
    ticket = await find_ticket(turn, number, "utter_staff_usage_category")
    word = rest.strip()
    if not word:
        raise ActionError("utter_staff_usage_category")
    return await _change(turn, ticket, parse_category(turn, word))


async def press(turn: StaffTurn) -> Reply:
    """A → button under a card: its data carries "TICKET_ID LETTER" (bot/staff/handlers.py)."""
    typed, letter = first_word(turn.request.text)
    ticket_id = arguments.record_id(typed)  # the codec bounds it; a forged press may not
    ticket = (
        await service.get_ticket(
            session=turn.session, organisation_id=turn.desk.organisation_id, ticket_id=ticket_id
        )
        if ticket_id
        else None
    )
    if ticket is None:
        raise ActionError("utter_staff_unknown_ticket", number=typed[:40])
    reply = await _change(turn, ticket, parse_category(turn, letter))
    return Reply(text=reply.text, outgoing=reply.outgoing, toast=reply.text)


def parse_category(turn: StaffTurn, word: str) -> Category:
    """The category a typed word names, in any language the desk speaks; ActionError if none."""
    key = word.strip().casefold()
    if key in _BY_LETTER:
        return _BY_LETTER[key]
    if key in _ALIASES:
        return _ALIASES[key]
    for category in Category:
        names = {category.value, category.value.replace("_", " ")}
        names |= {category_name(turn.desk, category, language).casefold() for language in turn.desk.texts.languages}
        if key in names:
            return category
    raise ActionError("utter_staff_category_unknown", word=word[:40])


async def _change(turn: StaffTurn, ticket: Ticket, category: Category) -> Reply:
    handled = await handling.recategorise(
        session=turn.session, desk=turn.desk, staff=turn.staff, ticket=ticket, category=category, now=turn.now
    )
    change = handled.change
    if not change.due_changed:
        name = "utter_staff_category_changed_same_due"
    elif change.new_due <= turn.now:
        name = "utter_staff_category_changed_late"
    else:
        name = "utter_staff_category_changed"
    lines = [
        turn.text(
            name, old_number=change.from_number, number=ticket.number,
            category=category_name(turn.desk, ticket.category, turn.language), due=turn.moment(ticket.due_at),
        )
    ]
    told = {
        handling.TO_CHAT: "utter_staff_category_citizen_told",
        handling.STORED_ANONYMOUS: "utter_staff_kept_for_anonymous",
        handling.UNREACHABLE: "utter_staff_citizen_unreachable",
    }
    if handled.reach in told:
        lines.append(turn.text(told[handled.reach]))
    return Reply(text="\n".join(lines), outgoing=handled.outgoing)
