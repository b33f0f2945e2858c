"""What domain code needs of the running desk, as protocols that conversation.turns.Desk satisfies.

desk/ may not import the conversation; yet retention depends on the charter, and the language a
chat is answered in on which languages have texts. Functions take `desk` typed by these.
"""

from typing import Protocol

from desk.charter.model import Charter


class Chartered(Protocol):
    """Anything that carries the organisation's charter, and which organisation it is."""

    @property
    def charter(self) -> Charter: ...

    @property
    def organisation_id(self) -> int: ...


class Wording(Protocol):
    """The languages in which every text exists."""

    @property
    def languages(self) -> tuple[str, ...]: ...

    def speaks(self, language: str | None) -> bool: ...


class Multilingual(Chartered, Protocol):
    """The charter, and the languages the desk has words in."""

    @property
    def texts(self) -> Wording: ...
