"""`charterdesk report --agency` run as an operator would: text, CSV and HTML of three facilities, bad arguments."""

import csv
import io

from sqlalchemy import update

from desk.organisations.models import Organisation
from tests.charterdesk.test_report_cli import report
from tests.desk.reports.agency_seed import seed_agency

AS_OF = "2026-12-20T10:00:00+09:00"


async def test_text_csv_and_html_of_three_facilities(store, database_url, tmp_path, data_keys):
    await seed_agency(store)
    common = dict(database_url=database_url, cwd=tmp_path, key_file=data_keys.path)

    text = report("--agency", "--period", "2026-Q4", "--as-of", AS_OF, "--lang", "en", **common)
    assert text.returncode == 0, text.stderr.decode()
    out = text.stdout.decode()
    assert "Agency-wide: 12 received, 5/11 answered on time" in out
    assert "• 안심: satisfaction index 8.33" in out

    table = report("--agency", "--period", "2026-Q4", "-f", "csv", "--as-of", AS_OF, **common)
    assert table.returncode == 0, table.stderr.decode()
    rows = {(r["facility"], r["month"], r["clock"]): r
            for r in csv.DictReader(io.StringIO(table.stdout.decode("utf-8-sig")))}
    assert rows[("", "", "all")]["received"] == "12" and rows[("", "", "all")]["behind"] == ""
    assert rows[("ansim", "", "all")]["behind"] == "1" and rows[("main", "", "all")]["behind"] == "0"
    assert rows[("main", "", "all")]["satisfaction_index"] == "93.75"
    assert rows[("main", "", "all")]["index_low"] == "73.86"
    assert rows[("csagyi", "2026-10", "all")]["received"] == "1"
    assert rows[("csagyi", "", "all")]["index_low"] == ""  # one rating: no interval

    page = tmp_path / "agency.html"
    html = report("--agency", "--period", "2026-Q4", "-f", "html", "-o", str(page), "--as-of", AS_OF,
                  "--lang", "ko", **common)
    assert html.returncode == 0, html.stderr.decode()
    assert '<html lang="ko">' in page.read_text(encoding="utf-8")


async def test_bad_arguments_and_a_broken_charter_are_refused_clearly(store, database_url, tmp_path, data_keys):
    await seed_agency(store)
    common = dict(database_url=database_url, cwd=tmp_path, key_file=data_keys.path)
    png = report("--agency", "--period", "2026-11", "-f", "png", "-o", str(tmp_path / "x.png"), **common)
    assert png.returncode == 2 and "no chart" in png.stderr.decode()
    bad = report("--agency", "--period", "2026-13", **common)
    assert bad.returncode == 2 and "no such month" in bad.stderr.decode()

    broken = tmp_path / "broken.yml"
    broken.write_text("organisation: {name: x}\n", encoding="utf-8")
    async with store.unit_of_work() as session:
        await session.execute(update(Organisation).where(Organisation.slug == "ansim").values(charter_file=str(broken)))
    failed = report("--agency", "--period", "2026-11", **common)
    assert failed.returncode == 1 and "broken.yml" in failed.stderr.decode()
