"""The public compliance page: the same figures per clock and per month, with the chart, and no personal data.

Nothing here names a citizen, a chat or a ticket, and no free text written by anyone is shown:
interim replies appear as counts only, ratings as a distribution, comments not at all.
"""

import base64
from collections.abc import Sequence
from functools import cache

from babel import Locale
from jinja2 import Environment, PackageLoader, Template, select_autoescape

from desk.charter.model import CATEGORIES
from desk.reports.figures import Figures
from desk.reports.report import Report, Slice
from conversation.reports.words import ALL, NOT_AVAILABLE, Words
from conversation.texts import Texts

COLUMNS = (
    "clock",
    "received",
    "on_time",
    "share",
    "pending",
    "median",
    "p90",
    "interims",
    "breaches",
    "escalations",
    "satisfaction",
    "score",
    "ratings",
)


def render_page(
    report: Report,
    texts: Texts,
    language: str,
    *,
    chart_png: bytes | None = None,
    chart_url: str | None = None,
    language_links: Sequence[tuple[str, str]] = (),
) -> str:
    """The page as HTML; the chart inline (`chart_png`) or linked (`chart_url`); links as (code, href)."""
    words = Words(texts, language, report.timezone)
    total = report.whole.total
    satisfaction = words(
        "satisfaction_line",
        mean=words.score(total.mean_score),
        ratings=words.count(total.ratings),
        distribution=words.distribution(total.distribution),
    )
    return report_template("compliance.html").render(
        lang=language,
        languages=[(code, _language_name(code), href) for code, href in language_links],
        organisation=report.organisation,
        title=words("page_title"),
        period=report.period.label(language),
        heading=words("title", organisation=report.organisation, period=report.period.label(language)),
        intro=words("page_intro", organisation=report.organisation),
        scope=words(
            "scope",
            period=report.period.label(language),
            timezone=report.timezone.key,
            as_of=words.moment(report.as_of),
        ),
        empty=report.empty,
        no_tickets=words("no_tickets"),
        columns={name: words(f"col_{name}") for name in COLUMNS},
        whole=_rows(words, report.whole),
        chart_src=chart_url or _data_uri(chart_png or b""),
        chart_alt=words("page_chart_alt"),
        satisfaction_title=words("page_satisfaction"),
        satisfaction_line=satisfaction,
        distribution=[(score, words.count(n)) for score, n in total.distribution.items()],
        non_response_line=words("non_response_line", count=words.count(report.non_response_complaints)),
        months_title=words("page_months"),
        months=[
            {"key": f"{m:%Y-%m}", "label": words.month(m), "rows": _rows(words, s)} for m, s in report.months
        ],
    )


def _rows(words: Words, slice_: Slice) -> list[dict]:
    figures = [(ALL, slice_.total), *((c, slice_.by_clock[c]) for c in CATEGORIES)]
    return [{"clock": clock, "label": words.clock(clock), "cells": _cells(words, f)} for clock, f in figures]


def _cells(words: Words, f: Figures) -> list[tuple[str, str]]:
    satisfaction = (
        NOT_AVAILABLE if not f.ratings else f"{words.score(f.mean_score)} ({words.count(f.ratings)})"
    )
    return [
        ("received", words.count(f.received)),
        ("on_time", f"{words.count(f.on_time)} / {words.count(f.decided)}"),
        ("share", words.share(f.on_time_share)),
        ("pending", words.count(f.pending)),
        ("median", words.hours(f.median_hours)),
        ("p90", words.hours(f.p90_hours)),
        ("interims", words.count(len(f.interims_before_due))),
        ("breaches", words.count(f.breaches)),
        ("escalations", words.count(f.escalations)),
        ("satisfaction", satisfaction),
    ]


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _language_name(code: str) -> str:
    return Locale.parse(code).get_display_name(code) or code


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("desk.reports"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def report_template(name: str) -> Template:
    """A published page's template from desk/reports/templates (each extends page.html), autoescaped."""
    return _environment().get_template(name)
