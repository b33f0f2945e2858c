"""How the agency view writes an interval, an index and a facility's line, in one language."""

from desk.reports.counts import Counts
from desk.reports.satisfaction import Interval
from conversation.reports.words import NOT_AVAILABLE, Words


def index(words: Words, interval: Interval | None) -> str:
    """'93.75 (95% CI 73.86–100, n = 4)', or with n and no interval, or 'no ratings'."""
    if interval is None:
        return words("agency_no_ratings")
    if interval.low is None:
        return words("agency_index_few", index=words.score(interval.value), n=words.count(interval.count))
    return words("agency_index", index=words.score(interval.value), low=words.score(interval.low),
                 high=words.score(interval.high), n=words.count(interval.count))


def share_interval(words: Words, interval: Interval | None) -> str:
    """'12.5%–70%' for a share's interval; a dash when nothing is decided."""
    if interval is None or interval.low is None:
        return NOT_AVAILABLE
    return f"{words.share(interval.low)}–{words.share(interval.high)}"


def share(words: Words, interval: Interval | None) -> str:
    return words.share(None if interval is None else interval.value)


def facility_line(words: Words, name: str, counts: Counts) -> str:
    """One facility's (or the agency's) figures in a sentence."""
    return words(
        "agency_line", facility=name, received=words.count(counts.received), on_time=words.count(counts.on_time),
        decided=words.count(counts.decided), share=share(words, counts.on_time_share),
        share_interval=share_interval(words, counts.on_time_share), pending=words.count(counts.pending),
        interims=words.count(counts.interims), escalations=words.count(counts.escalations),
        index=index(words, counts.satisfaction),
    )
