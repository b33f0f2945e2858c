"""Buttons without a channel: a label and what pressing it means, and the one codec of the data they carry.

Each kind of button is a small frozen dataclass registered with its wire template, e.g.
"c:rate:{ticket_id}:{score}". `encode` writes one (and refuses what would not fit Telegram's 64 bytes
or would not read back the same); `decode` reads data back into one, or None, and never raises. The
templates are the formats buttons had before this codec, so buttons already sent keep working.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, get_type_hints

from conversation.arguments import MAX_ID
from desk.tickets.models import CATEGORY_LETTERS

# Telegram's limit for a button's callback data, in bytes.
DATA_LIMIT = 64
# A slot is minutes since the epoch; beyond year 9999 no datetime can hold it.
MAX_MINUTE = int(datetime(9999, 12, 31, 23, 59, tzinfo=UTC).timestamp()) // 60


class ButtonError(ValueError):
    """A button whose data cannot be written: a value out of range, or more than DATA_LIMIT bytes."""


@dataclass(frozen=True)
class _Part:
    """How one field is written in callback data: its text's pattern, and the conversions both ways."""

    pattern: str
    read: Callable[[str], Any]  # raises ValueError or KeyError when the text names nothing valid
    write: Callable[[Any], str] = str


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def read(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(text)
        return value

    return read


_CATEGORY_OF_LETTER = {letter: category for category, letter in CATEGORY_LETTERS.items()}

Id = Annotated[int, _Part(r"[0-9]{1,10}", _bounded(1, MAX_ID))]
Minute = Annotated[int, _Part(r"[0-9]{1,10}", _bounded(0, MAX_MINUTE))]
Score = Annotated[int, _Part(r"[0-9]{1,2}", _bounded(0, 99))]  # which scores count is the survey's business
Digits = Annotated[str, _Part(r"[0-9]+", str)]
Language = Annotated[str, _Part(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*", str)]
Category = Annotated[str, _Part(r"[A-Z]", _CATEGORY_OF_LETTER.__getitem__, CATEGORY_LETTERS.__getitem__)]
YesNo = Annotated[bool, _Part(r"yes|no", lambda text: text == "yes", lambda value: "yes" if value else "no")]


def _one_of(*words: str) -> _Part:
    return _Part("|".join(map(re.escape, words)), str)


CardWord = Annotated[str, _one_of("take", "reply", "interim", "close", "show")]
DraftWord = Annotated[str, _one_of("send", "drop")]


class ButtonPress:
    """What pressing a button means; every kind below is one of these."""

    TEMPLATE: ClassVar[str]
    PREFIX: ClassVar[str]  # the template up to its first field: what bot/app.py routes on


@dataclass(frozen=True)
class _Kind:
    cls: type[ButtonPress]
    regex: re.Pattern[str]
    parts: dict[str, _Part]


_KINDS: dict[type[ButtonPress], _Kind] = {}


def _kind(template: str):
    """Register a frozen dataclass as a kind of button written as `template` ("{field}" for each field)."""

    def register(cls):
        hints = get_type_hints(cls, include_extras=True)
        parts = {f.name: hints[f.name].__metadata__[0] for f in fields(cls)}
        if sorted(re.findall(r"\{(\w+)\}", template)) != sorted(parts):
            raise TypeError(f"{cls.__name__}: the template names other fields than the class has")
        regex = "".join(
            f"(?P<{piece[1:-1]}>{parts[piece[1:-1]].pattern})" if piece.startswith("{") else re.escape(piece)
            for piece in re.split(r"(\{\w+\})", template) if piece
        )
        cls.TEMPLATE, cls.PREFIX = template, template.partition("{")[0]
        _KINDS[cls] = _Kind(cls, re.compile(regex), parts)
        return cls

    return register


# == citizens ==
@_kind("c:lang:{language}")
@dataclass(frozen=True)
class ChooseLanguage(ButtonPress):
    """Speak to me in this language."""

    language: Language


@_kind("c:q:{question_id}:n:{category}")
@dataclass(frozen=True)
class NewMatter(ButtonPress):
    """The held message is a new ticket of this category."""

    question_id: Id
    category: Category


@_kind("c:q:{question_id}:a:{ticket_id}")
@dataclass(frozen=True)
class AddToTicket(ButtonPress):
    """The held message belongs to this open ticket."""

    question_id: Id
    ticket_id: Id


@_kind("c:q:{question_id}:r:{ticket_id}")
@dataclass(frozen=True)
class MissingAnswer(ButtonPress):
    """The held complaint is about the answer to this ticket that did not come."""

    question_id: Id
    ticket_id: Id


@_kind("c:q:{question_id}:x")
@dataclass(frozen=True)
class NotARequest(ButtonPress):
    """The held message was not a request: let it go."""

    question_id: Id


@_kind("c:q:{question_id}:s")
@dataclass(frozen=True)
class SendAnyway(ButtonPress):
    """The held message was called out of scope: send it to the staff all the same (as an inquiry)."""

    question_id: Id


@_kind("c:ap:{ticket_id}:{minute}")
@dataclass(frozen=True)
class PickSlot(ButtonPress):
    """This appointment time (minutes since the epoch, UTC) for this ticket."""

    ticket_id: Id
    minute: Minute

    @classmethod
    def at(cls, ticket_id: int, start: datetime) -> "PickSlot":
        """The button for a slot starting at `start`."""
        return cls(ticket_id, int(start.timestamp()) // 60)

    @property
    def start(self) -> datetime:
        """When the slot starts."""
        return datetime.fromtimestamp(self.minute * 60, UTC)


@_kind("c:ap:{ticket_id}:other")
@dataclass(frozen=True)
class OtherTime(ButtonPress):
    """None of these times: I will write one."""

    ticket_id: Id


@_kind("c:rate:{ticket_id}:{score}")
@dataclass(frozen=True)
class Rate(ButtonPress):
    """This score for how the ticket was handled."""

    ticket_id: Id
    score: Score


@_kind("c:ratenote:{ticket_id}")
@dataclass(frozen=True)
class AddComment(ButtonPress):
    """I will add a comment to my rating of this ticket."""

    ticket_id: Id


@_kind("c:forget:{erase}")
@dataclass(frozen=True)
class ConfirmForget(ButtonPress):
    """/forget: yes, erase me (True) or no, keep everything (False)."""

    erase: YesNo


@_kind("c:seal:{code}")
@dataclass(frozen=True)
class SealChannel(ButtonPress):
    """Anonymous complaint: tell me about this receipt here."""

    code: Digits


@_kind("c:noseal")
@dataclass(frozen=True)
class DeclineSeal(ButtonPress):
    """Anonymous complaint: do not tell me here."""


# == staff ==
@_kind("s:{action}:{ticket_id}")
@dataclass(frozen=True)
class CardAction(ButtonPress):
    """A button under a ticket's card in the staff chat."""

    action: CardWord
    ticket_id: Id


@_kind("s:{action}:{draft_id}")
@dataclass(frozen=True)
class DraftAction(ButtonPress):
    """Send or cancel a draft reply."""

    action: DraftWord
    draft_id: Id


@_kind("s:cat:{ticket_id}:{category}")
@dataclass(frozen=True)
class ChangeCategory(ButtonPress):
    """Put the ticket of this card on this category's clock (a staff correction)."""

    ticket_id: Id
    category: Category


KINDS: tuple[type[ButtonPress], ...] = tuple(_KINDS)


def encode(press: ButtonPress) -> str:
    """The callback data of a press; ButtonError if it would not fit or would not read back the same."""
    kind = _KINDS.get(type(press))
    if kind is None:
        raise ButtonError(f"not a kind of button: {type(press).__name__}")
    try:
        values = {name: part.write(getattr(press, name)) for name, part in kind.parts.items()}
    except (KeyError, TypeError, ValueError) as error:
        raise ButtonError(f"{press!r}: {error}") from None
    data = kind.cls.TEMPLATE.format(**values)
    if len(data.encode()) > DATA_LIMIT:
        raise ButtonError(f"{press!r}: {len(data.encode())} bytes, Telegram takes {DATA_LIMIT}")
    if decode(data) != press:
        raise ButtonError(f"{press!r} does not read back from {data!r}")
    return data


def decode(data: object) -> ButtonPress | None:
    """The press that callback data means, or None for anything we never wrote (never raises)."""
    if not isinstance(data, str) or len(data) > DATA_LIMIT:
        return None
    for kind in _KINDS.values():
        if not data.startswith(kind.cls.PREFIX):
            continue
        found = kind.regex.fullmatch(data)
        if found is None:
            continue
        try:
            return kind.cls(**{name: part.read(found[name]) for name, part in kind.parts.items()})
        except (KeyError, ValueError):
            continue
    return None


def pattern(*kinds: type[ButtonPress]) -> str:
    """A regular expression matching the data of these kinds by prefix, for a transport's routing."""
    prefixes = sorted({kind.PREFIX for kind in kinds}, key=len, reverse=True)
    return "^(?:" + "|".join(map(re.escape, prefixes)) + ")"


@dataclass(frozen=True)
class Button:
    """A button as the conversation offers it: its label and what pressing it means."""

    label: str
    press: ButtonPress


Keyboard = Sequence[Sequence[Button]]
# The outbox's (JSON) form of a keyboard: rows of {"text": label, "data": callback data}.
Stored = list[list[dict[str, str]]]


def stored(keyboard: Iterable[Iterable[Button]] | None) -> Stored | None:
    """A keyboard as the outbox keeps it; every button's data is encoded (and so checked) here."""
    if keyboard is None:
        return None
    return [[{"text": button.label, "data": encode(button.press)} for button in row] for row in keyboard]
