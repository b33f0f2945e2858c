"""The words and number formats of a report in one language: labels from domain.yml, numbers per locale."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.numbers import format_decimal, format_percent

from conversation.texts import Texts, format_moment

NOT_AVAILABLE = "–"  # a figure with nothing to compute it from (no answers, no ratings)
ALL = "all"  # the pseudo-clock of every request together


@dataclass(frozen=True)
class Words:
    """Render report labels and figures for one language."""

    texts: Texts
    language: str
    timezone: ZoneInfo

    def __call__(self, name: str, **params: object) -> str:
        """The response utter_report_<name>."""
        return self.texts.render(f"utter_report_{name}", self.language, **params)

    def clock(self, category: str) -> str:
        """A clock's name ('all' for every request together)."""
        return self(f"clock_{category}")

    def count(self, value: int) -> str:
        return format_decimal(value, locale=self.language)

    def share(self, value: float | None) -> str:
        return NOT_AVAILABLE if value is None else format_percent(value, "#,##0.#%", locale=self.language)

    def hours(self, value: float | None) -> str:
        if value is None:
            return NOT_AVAILABLE
        return self("hours", hours=format_decimal(value, "#,##0.#", locale=self.language))

    def score(self, value: float | None) -> str:
        return NOT_AVAILABLE if value is None else format_decimal(value, "0.0#", locale=self.language)

    def month(self, first_day: date) -> str:
        return format_skeleton("yMMMM", first_day, locale=self.language)

    def moment(self, at: datetime) -> str:
        return format_moment(at, self.language, self.timezone)

    def distribution(self, counts: dict[int, int]) -> str:
        return " · ".join(f"{score}★ {self.count(n)}" for score, n in counts.items())
