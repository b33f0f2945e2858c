"""One staff member's turn at the console: who asks, in which language, and what comes back."""

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from conversation import arguments
from conversation.buttons import Keyboard
from desk import outbox
from desk.staff.access import Actor
from desk.staff.errors import ActionError
from desk.staff.models import Staff
from desk.tickets import corrections, service
from conversation.citizen.flows import Desk
from desk.tickets.models import Ticket

_FIRST_WORD = re.compile(r"\s*(\S*)\s*(.*)", re.DOTALL)


@dataclass(frozen=True)
class Request:
    """One staff command or button press, as the transport received it."""

    command: str  # "reply", "queue", ... or a button: "take", "send", ...
    chat_id: int
    key: str  # outbox key of the answer: one answer per command message or button press
    text: str = ""  # everything after the command (for a button: the id it carries)
    message_id: int | None = None  # the command's message; None for a button press
    replied_text: str | None = None  # a reply to a card: the text of the bot message answered
    replied_user: Actor | None = None  # /staff add as a reply: the person replied to
    button: bool = False
    in_group: bool = False  # sent in a group chat (the staff chat), where everyone reads the answer


@dataclass(frozen=True)
class FileOut:
    """A file sent with an answer, made on request (a report's chart or table), never a promise kept in the outbox."""

    kind: str  # photo | document
    filename: str
    data: bytes


@dataclass
class Reply:
    """What a command answers: text for the chat it came from, buttons, messages for citizens."""

    text: str | None = None
    buttons: Keyboard | None = None  # under the text
    outgoing: list[outbox.Outgoing] = field(default_factory=list)
    toast: str | None = None  # a short note on a pressed button, instead of a chat message
    roster_changed: bool = False
    settled: bool = False  # the buttons pressed have done their job and may be removed
    files: list[FileOut] = field(default_factory=list)  # sent after the text, to the same chat


@dataclass
class StaffTurn:
    """Everything a command needs: the session, the desk, the member acting and their language."""

    session: AsyncSession
    desk: Desk
    staff: Staff
    actor: Actor
    language: str
    now: datetime
    request: Request

    def text(self, response: str, **params: object) -> str:
        """A response in the staff member's language (the console decides where it goes)."""
        return self.desk.texts.render(response, self.language, **params)

    def moment(self, at: datetime) -> str:
        """A moment as this staff member reads it."""
        return self.desk.moment(at, self.language)


def first_word(text: str) -> tuple[str, str]:
    """('I-1042', 'the rest, line breaks kept') for 'I-1042 the rest...'."""
    first, rest = _FIRST_WORD.match(text or "").groups()
    return first, rest.strip()


async def find_ticket(turn: StaffTurn, token: str, usage: str) -> Ticket:
    """The ticket a typed number names (also by the letter of a category it had before staff changed
    it), or an ActionError: usage if missing, unknown if not found."""
    if not token:
        raise ActionError(usage)
    number = arguments.ticket_number(token)
    if number is None:
        raise ActionError("utter_staff_bad_ticket_number", number=token[:40])
    ticket = await service.get_ticket_by_number(
        session=turn.session, organisation_id=turn.desk.organisation_id, serial=number.serial
    )
    if ticket is None or (
        number.category is not None
        and not await corrections.names_ticket(session=turn.session, ticket=ticket, category=number.category)
    ):
        raise ActionError("utter_staff_unknown_ticket", number=token[:40])
    return ticket
