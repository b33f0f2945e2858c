"""The agency report as CSV: one row per facility (and the agency, slug empty), month ('' = whole period) and
clock ('all' = every request together); machine-readable columns, figures only."""

import csv
import io

from desk.charter.model import CATEGORIES
from desk.reports.agency import AgencyReport
from desk.reports.counts import Counts
from conversation.reports.csv_file import ENCODING
from conversation.reports.words import ALL

COLUMNS = (
    "period", "facility", "name", "month", "clock", "received", "answered_on_time", "late", "not_yet_due",
    "share_on_time", "share_low", "share_high", "interims_before_due", "deadlines_missed", "escalations",
    "ratings", "satisfaction_index", "index_low", "index_high", "behind",
)


def render_agency_csv(report: AgencyReport) -> bytes:
    """CSV bytes: the whole period per clock, then each month in all, for the agency and every facility."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    behind = {id(side) for side in report.behind}
    for side in (report.agency, *report.facilities):
        mark = int(id(side) in behind) if side.slug else ""
        rows = [("", ALL, side.whole), *(("", c, side.by_clock[c]) for c in CATEGORIES)]
        rows += [(f"{month:%Y-%m}", ALL, counts) for month, counts in side.months]
        for month, clock, counts in rows:
            writer.writerow([report.period.text, side.slug, side.name, month, clock, *_figures(counts), mark])
    return out.getvalue().encode(ENCODING)


def _figures(counts: Counts) -> list:
    share, index = counts.on_time_share, counts.satisfaction
    return [
        counts.received, counts.on_time, counts.late, counts.pending,
        *_interval(share, 4), counts.interims, counts.breaches, counts.escalations, counts.ratings,
        *_interval(index, 2),
    ]


def _interval(interval, digits: int) -> list:
    if interval is None:
        return ["", "", ""]
    return [round(v, digits) if v is not None else "" for v in (interval.value, interval.low, interval.high)]
