"""Periods a charter promises: "7 days", "3 business days", "48 hours", "1 business hour"."""

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

Unit = Literal["minutes", "hours", "days", "business_days", "business_hours"]

ABSOLUTE_UNITS: frozenset[str] = frozenset({"minutes", "hours", "days"})
BUSINESS_UNITS: frozenset[str] = frozenset({"business_days", "business_hours"})

EXAMPLES = '"7 days", "3 business days", "48 hours"'

_PATTERN = re.compile(
    r"^\s*(?P<amount>[+-]?\d+)\s+(?P<business>business\s+)?"
    r"(?P<unit>minutes?|hours?|days?)\s*$",
    re.IGNORECASE,
)


class DurationError(ValueError):
    """A text that is not a usable period; str() says why, quoting the text."""


@dataclass(frozen=True)
class Duration:
    """A positive whole number of one unit."""

    amount: int
    unit: Unit

    @property
    def is_business(self) -> bool:
        return self.unit in BUSINESS_UNITS

    def as_timedelta(self) -> timedelta:
        """The exact length of an absolute period (minutes, hours, days of 24 h)."""
        if self.unit not in ABSOLUTE_UNITS:
            raise ValueError(f"{self} has no fixed length")
        return timedelta(**{self.unit: self.amount})

    def __str__(self) -> str:
        word = self.unit.replace("business_", "business ")
        return f"{self.amount} {word[:-1] if self.amount == 1 else word}"


def parse_duration(text: object) -> Duration:
    """Parse "7 days", "1 business day", "30 minutes"; raise DurationError otherwise."""
    match = _PATTERN.match(text) if isinstance(text, str) else None
    if match is None:
        raise DurationError(f'"{text}" is not a duration (expected e.g. {EXAMPLES})')
    amount = int(match["amount"])
    if amount <= 0:
        raise DurationError(f'"{text}" is not a positive duration (the number must be 1 or more)')
    unit = match["unit"].lower().rstrip("s") + "s"
    if match["business"]:
        if unit == "minutes":
            raise DurationError(f'"{text}" is not a duration (business time counts in hours or days)')
        unit = "business_" + unit
    return Duration(amount, unit)  # type: ignore[arg-type]
