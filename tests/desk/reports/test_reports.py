"""Compliance figures on a seeded history with answers worked out by hand (see test_reports_seed.py)."""

import csv
import io
import struct

import pytest

from desk.organisations.models import FIRST_ORGANISATION
from conversation.reports.chart import render_png
from conversation.reports.csv_file import render_csv
from desk.reports.period import parse_period
from desk.reports.report import build_report
from conversation.reports.text import render_text
from desk.tickets.models import Ticket
from tests.conftest import at
from tests.desk.reports.test_reports_seed import AS_OF, seed_history


async def report_of(store, charter, period: str, as_of=AS_OF):
    async with store.unit_of_work() as session:
        return await build_report(session=session, organisation_id=FIRST_ORGANISATION, charter=charter, period=parse_period(period), now=as_of)


def numbers(figures) -> dict:
    """The figures as plain values, to compare with a hand-worked dict."""
    return {
        "received": figures.received,
        "on_time": figures.on_time,
        "late": figures.late,
        "pending": figures.pending,
        "share": None if figures.on_time_share is None else round(figures.on_time_share, 4),
        "median": figures.median_hours,
        "p90": figures.p90_hours,
        "interims": [(i.number, i.reason) for i in figures.interims_before_due],
        "breaches": figures.breaches,
        "escalations": figures.escalations,
        "distribution": figures.distribution,
        "mean": figures.mean_score,
    }


