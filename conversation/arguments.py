"""The one reader of numbers people type or press: ticket numbers, row ids, Telegram ids, receipt codes.

Every parser here checks form and range before anything reaches a query: SQLite and PostgreSQL refuse
integers beyond 64 bits (OverflowError, DataError), Python refuses int() of more than 4,300 digits, and
str.isdigit() accepts characters int() cannot read ('²'). None means "not one"; the caller says what
was expected, in the user's language.
"""

import re
from dataclasses import dataclass
from enum import Enum

from desk.anonymous import receipts
from desk.tickets.enums import Category
from desk.tickets.models import CATEGORY_LETTERS, FIRST_NUMBER, parse_number

# Ids are Integer columns: a larger number can name no row, and would overflow a PostgreSQL query.
MAX_ID = 2**31 - 1
# Telegram user and chat ids have at most 52 significant bits (Bot API, "User.id").
MAX_TELEGRAM_ID = 2**52
# The highest ticket number a ticket can have (tickets.number is an Integer column too).
MAX_TICKET_NUMBER = MAX_ID

_ASCII_DIGITS = re.compile(r"[0-9]+")
# "I-1042", "i 1042", "I1042", "i–1042": how people type a ticket number.
_LETTERED = re.compile(r"([A-Za-z])\s*[-–—]?\s*([0-9]+)")
_CATEGORY_OF_LETTER = {letter: category for category, letter in CATEGORY_LETTERS.items()}


def storable(text: str) -> str:
    """Text without NUL characters, which PostgreSQL's text columns refuse (Telegram never sends them;
    a forged client may)."""
    return text.replace("\x00", "")


def bounded_int(text: str, *, low: int, high: int) -> int | None:
    """The integer ASCII digits spell when it lies in [low, high]; None for anything else (never raises)."""
    text = (text or "").strip()
    # The length check comes first, so a 5,000-digit string is never converted.
    significant = text.lstrip("0") or "0"
    if not _ASCII_DIGITS.fullmatch(text) or len(significant) > len(str(high)):
        return None
    value = int(significant)
    return value if low <= value <= high else None


def record_id(text: str) -> int | None:
    """A row id (a ticket, draft or question as a button carries it), or None."""
    return bounded_int(text, low=1, high=MAX_ID)


def telegram_id(text: str) -> int | None:
    """A Telegram user id as staff type it in /staff or /assign, or None."""
    return bounded_int(text, low=1, high=MAX_TELEGRAM_ID)


@dataclass(frozen=True)
class TicketNumber:
    """A typed ticket number: its serial (1042; a ticket of the organisation it is typed in, if any), and its
    letter if one was typed ('1042' has none)."""

    serial: int
    category: Category | None = None


def ticket_number(text: str) -> TicketNumber | None:
    """'I-1042', 'i 1042' or a bare '1042' as a ticket number; None if it is not one or names no ticket."""
    text = (text or "").strip()
    lettered = _LETTERED.fullmatch(text)
    if lettered:
        # The lettered form as the desk writes it ('I-1042'), read by the desk's own parser.
        parsed = parse_number(f"{lettered[1]}-{lettered[2].lstrip('0') or '0'}")
        if parsed is None or parsed[1] > MAX_TICKET_NUMBER:
            return None
        category, serial = parsed
        return TicketNumber(serial, category)
    number = bounded_int(text, low=FIRST_NUMBER, high=MAX_TICKET_NUMBER)
    return None if number is None else TicketNumber(number)


class StatusKind(Enum):
    """What the argument of a citizen's /status is."""

    NONE = "none"  # nothing: the overview
    TICKET = "ticket"  # a ticket number, with or without its letter (None: one no ticket can have)
    CODE = "code"  # a receipt code of 16 digits
    BAD_CODE = "bad_code"  # digits meant as a code, of the wrong length
    BAD = "bad"  # anything else


@dataclass(frozen=True)
class StatusArgument:
    """The argument of /status, read: its kind, and the ticket number or receipt code it holds."""

    kind: StatusKind
    ticket: TicketNumber | None = None
    code: str | None = None


def status_argument(text: str) -> StatusArgument:
    """Read /status's argument. Bare digits up to a ticket number's length are a ticket number ('1001'):
    receipt codes have 16 digits and are printed in groups, so the two never meet."""
    text = (text or "").strip()
    if not text:
        return StatusArgument(StatusKind.NONE)
    lettered = _LETTERED.fullmatch(text)
    if lettered and lettered[1].upper() in _CATEGORY_OF_LETTER:
        # Well formed: a number beyond any ticket is simply none of theirs (ticket None).
        return StatusArgument(StatusKind.TICKET, ticket=ticket_number(text))
    if len(text) <= len(str(MAX_TICKET_NUMBER)) and _ASCII_DIGITS.fullmatch(text):
        number = ticket_number(text)
        return StatusArgument(StatusKind.TICKET, ticket=number) if number else StatusArgument(StatusKind.BAD)
    code = receipts.parse_code(text)
    if code is not None:
        return StatusArgument(StatusKind.CODE, code=code)
    if receipts.looks_like_code(text):
        return StatusArgument(StatusKind.BAD_CODE)
    return StatusArgument(StatusKind.BAD)


def member(text: str) -> int | str | None:
    """Whom staff name in /assign or /staff remove: a Telegram id (int), else an @username or a name (str).

    None for digits that can be no Telegram id (too many, zero, or not ASCII)."""
    who = (text or "").strip().removeprefix("@")
    if who.isdigit():
        return telegram_id(who)
    return who or None
