"""The satisfaction index as Korean public-service customer satisfaction surveys report it, and its interval.

Korea's public-service customer satisfaction index (PCSI, and the welfare facility evaluations that follow
it) turns answers on a k-point scale into points out of 100 linearly, the lowest answer 0 and the highest
100: points = (answer - 1) / (k - 1) * 100, so on our 1–5 rating 1 → 0, 2 → 25, 3 → 50, 4 → 75, 5 → 100.
The index is the mean of those points. Its 95% confidence interval is Student's t interval of the mean,
because a facility has a few dozen ratings a month, not the thousands a normal approximation wants.

Whether a facility falls behind is a question of evidence, not of a lower number: it is behind the
agency-wide figure only when its whole interval lies below it (for shares such as "answered on time",
Wilson's score interval, which stays inside 0–1 for small counts).
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

from scipy import stats

from desk.surveys import SCORES

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval (bounds None when one observation cannot give one)."""

    value: float
    low: float | None
    high: float | None
    count: int

    def below(self, reference: float) -> bool:
        """Whether the whole interval lies below `reference` (an estimate without an interval never does)."""
        return self.high is not None and self.high < reference


def points(score: int, scale: range = SCORES) -> float:
    """One answer on the rating scale as points out of 100 (lowest 0, highest 100)."""
    if score not in scale:
        raise ValueError(f"score {score} is outside the scale {scale.start}–{scale.stop - 1}")
    return (score - scale.start) / (scale.stop - 1 - scale.start) * 100


def satisfaction_index(
    distribution: Mapping[int, int], *, scale: range = SCORES, confidence: float = CONFIDENCE
) -> Interval | None:
    """The 0–100 index of these ratings (score -> count) with its t interval; None when nobody rated."""
    for score, count in distribution.items():
        points(score, scale)  # refuses a score off the scale
        if count < 0:
            raise ValueError(f"a negative count of ratings ({count}) for score {score}")
    n = sum(distribution.values())
    if n == 0:
        return None
    mean = sum(points(score, scale) * count for score, count in distribution.items()) / n
    if n == 1:
        return Interval(mean, None, None, 1)
    variance = sum(count * (points(score, scale) - mean) ** 2 for score, count in distribution.items()) / (n - 1)
    half = stats.t.ppf((1 + confidence) / 2, n - 1) * math.sqrt(variance / n)
    return Interval(mean, max(mean - half, 0.0), min(mean + half, 100.0), n)


def share(successes: int, count: int, *, confidence: float = CONFIDENCE) -> Interval | None:
    """A share (successes of count) with Wilson's score interval; None when count is 0."""
    if count < 0 or not 0 <= successes <= count:
        raise ValueError(f"{successes} successes of {count} is not a share")
    if count == 0:
        return None
    z = stats.norm.ppf((1 + confidence) / 2)
    p = successes / count
    centre = (p + z * z / (2 * count)) / (1 + z * z / count)
    half = z / (1 + z * z / count) * math.sqrt(p * (1 - p) / count + z * z / (4 * count * count))
    return Interval(p, max(centre - half, 0.0), min(centre + half, 1.0), count)