NONE_RATED = {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
NOVEMBER = {
    # I-1001 on time (24 h); I-1002 answered after its ORIGINAL due although inside the date its
    # interim promised (240 h); I-1003 unanswered past due, breached, escalated; I-1004 not yet due.
    "inquiry": {
        "received": 4,
        "on_time": 1,
        "late": 2,
        "pending": 1,
        "share": 0.3333,
        "median": 132.0,
        "p90": 240.0,
        "interims": [("I-1002", "waiting for the district office")],  # I-1003's came after the due moment
        "breaches": 1,
        "escalations": 1,
        "distribution": {**NONE_RATED, 2: 1, 5: 1},
        "mean": 3.5,
    },
    # C-1005 on time (36 h); C-1006 (anonymous) answered late (384 h), breached and escalated.
    "complaint": {
        "received": 2,
        "on_time": 1,
        "late": 1,
        "pending": 0,
        "share": 0.5,
        "median": 210.0,
        "p90": 384.0,
        "interims": [],
        "breaches": 1,
        "escalations": 1,
        "distribution": {**NONE_RATED, 4: 1},
        "mean": 4.0,
    },
    "non_response_complaint": {
        "received": 1,
        "on_time": 1,
        "late": 0,
        "pending": 0,
        "share": 1.0,
        "median": 24.0,
        "p90": 24.0,
        "interims": [],
        "breaches": 0,
        "escalations": 0,
        "distribution": {**NONE_RATED, 3: 1},
        "mean": 3.0,
    },
    # Received Friday 17:00, confirmed Monday 10:00: 65 h, inside "1 business day".
    "appointment_request": {
        "received": 1,
        "on_time": 1,
        "late": 0,
        "pending": 0,
        "share": 1.0,
        "median": 65.0,
        "p90": 65.0,
        "interims": [],
        "breaches": 0,
        "escalations": 0,
        "distribution": {**NONE_RATED, 5: 1},
        "mean": 5.0,
    },
}
# Reply times 24, 24, 36, 65, 240, 384 h: median (36 + 65) / 2; nearest-rank p90 = 6th of 6.
NOVEMBER_TOTAL = {
    "received": 8,
    "on_time": 4,
    "late": 3,
    "pending": 1,
    "share": 0.5714,
    "median": 50.5,
    "p90": 384.0,
    "interims": [("I-1002", "waiting for the district office")],
    "breaches": 2,
    "escalations": 2,
    "distribution": {1: 0, 2: 1, 3: 1, 4: 1, 5: 2},
    "mean": 3.8,
}


async def test_every_figure_of_a_month_per_clock(store, charter):
    await seed_history(store)
    report = await report_of(store, charter, "2026-11")
    for category, expected in NOVEMBER.items():
        assert numbers(report.whole.by_clock[category]) == expected, category
    assert numbers(report.whole.total) == NOVEMBER_TOTAL
    assert report.non_response_complaints == 1
    assert report.whole.total.comments == 1
    assert [month.isoformat() for month, _ in report.months] == ["2026-11-01"]
    assert numbers(report.months[0][1].total) == NOVEMBER_TOTAL


async def test_a_quarter_adds_its_other_months_and_splits_by_local_month(store, charter):
    await seed_history(store)
    report = await report_of(store, charter, "2026-Q4")
    months = {month.isoformat(): slice_ for month, slice_ in report.months}
    assert list(months) == ["2026-10-01", "2026-11-01", "2026-12-01"]
    assert numbers(months["2026-11-01"].total) == NOVEMBER_TOTAL
    assert [months[m].total.received for m in months] == [1, 8, 1]
    assert months["2026-10-01"].by_clock["inquiry"].median_hours == 120.0  # I-1010: 5 days
    total = numbers(report.whole.total)
    # Reply times 24, 24, 24, 36, 65, 120, 240, 384 h.
    assert (total["received"], total["on_time"], total["late"], total["pending"]) == (10, 6, 3, 1)
    assert (total["share"], total["median"], total["p90"]) == (0.6667, 50.5, 384.0)
    inquiry = numbers(report.whole.by_clock["inquiry"])
    assert (inquiry["received"], inquiry["on_time"], inquiry["median"], inquiry["p90"]) == (6, 3, 72.0, 240.0)


async def test_a_year_has_twelve_months_and_a_range_of_days_its_own_tickets(store, charter):
    await seed_history(store)
    year = await report_of(store, charter, "2026")
    assert len(year.months) == 12 and year.whole.total.received == 10
    assert [s.total.received for _, s in year.months][:9] == [0] * 9
    first_half = await report_of(store, charter, "2026-11-01..2026-11-15")
    assert first_half.whole.total.received == 5  # I-1001, I-1002, C-1005, C-1006, N-1007


async def test_a_ticket_not_yet_due_turns_late_once_its_promise_passes(store, charter):
    await seed_history(store)
    later = await report_of(store, charter, "2026-11", as_of=at("2026-12-09T09:00:00+09:00"))
    inquiry = later.whole.by_clock["inquiry"]
    assert (inquiry.on_time, inquiry.late, inquiry.pending) == (1, 3, 0)


async def test_months_follow_the_charters_timezone(store, charter):
    async with store.unit_of_work() as session:
        for serial, received in enumerate(("2026-10-31T23:59:00+09:00", "2026-11-01T00:00:00+09:00"), start=1001):
            moment = at(received)
            session.add(
                Ticket(
                    organisation_id=FIRST_ORGANISATION, serial=serial, category="inquiry",
                    status="open",
                    language="en",
                    text="x",
                    received_at=moment,
                    due_at=charter.due_at("inquiry", moment),
                )
            )
    october = await report_of(store, charter, "2026-10")
    november = await report_of(store, charter, "2026-11")
    assert october.whole.total.received == 1 and november.whole.total.received == 1


async def test_an_empty_period_is_a_report_of_zeros(store, charter, texts):
    await seed_history(store)
    report = await report_of(store, charter, "2025-01")
    assert report.empty
    total = numbers(report.whole.total)
    assert total == {
        "received": 0,
        "on_time": 0,
        "late": 0,
        "pending": 0,
        "share": None,
        "median": None,
        "p90": None,
        "interims": [],
        "breaches": 0,
        "escalations": 0,
        "distribution": NONE_RATED,
        "mean": None,
    }
    text = render_text(report, texts, "en")
    assert "No requests were received in this period." in text
    rows = list(csv.DictReader(io.StringIO(render_csv(report).decode("utf-8-sig"))))
    assert len(rows) == 10 and all(row["received"] == "0" and row["share_on_time"] == "" for row in rows)
    assert png_size(render_png(report, texts, "en")) == (1200, 420)


async def test_the_text_summary_in_three_languages(store, charter, texts):
    await seed_history(store)
    report = await report_of(store, charter, "2026-11")
    english = render_text(report, texts, "en")
    assert english.splitlines()[0] == "안심종합사회복지관: service charter compliance, November 2026"
    assert (
        "All requests: 8 received; 4 of 7 answered on time (57.1%); "
        "final reply median 50.5 h, 90% within 384 h" in english
    )
    assert "Inquiries: 4 received; 1 of 3 answered on time (33.3%)" in english
    assert (
        "1 interim replies before the due time; 1 deadlines missed; 1 escalations; "
        "satisfaction 3.5 (2 ratings)" in english
    )
    assert "Satisfaction: 3.8 of 5 from 5 ratings (1★ 0 · 2★ 1 · 3★ 1 · 4★ 1 · 5★ 2)" in english
    assert "Non-response complaints: 1" in english
    assert "• I-1002: waiting for the district office" in english
    assert "late interim reason" not in english and "SECRET" not in english
    korean = render_text(report, texts, "ko")
    assert "전체: 접수 8건, 기한 내 답변 4/7건(57.1%)" in korean and "50.5시간" in korean
    hungarian = render_text(report, texts, "hu")
    assert "Összesen: 8 beérkezett; határidőn belül megválaszolva 4/7 (57,1%)" in hungarian
    assert "50,5 óra" in hungarian


async def test_the_csv_has_a_row_per_clock_for_the_period_and_each_month(store, charter):
    await seed_history(store)
    report = await report_of(store, charter, "2026-Q4")
    rows = list(csv.DictReader(io.StringIO(render_csv(report).decode("utf-8-sig"))))
    assert len(rows) == 5 * 4  # (all + 4 clocks) x (whole period + 3 months)
    whole = {row["clock"]: row for row in rows if row["month"] == ""}
    assert whole["all"]["received"] == "10" and whole["all"]["share_on_time"] == "0.6667"
    assert whole["all"]["median_hours"] == "50.5" and whole["all"]["p90_hours"] == "384.0"
    november = {row["clock"]: row for row in rows if row["month"] == "2026-11"}
    assert november["inquiry"]["interim_reasons"] == "I-1002: waiting for the district office"
    assert november["complaint"]["deadlines_missed"] == "1" and november["complaint"]["escalations"] == "1"
    assert [november["all"][f"score_{s}"] for s in range(1, 6)] == ["0", "1", "1", "1", "2"]
    assert november["all"]["mean_score"] == "3.8" and november["all"]["comments"] == "1"
    public = render_csv(report, with_reasons=False).decode("utf-8-sig")
    assert "district office" not in public


@pytest.mark.parametrize("language", ["ko", "en", "hu"])
async def test_the_chart_is_a_png_of_the_promised_size(store, charter, texts, language):
    await seed_history(store)
    report = await report_of(store, charter, "2026-Q4")
    assert png_size(render_png(report, texts, language)) == (1200, 420)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])
