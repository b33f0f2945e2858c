"""`charterdesk report` run as an operator would: every format, an empty period, bad arguments."""

import csv
import io
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.desk.reports.test_reports_seed import SECRETS, seed_history

AS_OF = "2026-12-03T12:00:00+09:00"


def report(*args: str, database_url: str, cwd: Path, key_file: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real command line in a clean environment."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "CHARTER", "RASA_"))
    }
    env = {**clean, "DATABASE_URL": database_url, "CHARTER_FILE": str(ROOT / "charter.yml")}
    if key_file is not None:
        # The keys the test seeded with (tests/conftest.py data_keys): rating comments are encrypted.
        env["CHARTERDESK_KEY_FILE"] = str(key_file)
    return subprocess.run(
        [sys.executable, "-m", "charterdesk", "report", *args],
        check=False,
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=120,
    )


async def test_csv_text_png_and_html_of_a_seeded_month(store, database_url, tmp_path, data_keys):
    await seed_history(store)
    result = report(
        "--period", "2026-11", "--format", "csv", "--as-of", AS_OF, database_url=database_url, cwd=tmp_path, key_file=data_keys.path
    )
    assert result.returncode == 0, result.stderr.decode()
    rows = {
        (r["month"], r["clock"]): r for r in csv.DictReader(io.StringIO(result.stdout.decode("utf-8-sig")))
    }
    assert rows[("", "all")]["received"] == "8" and rows[("", "all")]["share_on_time"] == "0.5714"
    assert rows[("2026-11", "inquiry")]["median_hours"] == "132.0"

    text = report(
        "--period", "2026-11", "--as-of", AS_OF, "--lang", "en", database_url=database_url, cwd=tmp_path, key_file=data_keys.path
    )
    assert "All requests: 8 received; 4 of 7 answered on time (57.1%)" in text.stdout.decode()

    chart = tmp_path / "chart.png"
    png = report(
        "--period",
        "2026-Q4",
        "-f",
        "png",
        "-o",
        str(chart),
        "--as-of",
        AS_OF,
        database_url=database_url,
        cwd=tmp_path,
        key_file=data_keys.path,
    )
    assert png.returncode == 0, png.stderr.decode()
    data = chart.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1200, 420)

    page = tmp_path / "page.html"
    html = report(
        "--period",
        "2026-11",
        "-f",
        "html",
        "-o",
        str(page),
        "--as-of",
        AS_OF,
        "--lang",
        "hu",
        database_url=database_url,
        cwd=tmp_path,
        key_file=data_keys.path,
    )
    assert html.returncode == 0, html.stderr.decode()
    content = page.read_text(encoding="utf-8")
    assert '<html lang="hu">' in content and "57,1%" in content and "data:image/png;base64," in content
    assert not [secret for secret in SECRETS if secret in content]


async def test_an_empty_period_is_a_report_not_an_error(store, database_url, tmp_path, data_keys):
    result = report(
        "--period", "2025-01", "--lang", "en", "--as-of", AS_OF, database_url=database_url, cwd=tmp_path, key_file=data_keys.path
    )
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    assert lines[0] == "안심종합사회복지관: service charter compliance, January 2025"
    assert lines[-1] == "No requests were received in this period."


@pytest.mark.parametrize(
    "args, message",
    [
        (["--period", "2026-13"], '--period "2026-13" is not a period: there is no such month'),
        (["--period", "last week"], "expected e.g. 2026-11, 2026-Q4, 2026, 2026-11-01..2026-11-30"),
        (["--period", "2026-11-30..2026-11-01"], "it ends before it starts"),
        (
            ["--period", "2026", "--lang", "fr"],
            '--lang "fr" is not one of the charter\'s languages: ko, en, hu',
        ),
        (["--period", "2026", "--as-of", "tomorrow"], '--as-of "tomorrow" is not an ISO 8601 timestamp'),
        (["--period", "2026", "--as-of", "2026-12-01T09:00"], "has no UTC offset"),
        (["--period", "2026", "--format", "pdf"], "'pdf' is not one of"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(tmp_path, args, message):
    result = report(*args, database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", cwd=tmp_path)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.decode().replace("│", " ").split())
    assert result.stdout == b""


def test_an_unreachable_database_exits_1(tmp_path):
    url = "postgresql+asyncpg://postgres:hunter2@127.0.0.1:1/test"
    result = report("--period", "2026", database_url=url, cwd=tmp_path)
    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert "cannot reach the database at postgresql+asyncpg://postgres:***@127.0.0.1:1/test" in stderr
    assert "hunter2" not in stderr
