"""The agency view's figures on three facilities worked out by hand (tests/desk/reports/agency_seed.py)."""

from datetime import date

from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from markupsafe import escape

from conversation.reports.agency_page import render_agency_page
from conversation.texts import Texts

from desk.reports.agency import build_agency_report
from desk.reports.period import parse_period
from tests.desk.reports.agency_seed import AS_OF, seed_agency


async def agency_report(store, period="2026-Q4"):
    facilities = await seed_agency(store)
    async with store.unit_of_work() as session:
        return await build_agency_report(session=session, facilities=facilities, period=parse_period(period),
                                         now=AS_OF)


def plain(counts) -> tuple:
    return counts.received, counts.on_time, counts.late, counts.pending, counts.interims, counts.escalations


async def test_each_facility_side_by_side(store):
    report = await agency_report(store)
    main, ansim, csagyi = report.facilities
    assert plain(main.whole) == (5, 3, 1, 1, 1, 1)  # the interim after the first promise does not count
    assert main.whole.breaches == 1
    assert plain(ansim.whole) == (6, 1, 5, 0, 0, 0)
    assert plain(csagyi.whole) == (1, 1, 0, 0, 0, 0)
    assert plain(report.agency.whole) == (12, 5, 6, 1, 1, 1)
    assert main.by_clock["inquiry"].received == 5 and main.by_clock["complaint"].received == 0
    assert ansim.by_clock["complaint"].late == 5


async def test_satisfaction_index_with_its_interval(store):
    report = await agency_report(store)
    main, ansim, csagyi = (side.whole.satisfaction for side in report.facilities)
    assert (main.value, main.count) == (93.75, 4)
    assert main.low == pytest.approx(73.86, abs=0.01) and main.high == 100.0
    assert (round(ansim.value, 2), ansim.count, ansim.low) == (8.33, 6, 0.0)
    assert ansim.high == pytest.approx(21.89, abs=0.01)
    assert (csagyi.value, csagyi.count, csagyi.low, csagyi.high) == (100.0, 1, None, None)
    assert report.agency.whole.satisfaction.value == pytest.approx(525 / 11)


async def test_who_falls_behind_and_who_has_too_few_ratings(store):
    report = await agency_report(store)
    main, ansim, csagyi = report.facilities
    assert report.behind == (ansim,)
    assert ansim.behind_on_satisfaction(report.agency) and not ansim.behind_on_time(report.agency)
    assert csagyi.too_few_ratings() and not main.too_few_ratings()


async def test_the_trend_by_month_in_each_facilitys_own_timezone(store):
    report = await agency_report(store)
    main, ansim, csagyi = report.facilities
    months = [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    assert [(m, c.received) for m, c in main.months] == list(zip(months, (1, 3, 1)))
    # 23:30 on 31 October in Budapest is 1 November in Seoul: it counts in Budapest's October.
    assert [c.received for _, c in csagyi.months] == [1, 0, 0]
    assert [c.received for _, c in report.agency.months] == [2, 9, 1]
    assert [c.on_time for _, c in report.agency.months] == [1, 4, 0]


async def test_a_period_with_no_tickets_is_empty(store):
    report = await agency_report(store, period="2025-11")
    assert report.empty and report.behind == ()
    assert all(side.whole.satisfaction is None for side in report.facilities)


@pytest.mark.parametrize("language", ["ko", "en", "hu"])
async def test_the_text_names_every_facility_and_who_falls_behind(store, language):
    from conversation.reports.agency_text import render_agency_text
    from conversation.texts import Texts
    from zoneinfo import ZoneInfo

    report = await agency_report(store)
    text = render_agency_text(report, Texts.load(), language, agency="Agency", timezone=ZoneInfo("Asia/Seoul"))
    for name in ("main", "안심", "CSAGYI"):
        assert name in text
    lines = text.splitlines()
    behind = [line for line in lines if line.startswith("• ")]
    assert len(behind) == 1 and "안심" in behind[0]
    assert "{" not in text  # every placeholder filled
    if language == "en":
        assert "satisfaction index 93.75 (95% CI 73.86–100.0, n = 4)" in text
        assert "100.0 (n = 1: too few ratings for an interval)" in text
        assert "Agency-wide: 12 received, 5/11 answered on time" in text



class Cells(HTMLParser):
    """(table scope, facility, clock, figure) -> text of each data-figure cell of the agency page."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str, str, str], str] = {}
        self._row = ("", "", "")
        self._open = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._row = (attrs.get("data-scope", ""), "", "")
        elif tag == "tr":
            self._row = (self._row[0], attrs.get("data-facility", ""), attrs.get("data-clock", ""))
        if tag == "td" and "data-figure" in attrs:
            self._open = (*self._row, attrs["data-figure"])
            self.cells[self._open] = ""

    def handle_data(self, data):
        if self._open:
            self.cells[self._open] += data

    def handle_endtag(self, tag):
        if tag == "td":
            self._open = None


@pytest.mark.parametrize("language", ["ko", "en", "hu"])
async def test_the_page_shows_each_facility_who_falls_behind_and_the_method(store, language):
    report = await agency_report(store)
    texts = Texts.load()
    page = render_agency_page(report, texts, language, agency="Agency", timezone=ZoneInfo("Asia/Seoul"))
    parser = Cells()
    parser.feed(page)
    cells = {key: " ".join(value.split()) for key, value in parser.cells.items()}
    assert cells[("period", "", "", "received")] == "12"  # agency-wide
    assert cells[("period", "main", "", "received")] == "5"
    assert cells[("period", "main", "inquiry", "received")] == "5"
    assert cells[("period", "ansim", "", "behind")] == texts.render("utter_report_agency_behind_mark", language)
    assert cells[("period", "csagyi", "", "behind")] == "" and cells[("period", "main", "", "behind")] == ""
    assert cells[("2026-10", "csagyi", "", "received")] == "1"  # Budapest's October
    assert cells[("2026-11", "", "", "received")] == "9"
    assert str(escape(texts.render("utter_report_agency_page_method", language))) in page
    # Figures only: nothing anyone wrote (the interim reasons, the escalation's text) nor a ticket's text.
    body = page.split("<body>")[1]
    for written in ("waiting", "still", ">officer<", ">?<", "I-", "C-"):
        assert written not in body
    assert "{" not in page.split("</style>")[1]
