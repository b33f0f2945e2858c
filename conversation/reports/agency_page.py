"""The published agency page: every facility side by side, per clause and per month, who falls behind, and how
the satisfaction index is computed. Figures only: no ticket, person or written text of anyone appears."""

from collections.abc import Sequence
from zoneinfo import ZoneInfo


from desk.charter.model import CATEGORIES
from desk.reports.agency import AgencyReport
from desk.reports.counts import Counts
from conversation.reports import agency_words
from conversation.reports.agency_text import behind_lines
from conversation.reports.page import _language_name, report_template
from conversation.reports.words import Words
from conversation.texts import Texts

COLUMNS = ("received", "on_time", "share", "pending", "interims", "escalations")
AGENCY_COLUMNS = ("facility", "index", "behind")


def render_agency_page(
    report: AgencyReport, texts: Texts, language: str, *, agency: str, timezone: ZoneInfo,
    language_links: Sequence[tuple[str, str]] = (),
) -> str:
    """The page as HTML; language links as (code, href)."""
    words = Words(texts, language, timezone)
    period = report.period.label(language)
    sides = [(report.agency, words("agency_whole")), *((side, side.name) for side in report.facilities)]
    behind = {id(side) for side in report.behind}
    return report_template("agency.html").render(
        lang=language,
        languages=[(code, _language_name(code), href) for code, href in language_links],
        agency=agency,
        title=words("agency_page_title"),
        period=period,
        intro=words("agency_page_intro", agency=agency),
        scope=words("agency_scope", period=period, as_of=words.moment(report.as_of)),
        empty=report.empty,
        no_tickets=words("no_tickets"),
        columns={**{n: words(f"col_{n}") for n in COLUMNS}, **{n: words(f"agency_col_{n}") for n in AGENCY_COLUMNS}},
        facilities_title=words("agency_page_facilities"),
        facilities=[_row(words, side.slug, label, side.whole, id(side) in behind, side.by_clock)
                    for side, label in sides],
        # The header says what "behind" means; the lines (or the "nobody" line) follow it.
        behind_title=words("agency_behind_header"),
        behind_lines=behind_lines(words, report)[1:] if report.behind else behind_lines(words, report),
        trend_title=words("agency_page_trend"),
        months=[
            {"key": f"{month:%Y-%m}", "label": words.month(month),
             "rows": [_row(words, side.slug, label, side.months[index][1]) for side, label in sides]}
            for index, (month, _) in enumerate(report.agency.months)
        ],
        method_title=words("agency_page_method_title"),
        method=words("agency_page_method"),
    )


def _row(words: Words, slug: str, label: str, counts: Counts, behind: bool = False,
         by_clock: dict[str, Counts] | None = None) -> dict:
    return {
        "slug": slug,
        "label": label,
        "cells": _cells(words, counts),
        "behind": words("agency_behind_mark") if behind else "",
        "clauses": [
            {"clock": c, "label": words.clock(c), "cells": _cells(words, by_clock[c])}
            for c in CATEGORIES if by_clock and by_clock[c].received
        ],
    }


def _cells(words: Words, counts: Counts) -> list[tuple[str, str]]:
    return [
        ("received", words.count(counts.received)),
        ("on_time", f"{words.count(counts.on_time)} / {words.count(counts.decided)}"),
        ("share", f"{agency_words.share(words, counts.on_time_share)} "
                  f"({agency_words.share_interval(words, counts.on_time_share)})"),
        ("pending", words.count(counts.pending)),
        ("interims", words.count(counts.interims)),
        ("escalations", words.count(counts.escalations)),
        ("index", agency_words.index(words, counts.satisfaction)),
    ]

