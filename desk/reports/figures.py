"""The figures of one slice of tickets (a clock, a month, or all): pure arithmetic over TicketFacts."""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from desk.reports.facts import Interim, TicketFacts
from desk.surveys import SCORES


@dataclass(frozen=True)
class Figures:
    """Counts and times of a set of tickets, judged as of one moment.

    `decided` = answered, or unanswered past the promised moment; tickets still inside their window
    are `pending` and count neither way. Times are hours from receipt to the final reply."""

    received: int
    on_time: int
    late: int
    pending: int
    median_hours: float | None
    p90_hours: float | None
    interims_before_due: tuple[Interim, ...]
    breaches: int
    escalations: int
    distribution: dict[int, int]  # score -> number of ratings
    comments: int

    @property
    def decided(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_share(self) -> float | None:
        """Share of decided tickets answered within the promised window; None when none is decided."""
        return self.on_time / self.decided if self.decided else None

    @property
    def ratings(self) -> int:
        return sum(self.distribution.values())

    @property
    def mean_score(self) -> float | None:
        if not self.ratings:
            return None
        return sum(score * count for score, count in self.distribution.items()) / self.ratings


def summarise(facts: Sequence[TicketFacts], as_of: datetime) -> Figures:
    """The figures of these tickets as of `as_of`."""
    hours: list[float] = []
    on_time = late = breaches = escalations = comments = 0
    interims: list[Interim] = []
    distribution = {score: 0 for score in SCORES}
    # One pass: a year's report runs this for every clock of every month.
    for f in facts:
        if f.answered_at is not None:
            hours.append(f.hours_to_reply)
        if f.on_time:
            on_time += 1
        elif f.late(as_of):
            late += 1
        if f.score is not None:
            distribution[f.score] += 1
        breaches += f.breached
        escalations += f.escalations
        comments += f.comment
        interims.extend(f.interims_before_due)
    hours.sort()
    return Figures(
        received=len(facts),
        on_time=on_time,
        late=late,
        pending=len(facts) - on_time - late,
        median_hours=statistics.median(hours) if hours else None,
        p90_hours=nearest_rank(hours, 0.9),
        interims_before_due=tuple(interims),
        breaches=breaches,
        escalations=escalations,
        distribution=distribution,
        comments=comments,
    )


def nearest_rank(ordered: Sequence[float], share: float) -> float | None:
    """The smallest value that at least `share` of the values do not exceed (nearest-rank percentile)."""
    if not ordered:
        return None
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]
