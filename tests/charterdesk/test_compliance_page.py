"""The public compliance page: served over HTTP, rendered by headless Chromium, and free of personal data."""

import asyncio
import os
import shutil
import signal
import struct
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from html.parser import HTMLParser

import httpx
import pytest

from desk.organisations.models import FIRST_ORGANISATION
from charterdesk.assembly import Components
from charterdesk.http_server import HttpServer
from charterdesk.web import CACHE_SECONDS, accepted_languages, build_web_app
from charterdesk.settings import Settings
from desk.tickets.models import Ticket
from tests.conftest import ROOT, at
from tests.desk.reports.test_reports_seed import AS_OF, SECRETS, seed_history

WIDTH, HEIGHT = 1200, 1600
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
    "--hide-scrollbars",
]


@pytest.fixture
def clock() -> list:
    """The web app's clock: AS_OF until a test moves it."""
    return [AS_OF]


@pytest.fixture
async def site(store, charter, desk, database_url, clock) -> AsyncIterator[str]:
    """The page's web app on a free local port, over the seeded history, with the clock at AS_OF."""
    await seed_history(store)
    settings = Settings(DATABASE_URL=database_url, CHARTER_FILE=ROOT / "charter.yml")
    components = Components(settings, charter, desk, store, classifier=None)
    server = HttpServer(build_web_app(components, clock=lambda: clock[0]), host="127.0.0.1", port=0)
    try:
        yield await server.start()
    finally:
        await server.stop()


