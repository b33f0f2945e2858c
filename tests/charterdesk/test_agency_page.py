"""The published agency page (GET /agency next to /compliance): served over HTTP in the reader's language, figures
only, the method on the page; a bad period and a broken charter file are answered clearly."""

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import update

from charterdesk.assembly import Components
from charterdesk.http_server import HttpServer
from charterdesk.settings import Settings
from charterdesk.web import build_web_app
from desk.organisations.models import Organisation
from tests.conftest import ROOT
from tests.desk.reports.agency_seed import AS_OF, seed_agency
from tests.desk.reports.test_agency import Cells


@pytest.fixture
async def site(store, charter, desk, database_url) -> AsyncIterator[str]:
    await seed_agency(store)
    settings = Settings(DATABASE_URL=database_url, CHARTER_FILE=ROOT / "charter.yml")
    components = Components(settings, charter, desk, store, classifier=None)
    server = HttpServer(build_web_app(components, clock=lambda: AS_OF), host="127.0.0.1", port=0)
    try:
        yield await server.start()
    finally:
        await server.stop()


async def test_the_page_in_the_readers_language(site, texts):
    async with httpx.AsyncClient(base_url=site) as client:
        page = await client.get("/agency", params={"period": "2026-Q4"}, headers={"Accept-Language": "en-GB,en"})
        korean = await client.get("/agency", params={"period": "2026-Q4", "lang": "ko"})
    assert page.status_code == 200 and page.headers["content-language"] == "en"
    parser = Cells()
    parser.feed(page.text)
    cells = {key: " ".join(value.split()) for key, value in parser.cells.items()}
    assert cells[("period", "", "", "received")] == "12"
    assert cells[("period", "ansim", "", "behind")] == "yes"
    assert cells[("period", "main", "", "index")] == "93.75 (95% CI 73.86–100.0, n = 4)"
    assert "Student&#39;s t interval" in page.text
    assert korean.status_code == 200 and '<html lang="ko">' in korean.text and "?period=2026-Q4&amp;lang=en" in korean.text


async def test_a_bad_period_and_a_broken_charter_file(site, store, tmp_path, texts):
    async with httpx.AsyncClient(base_url=site) as client:
        bad = await client.get("/agency", params={"period": "2026-13", "lang": "hu"})
        assert bad.status_code == 400 and bad.text == texts.render("utter_report_bad_period", "hu", given="2026-13")
        broken = tmp_path / "broken.yml"
        broken.write_text("organisation: {}\n", encoding="utf-8")
        async with store.unit_of_work() as session:
            await session.execute(update(Organisation).where(Organisation.slug == "ansim")
                                  .values(charter_file=str(broken)))
        failed = await client.get("/agency", params={"period": "2026-11", "lang": "en"})
    assert failed.status_code == 503 and failed.text == texts.render("utter_report_agency_unavailable", "en")
