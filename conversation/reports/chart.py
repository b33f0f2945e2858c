"""The report's chart as PNG bytes: requests per clock and per month (on time, late, not yet due), ratings.

Drawn with matplotlib's object API on the Agg canvas: no display, no pyplot state shared between threads.
"""

import io
import logging
import textwrap
import threading

from babel.dates import format_skeleton

from desk.charter.model import CATEGORIES
from desk.reports.figures import Figures
from desk.reports.report import Report
from conversation.reports.words import Words
from conversation.texts import Texts

log = logging.getLogger(__name__)

WIDTH_INCHES, HEIGHT_INCHES, DPI = 12, 4.2, 100
COLOURS = {"on_time": "#2e7d32", "late": "#c62828", "pending": "#9e9e9e", "ratings": "#1565c0"}
# Tried in order for every glyph (matplotlib >= 3.6 falls back per glyph); Hangul needs one of the last.
FONT_PREFERENCE = ("DejaVu Sans", "NanumGothic", "NanumBarunGothic", "Noto Sans CJK KR", "Noto Sans KR")
MIN_SLOTS = 4  # bars are never wider than a quarter of their chart
CJK_START = 0x2E80  # Hangul, kana and ideographs all lie above this
# rc_context changes process-wide settings for the duration of a drawing.
_drawing = threading.Lock()


def render_png(report: Report, texts: Texts, language: str) -> bytes:
    """The chart of a report, labelled in `language` (in English if no installed font can draw it)."""
    # matplotlib is imported on first use: ~30 MB that the bot process carries only once a report is drawn.
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    families = _installed_families()
    words = Words(texts, _drawable_language(texts, language, families), report.timezone)
    with _drawing, rc_context({"font.family": families, "font.size": 9}):
        figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
        by_clock, by_month, ratings = figure.subplots(1, 3, width_ratios=(1.1, 1.3, 0.8))
        clocks = [report.whole.by_clock[c] for c in CATEGORIES]
        _stacked(
            by_clock, words, [_wrap(words.clock(c)) for c in CATEGORIES], clocks, words("chart_by_clock")
        )
        month_names = [_month_label(words.language, month, report) for month, _ in report.months]
        _stacked(by_month, words, month_names, [s.total for _, s in report.months], words("chart_by_month"))
        _ratings(ratings, words, report.whole.total)
        # One legend for both stacked charts, under them, where no bar can hide it.
        figure.legend(
            *by_clock.get_legend_handles_labels(), loc="outside lower center", ncols=3, frameon=False
        )
        if report.empty:
            figure.text(
                0.5,
                0.5,
                words("no_tickets"),
                ha="center",
                va="center",
                fontsize=12,
                bbox={"facecolor": "white", "edgecolor": "#999999"},
            )
        buffer = io.BytesIO()
        FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def _stacked(axes, words: Words, labels: list[str], figures: list[Figures], title: str) -> None:
    positions = range(len(labels))
    bottom = [0] * len(labels)
    for part, values in (
        ("on_time", [f.on_time for f in figures]),
        ("late", [f.late for f in figures]),
        ("pending", [f.pending for f in figures]),
    ):
        axes.bar(positions, values, bottom=bottom, color=COLOURS[part], label=words(f"col_{part}"), width=0.6)
        bottom = [b + v for b, v in zip(bottom, values)]
    axes.set_xticks(list(positions), labels, rotation=0 if len(labels) <= 6 else 45)
    # A single month would otherwise be one bar as wide as the chart.
    margin = max(MIN_SLOTS - len(labels), 0) / 2
    axes.set_xlim(-0.5 - margin, len(labels) - 0.5 + margin)
    axes.set_title(title)
    axes.yaxis.set_major_locator(_integer_ticks())
    axes.set_ylim(0, max([*bottom, 1]) * 1.15)
    axes.spines[["top", "right"]].set_visible(False)


def _ratings(axes, words: Words, total: Figures) -> None:
    scores = list(total.distribution)
    counts = [total.distribution[s] for s in scores]
    axes.bar(scores, counts, color=COLOURS["ratings"], width=0.6)
    axes.set_xticks(scores, [str(s) for s in scores])
    axes.set_xlabel(words("col_score"))
    title = words("page_satisfaction")
    if total.ratings:
        title += f"  ({words.score(total.mean_score)} / 5)"
    axes.set_title(title)
    axes.yaxis.set_major_locator(_integer_ticks())
    axes.set_ylim(0, max([*counts, 1]) * 1.15)
    axes.spines[["top", "right"]].set_visible(False)


def _month_label(language: str, month, report: Report) -> str:
    # Month names alone when the axis is one year's months; with the year when that is not obvious.
    short = len(report.months) > 1 and len({m.year for m, _ in report.months}) == 1
    return format_skeleton("MMM" if short else "yMMM", month, locale=language)


def _wrap(label: str) -> str:
    return textwrap.fill(label, 12, break_long_words=False)


def _integer_ticks():
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _installed_families() -> list[str]:
    from matplotlib import font_manager

    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return [family for family in FONT_PREFERENCE if family in installed] or ["sans-serif"]


def _drawable_language(texts: Texts, language: str, families: list[str]) -> str:
    """`language`, unless its labels need CJK glyphs and no installed font has them."""
    has_cjk_font = any(family not in ("DejaVu Sans", "sans-serif") for family in families)
    sample = "".join(texts.templates.get("utter_report_chart_by_clock", {}).get(language, ""))
    if has_cjk_font or all(ord(ch) < CJK_START for ch in sample) or not texts.speaks("en"):
        return language
    log.warning(
        "no installed font draws %s text (install fonts-nanum); the chart is labelled in English", language
    )
    return "en"
