"""The CSV of a report: one row per clock for the whole period, then per month; machine-readable columns."""

import csv
import io

from desk.charter.model import CATEGORIES
from desk.reports.figures import Figures
from desk.reports.report import Report, Slice
from conversation.reports.words import ALL

COLUMNS = (
    "period",
    "month",
    "clock",
    "received",
    "answered_on_time",
    "late",
    "not_yet_due",
    "share_on_time",
    "median_hours",
    "p90_hours",
    "interims_before_due",
    "deadlines_missed",
    "escalations",
    "ratings",
    "mean_score",
    "score_1",
    "score_2",
    "score_3",
    "score_4",
    "score_5",
    "comments",
    "interim_reasons",
)
# Excel opens a UTF-8 file as the local code page unless it starts with a byte-order mark.
ENCODING = "utf-8-sig"


def render_csv(report: Report, *, with_reasons: bool = True) -> bytes:
    """The report as CSV bytes; `with_reasons=False` leaves out the staff's interim texts."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = [("", report.whole), *((f"{month:%Y-%m}", slice_) for month, slice_ in report.months)]
    for month, slice_ in rows:
        for clock, figures in _clocks(slice_):
            writer.writerow([report.period.text, month, clock, *_values(figures, with_reasons)])
    return out.getvalue().encode(ENCODING)


def _clocks(slice_: Slice) -> list[tuple[str, Figures]]:
    return [(ALL, slice_.total), *((c, slice_.by_clock[c]) for c in CATEGORIES)]


def _values(f: Figures, with_reasons: bool) -> list[object]:
    reasons = " | ".join(f"{i.number}: {' '.join(i.reason.split())}" for i in f.interims_before_due)
    return [
        f.received,
        f.on_time,
        f.late,
        f.pending,
        _round(f.on_time_share, 4),
        _round(f.median_hours, 2),
        _round(f.p90_hours, 2),
        len(f.interims_before_due),
        f.breaches,
        f.escalations,
        f.ratings,
        _round(f.mean_score, 2),
        *(f.distribution[score] for score in sorted(f.distribution)),
        f.comments,
        reasons if with_reasons else "",
    ]


def _round(value: float | None, digits: int) -> object:
    return "" if value is None else round(value, digits)
