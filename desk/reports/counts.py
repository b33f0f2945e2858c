"""What the agency view counts of a set of tickets: additive, so cells of (facility, month, clock) sum up."""

from dataclasses import dataclass, field

from desk.reports.satisfaction import Interval, satisfaction_index, share
from desk.surveys import SCORES


def _no_ratings() -> dict[int, int]:
    return {score: 0 for score in SCORES}


@dataclass(frozen=True)
class Counts:
    """Counts of tickets received: judged against their first promise as of the report's moment.

    `late` = answered after it, or unanswered past it; `pending` = neither on time nor late yet. `interims` are
    interim replies sent before the first promise ran out; `escalations` count every escalation entry."""

    received: int = 0
    on_time: int = 0
    late: int = 0
    breaches: int = 0
    interims: int = 0
    escalations: int = 0
    distribution: dict[int, int] = field(default_factory=_no_ratings)

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(
            received=self.received + other.received,
            on_time=self.on_time + other.on_time,
            late=self.late + other.late,
            breaches=self.breaches + other.breaches,
            interims=self.interims + other.interims,
            escalations=self.escalations + other.escalations,
            distribution={s: self.distribution.get(s, 0) + other.distribution.get(s, 0) for s in SCORES},
        )

    @property
    def pending(self) -> int:
        return self.received - self.on_time - self.late

    @property
    def decided(self) -> int:
        return self.on_time + self.late

    @property
    def ratings(self) -> int:
        return sum(self.distribution.values())

    @property
    def on_time_share(self) -> Interval | None:
        """Share of decided tickets answered on time, with Wilson's interval; None when none is decided."""
        return share(self.on_time, self.decided)

    @property
    def satisfaction(self) -> Interval | None:
        """The 0–100 satisfaction index with its t interval; None when nobody rated."""
        return satisfaction_index(self.distribution)


def total(counts) -> Counts:
    """The sum of some Counts (an empty Counts for none)."""
    result = Counts()
    for item in counts:
        result = result + item
    return result
