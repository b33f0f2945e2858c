"""What a citizen's flow takes (a message, a button press) and gives back (what to send), and the
Turn that collects the answer while a flow runs."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from desk import outbox
from desk.anonymous.attempts import GuessBudget
from desk.charter.model import Charter
from desk.organisations.models import FIRST_ORGANISATION
from conversation.texts import Texts, format_moment
from conversation import replies
from conversation.buttons import ButtonPress, Keyboard, decode

# A citizen whose language we have no texts in reads English and the charter's first language.
FALLBACK_LANGUAGE = "en"
# Between the versions of one text in two languages, and of one button label.
VOICES_JOINER = "\n\n"
LABEL_JOINER = " / "


@dataclass(frozen=True)
class Desk:
    """What every flow needs to know about the organisation: its charter and its words."""

    charter: Charter
    texts: Texts
    code_guesses: GuessBudget = GuessBudget()  # wrong receipt codes from all chats (settings)
    # Every row this desk writes or reads is this organisation's (desk/organisations/).
    organisation_id: int = FIRST_ORGANISATION

    def voices(self, language: str) -> tuple[str, ...]:
        """The languages a text to this citizen is written in: theirs, or English and the charter's first."""
        if self.texts.speaks(language):
            return (language,)
        pair = (FALLBACK_LANGUAGE, *self.charter.languages[:1])
        return tuple(dict.fromkeys(code for code in pair if self.texts.speaks(code))) or self.texts.languages[:1]

    def voiced(self, render: Callable[[str], str], language: str, joiner: str = VOICES_JOINER) -> str:
        """`render(voice)` for each voice of `language`, joined: one language, or the fallback pair."""
        return joiner.join(render(voice) for voice in self.voices(language))

    def render(self, response: str, language: str, *, joiner: str = VOICES_JOINER, **params: object) -> str:
        """A response for a citizen of `language` (any code); datetime params are formatted per voice."""
        def one(voice: str) -> str:
            shown = {k: self.moment(v, voice) if isinstance(v, datetime) else v for k, v in params.items()}
            return self.texts.render(response, voice, **shown)

        return self.voiced(one, language, joiner)

    def moment(self, at: datetime, language: str) -> str:
        """A moment in the charter's timezone, formatted for the language (its first voice if we lack it)."""
        return format_moment(at, self.voices(language)[0], self.charter.timezone)

    def staff_chat_language(self) -> str:
        """The language of the staff chat and of officers' pushes: the organisation's first spoken language."""
        return next((lang for lang in self.charter.languages if self.texts.speaks(lang)), self.texts.languages[0])

    def known(self) -> dict[str, object]:
        """Placeholders any citizen text may use: the organisation, how to reach it, the retention period."""
        organisation = self.charter.organisation
        contact = organisation.contact
        where = contact.phone or contact.web or contact.email or contact.address or contact.note or organisation.name
        return {"organisation": organisation.name, "contact": where, "retention_days": self.charter.retention_days}


@dataclass(frozen=True)
class Attachment:
    """A file a citizen sent, as Telegram's reference to it (we never fetch the file)."""

    file_id: str
    kind: str  # photo | document | voice


@dataclass(frozen=True)
class Inbound:
    """A citizen's message as the transport received it."""

    chat_id: int
    message_id: int
    text: str
    received_at: datetime
    telegram_language: str | None = None
    reply_to_message_id: int | None = None  # the message this one answers, if any
    attachment: Attachment | None = None


@dataclass(frozen=True)
class Understanding:
    """What the classifier (and the date reader) made of a message."""

    intent: str
    language: str | None
    certain: bool = True  # False: confidence below nlu.classifier.LOW_CONFIDENCE, so we ask
    readable: bool = True  # False: written in a language the classifier was never taught
    preferred_at: datetime | None = None  # a day (and time) named in the message
    preferred_has_time: bool = False  # False: only a day was named
    time_phrase: str | None = None  # the words that named it


@dataclass(frozen=True)
class Held:
    """A citizen's message on its way into a ticket: just received, or held while we asked something."""

    chat_id: int
    message_id: int
    text: str
    received_at: datetime
    attachment: Attachment | None = None
    preferred_at: datetime | None = None
    preferred_has_time: bool = False
    needs_purpose: bool = False  # as an appointment request it does not say what it is for


@dataclass(frozen=True)
class Press:
    """A citizen pressed one of our inline buttons."""

    chat_id: int
    query_id: str
    data: str  # what the button carried, as conversation.buttons.encode wrote it
    message_id: int | None  # the message that carries the buttons
    telegram_language: str | None = None

    @property
    def button(self) -> ButtonPress | None:
        """What the pressed button means; None for data we never wrote."""
        return decode(self.data)


@dataclass(frozen=True)
class Answer:
    """The outcome of one update: what to send now, and the ticket it opened, if any."""

    duplicate: bool
    language: str | None = None
    outgoing: list[outbox.Outgoing] = field(default_factory=list)
    ticket_number: str | None = None
    due_at: datetime | None = None
    toast: str | None = None  # a note on the pressed button
    settled: bool = False  # the pressed buttons did their job: remove them
    menu_language: str | None = None  # set this chat's command menu in this language
    ephemeral: bool = False  # anonymous path: delete the outbox rows once they are delivered


@dataclass
class Turn:
    """One update being answered: collects promised messages under keys derived from `key`."""

    session: AsyncSession
    desk: Desk
    now: datetime
    chat_id: int
    language: str
    key: str  # one base key per update, so a redelivered update can never promise twice
    outgoing: list[outbox.Outgoing] = field(default_factory=list)
    ephemeral: bool = False
    _said: int = 0

    def text(self, response: str, **params: object) -> str:
        """A response in this citizen's language (or the fallback pair); {organisation}, {contact}, {retention_days} are always known."""
        return self.desk.render(response, self.language, **{**self.desk.known(), **params})

    def label(self, response: str, **params: object) -> str:
        """A button's label in this citizen's language (the fallback pair on one line)."""
        return self.desk.render(response, self.language, joiner=LABEL_JOINER, **{**self.desk.known(), **params})

    def per_voice(self, compose: "Callable[[Turn], str]") -> str:
        """A text composed of several responses, composed whole in each voice (not interleaved line by line)."""
        return self.desk.voiced(lambda voice: compose(replace(self, language=voice)), self.language)

    @property
    def locale(self) -> str:
        """The language dates and numbers are formatted in: the citizen's, or the fallback pair's first."""
        return self.desk.voices(self.language)[0]

    def moment(self, at: datetime) -> str:
        """A moment as this citizen reads it."""
        return self.desk.moment(at, self.language)

    async def say(self, text: str, *, buttons: Keyboard | None = None, ticket_id: int | None = None) -> None:
        """Promise a message to this chat (split if long)."""
        self._said += 1
        key = self.key if self._said == 1 else f"{self.key}:{self._said}"
        self.outgoing += await replies.enqueue_text(
            self.session, key=key, chat_id=self.chat_id, text=text, now=self.now,
            buttons=buttons, ticket_id=ticket_id, organisation_id=self.desk.organisation_id,
        )

    def answer(self, **details: object) -> Answer:
        """The Answer of this turn."""
        return Answer(
            duplicate=False, language=self.language, outgoing=self.outgoing, ephemeral=self.ephemeral, **details
        )