class Figures(HTMLParser):
    """(table scope, clock, figure) -> text of every `data-figure` cell, plus page-level figures."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str, str], str] = {}
        self._scope = self._clock = ""
        self._open: tuple[str, str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._scope = attrs.get("data-scope", "")
        elif tag == "tr":
            self._clock = attrs.get("data-clock", "")
        if "data-figure" in attrs:
            self._open = (
                self._scope if tag == "td" else "",
                self._clock if tag == "td" else "",
                attrs["data-figure"],
            )
            self.cells[self._open] = ""

    def handle_data(self, data):
        if self._open:
            self.cells[self._open] += data

    def handle_endtag(self, tag):
        if tag in ("td", "p"):
            self._open = None


def figures_of(html: str) -> dict[tuple[str, str, str], str]:
    parser = Figures()
    parser.feed(html)
    return {key: " ".join(value.split()) for key, value in parser.cells.items()}


async def chromium(*args: str, tmp_path) -> bytes:
    """Run headless Chromium (Debian's package) without blocking the event loop that serves the page."""
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail(
            "chromium is not installed: `apt-get install chromium` (scripts/test.sh does it when root)"
        )
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.iterdir()))}"
    process = await asyncio.create_subprocess_exec(
        binary,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    return out


async def test_chromium_renders_the_figures_and_a_screenshot(site, tmp_path):
    url = f"{site}/compliance?period=2026-Q4&lang=en"
    dom = (await chromium("--dump-dom", url, tmp_path=tmp_path)).decode()
    cells = figures_of(dom)
    whole = {(clock, figure): text for (scope, clock, figure), text in cells.items() if scope == "period"}
    assert whole[("all", "received")] == "10"
    assert whole[("all", "on_time")] == "6 / 9" and whole[("all", "share")] == "66.7%"
    assert whole[("all", "pending")] == "1"
    assert whole[("all", "median")] == "50.5 h" and whole[("all", "p90")] == "384 h"
    assert (whole[("all", "interims")], whole[("all", "breaches")], whole[("all", "escalations")]) == (
        "1",
        "2",
        "2",
    )
    assert whole[("all", "satisfaction")] == "3.8 (5)"
    assert whole[("inquiry", "on_time")] == "3 / 5" and whole[("inquiry", "median")] == "72 h"
    assert whole[("complaint", "share")] == "50%" and whole[("complaint", "p90")] == "384 h"
    assert whole[("appointment_request", "median")] == "65 h"
    november = {(clock, figure): text for (scope, clock, figure), text in cells.items() if scope == "2026-11"}
    assert november[("all", "on_time")] == "4 / 7" and november[("all", "share")] == "57.1%"
    assert november[("inquiry", "median")] == "132 h"
    assert [cells[("distribution", "", f"score_{s}")] for s in range(1, 6)] == ["0", "1", "1", "1", "2"]
    assert cells[("", "", "non_response_complaints")] == "Non-response complaints: 1"
    assert {scope for scope, _, _ in cells} >= {"period", "2026-10", "2026-11", "2026-12"}
    assert "data:image/png;base64," in dom and not [s for s in SECRETS if s in dom]

    shot = tmp_path / "compliance.png"
    await chromium(f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", url, tmp_path=tmp_path)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (WIDTH, HEIGHT)
    assert len(data) > 50_000  # a page of text, tables and a chart, not a blank image
    if os.environ.get("CHARTERDESK_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["CHARTERDESK_KEEP_SCREENSHOT"])


async def test_chromium_renders_the_korean_page_and_an_empty_period(site, tmp_path):
    korean = figures_of(
        (
            await chromium("--dump-dom", f"{site}/compliance?period=2026-11&lang=ko", tmp_path=tmp_path)
        ).decode()
    )
    assert korean[("period", "all", "median")] == "50.5시간"
    assert korean[("period", "inquiry", "share")] == "33.3%"
    empty_dom = (
        await chromium("--dump-dom", f"{site}/compliance?period=2025-01&lang=en", tmp_path=tmp_path)
    ).decode()
    empty = figures_of(empty_dom)
    assert empty[("", "", "empty")] == "No requests were received in this period."
    assert empty[("period", "all", "received")] == "0" and empty[("period", "all", "share")] == "–"
    assert empty[("2025-01", "complaint", "on_time")] == "0 / 0"


async def test_language_from_the_query_then_accept_language_then_the_charter(site):
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        hungarian = await http.get(
            "/compliance?period=2026-11", headers={"Accept-Language": "hu-HU,hu;q=0.9,en;q=0.8"}
        )
        assert hungarian.status_code == 200 and '<html lang="hu">' in hungarian.text
        assert hungarian.headers["Content-Language"] == "hu" and "57,1%" in hungarian.text
        english = await http.get("/compliance?period=2026-11&lang=en", headers={"Accept-Language": "hu"})
        assert '<html lang="en">' in english.text
        fallback = await http.get(
            "/compliance?period=2026-11&lang=fr", headers={"Accept-Language": "fr, de;q=0.5"}
        )
        assert '<html lang="ko">' in fallback.text
        for page in (hungarian, english, fallback):
            assert not [secret for secret in SECRETS if secret in page.text]


async def test_the_default_period_is_this_year_and_the_chart_has_its_own_address(site):
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        year = await http.get("/compliance", params={"lang": "en"})
        assert "Service charter compliance: 2026" in year.text
        assert figures_of(year.text)[("period", "all", "received")] == "10"
        chart = await http.get("/compliance/chart.png", params={"period": "2026-Q4", "lang": "ko"})
        assert chart.headers["Content-Type"] == "image/png"
        assert struct.unpack(">II", chart.content[16:24]) == (1200, 420)


async def test_a_bad_period_is_a_400_in_the_readers_language(site):
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        bad = await http.get("/compliance", params={"period": "2026-13", "lang": "en"})
        assert bad.status_code == 400
        assert bad.text.startswith("“2026-13” is not a period. Examples: 2026-11")
        chart = await http.get(
            "/compliance/chart.png", params={"period": "soon"}, headers={"Accept-Language": "hu"}
        )
        assert chart.status_code == 400 and chart.text.startswith("„soon” nem értelmezhető időszakként")


async def test_the_page_is_kept_for_a_few_minutes(site, store, clock):
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        first = await http.get("/compliance", params={"period": "2026-11", "lang": "en"})
        async with store.unit_of_work() as session:
            received = at("2026-11-27T10:00:00+09:00")
            session.add(
                Ticket(
                    organisation_id=FIRST_ORGANISATION, serial=9001, category="inquiry",
                    status="open",
                    language="en",
                    text="x",
                    received_at=received,
                    due_at=received,
                )
            )
        again = await http.get("/compliance", params={"period": "2026-11", "lang": "en"})
        assert again.text == first.text
        clock[0] = AS_OF + timedelta(seconds=CACHE_SECONDS + 1)
        later = await http.get("/compliance", params={"period": "2026-11", "lang": "en"})
    assert figures_of(later.text)[("period", "all", "received")] == "9"
    assert later.headers["Cache-Control"] == f"public, max-age={CACHE_SECONDS}"


def test_accept_language_order():
    assert accepted_languages("en;q=0.5, ko-KR, hu;q=0.8, *;q=0.1") == ["ko-kr", "hu", "en"]
    assert accepted_languages("de;q=0, en;q=x, fr") == ["fr"]
    assert accepted_languages("") == []


def test_the_demo_serves_the_page(tmp_path):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "CHARTER", "RASA_"))
    }
    demo = subprocess.Popen(
        [sys.executable, "-m", "charterdesk", "demo", "--port", "0"],
        cwd=tmp_path,
        env={**clean, "CHARTER_FILE": str(ROOT / "charter.yml")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        page = next(line.split()[-1] for line in demo.stdout if "Compliance:" in line)
        response = httpx.get(page, params={"lang": "en"}, timeout=30)
        assert response.status_code == 200 and "Service charter compliance" in response.text
        assert "No requests were received in this period." in response.text
    finally:
        demo.send_signal(signal.SIGINT)
        output, _ = demo.communicate(timeout=30)
    assert demo.returncode == 0, output
