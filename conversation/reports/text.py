"""The short text of a report, for officers in Telegram (the /report answer and the weekly push)."""

from desk.charter.model import CATEGORIES
from desk.reports.figures import Figures
from desk.reports.report import Report
from conversation.reports.words import ALL, Words
from conversation.texts import Texts

# Keeps the message well inside Telegram's 4096 characters.
MAX_REASONS = 10
MAX_REASON_CHARS = 160


def render_text(report: Report, texts: Texts, language: str, *, weekly: bool = False) -> str:
    """Title, scope, a line per clock, satisfaction, non-response complaints, interim reasons."""
    words = Words(texts, language, report.timezone)
    lines = [words("weekly")] if weekly else []
    lines += [
        words("title", organisation=report.organisation, period=report.period.label(language)),
        words(
            "scope",
            period=report.period.label(language),
            timezone=report.timezone.key,
            as_of=words.moment(report.as_of),
        ),
    ]
    if report.empty:
        return "\n".join([*lines, words("no_tickets")])
    whole = report.whole
    lines.append(clock_line(words, ALL, whole.total))
    lines += [clock_line(words, category, whole.by_clock[category]) for category in CATEGORIES]
    total = whole.total
    if total.ratings:
        lines.append(
            words(
                "satisfaction_line",
                mean=words.score(total.mean_score),
                ratings=words.count(total.ratings),
                distribution=words.distribution(total.distribution),
            )
        )
    lines.append(words("non_response_line", count=words.count(report.non_response_complaints)))
    lines += _reasons(words, total)
    return "\n".join(lines)


def clock_line(words: Words, category: str, figures: Figures) -> str:
    """One clock's figures in a sentence."""
    if not figures.received:
        return words("clock_empty", clock=words.clock(category))
    return words(
        "clock_line",
        clock=words.clock(category),
        received=words.count(figures.received),
        on_time=words.count(figures.on_time),
        decided=words.count(figures.decided),
        share=words.share(figures.on_time_share),
        median=words.hours(figures.median_hours),
        p90=words.hours(figures.p90_hours),
        interims=words.count(len(figures.interims_before_due)),
        breaches=words.count(figures.breaches),
        escalations=words.count(figures.escalations),
        mean=words.score(figures.mean_score),
        ratings=words.count(figures.ratings),
    )


def _reasons(words: Words, figures: Figures) -> list[str]:
    interims = figures.interims_before_due
    if not interims:
        return []
    lines = [words("interims_header")]
    for interim in interims[:MAX_REASONS]:
        reason = " ".join(interim.reason.split())
        if len(reason) > MAX_REASON_CHARS:
            reason = reason[: MAX_REASON_CHARS - 1] + "…"
        lines.append(f"• {interim.number}: {reason}")
    if len(interims) > MAX_REASONS:
        lines.append(words("more", count=words.count(len(interims) - MAX_REASONS)))
    return lines
