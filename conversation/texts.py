"""Every word the bot says, read from the Rasa domain's responses, one per language."""

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from babel import Locale
from babel.dates import format_datetime, format_skeleton

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"
LANGUAGE_SLOT = "language"


class TextsError(Exception):
    """domain.yml is missing, unreadable or lacks a response the bot needs."""


@dataclass(frozen=True)
class Texts:
    """Response templates by name and language."""

    templates: dict[str, dict[str, str]]
    languages: tuple[str, ...]

    @classmethod
    def load(cls, path: Path = DOMAIN_FILE) -> "Texts":
        """Read the responses of a Rasa domain file, keyed by the `language` slot condition."""
        try:
            domain = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise TextsError(f"{path}: cannot read the bot's texts: {exc}") from exc
        templates: dict[str, dict[str, str]] = {}
        for name, variants in (domain.get("responses") or {}).items():
            templates[name] = {_language_of(path, name, v): v["text"] for v in variants}
        slot = (domain.get("slots") or {}).get(LANGUAGE_SLOT) or {}
        languages = tuple(slot.get("values") or ())
        if not languages:
            raise TextsError(f"{path}: slot '{LANGUAGE_SLOT}' lists no values")
        return cls(templates=templates, languages=languages)

    def speaks(self, language: str | None) -> bool:
        """Whether every text exists in this language."""
        return language in self.languages

    def render(self, name: str, language: str, **params: object) -> str:
        """The response `name` in `language`, with {placeholders} filled in."""
        try:
            template = self.templates[name][language]
        except KeyError as exc:
            raise TextsError(f"domain.yml has no response {name!r} in language {language!r}") from exc
        return template.format(**params)


def _language_of(path: Path, name: str, variant: dict) -> str:
    for condition in variant.get("condition") or ():
        if condition.get("type") == "slot" and condition.get("name") == LANGUAGE_SLOT:
            return condition["value"]
    raise TextsError(f"{path}: response {name!r} has a variant without a language condition")


def format_moment(moment: datetime, language: str, timezone: ZoneInfo) -> str:
    """A due moment as a person of that language reads it, e.g. '2026년 12월 1일 (화) 오후 6:00'."""
    locale = Locale.parse(language)
    local = moment.astimezone(timezone)
    date = format_skeleton("yMMMEd", local, locale=locale, tzinfo=timezone)
    # The wide day period reads naturally ("오후", not "PM"); 24-hour locales have none.
    time_pattern = re.sub(r"a+", "aaaa", locale.time_formats["short"].pattern)
    time = format_datetime(local, time_pattern, locale=locale, tzinfo=timezone)
    return locale.datetime_formats["medium"].format(time, date)
