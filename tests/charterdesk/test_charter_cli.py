"""`charterdesk charter check|due`, driven through typer's CliRunner."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from charterdesk.commands.charter import app

ROOT = Path(__file__).resolve().parents[2]
CHARTER = str(ROOT / "charter.yml")
FIXTURES = ROOT / "tests" / "desk" / "charter" / "charters"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


# --- check --------------------------------------------------------------------------------


def test_check_prints_due_moments_for_telling_receipts():
    # From Mon 14 Sep 2026: Monday morning, Friday 17:55, Saturday, and the eve of Chuseok.
    result = run("check", CHARTER, "--from", "2026-09-14")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "안심종합사회복지관" in out and "Asia/Seoul" in out
    assert "Mon 2026-09-14 09:30" in out
    assert "Fri 2026-09-18 17:55" in out
    assert "Sat 2026-09-19 11:00" in out
    assert "eve of The day preceding Chuseok" in out
    for category in ("inquiry", "complaint", "non_response_complaint", "appointment_request"):
        assert category in out
    # inquiry from the eve of Chuseok (Wed 23 Sep): 7 counted days end Tue 6 Oct.
    assert "Tue 2026-10-06 18:00 KST" in out
    # appointment_request from Friday 17:55: Monday's close.
    assert "Mon 2026-09-21 18:00 KST" in out


@pytest.mark.parametrize("path", sorted((ROOT / "charters").glob("*.yml")), ids=lambda path: path.name)
def test_check_accepts_every_shipped_charter(path):
    result = run("check", str(path), "--from", "2026-03-23")
    assert result.exit_code == 0, result.stderr


def test_check_shows_dst_offsets_for_budapest():
    result = run("check", str(ROOT / "charters" / "csagyi.yml"), "--from", "2026-03-23")
    assert "CET" in result.stdout and "CEST" in result.stdout
    assert "eve of Good Friday" in result.stdout


def test_check_invalid_charter_exits_1_with_the_error_on_stderr():
    path = FIXTURES / "bad_duration.yml"
    result = run("check", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f'{path}:13: clocks.inquiry.reply_within: "7 dayz" is not a duration' in result.stderr


def test_check_missing_file_exits_1():
    result = run("check", str(FIXTURES / "nope.yml"))
    assert result.exit_code == 1
    assert "cannot read the charter" in result.stderr


def test_check_bad_from_date_exits_2():
    result = run("check", CHARTER, "--from", "someday")
    assert result.exit_code == 2
    assert "--from" in result.stderr


# --- due ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "category, received, expected",
    [
        ("appointment_request", "2026-11-30T10:00:00+09:00", "2026-12-01T18:00:00+09:00"),
        ("inquiry", "2026-11-30T10:00:00+09:00", "2026-12-08T18:00:00+09:00"),
        ("complaint", "2026-11-30T10:00:00+09:00", "2026-12-15T23:59:59+09:00"),
        # 01:00 UTC is 10:00 in Seoul; the answer uses the charter's offset.
        ("non_response_complaint", "2026-11-30T01:00:00Z", "2026-12-03T23:59:59+09:00"),
        ("appointment_request", "2026-12-30T11:00:00+01:00", "2027-01-04T18:00:00+09:00"),
    ],
)
def test_due_prints_only_the_iso_moment(category, received, expected):
    result = run("due", CHARTER, category, received)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected + "\n"


def test_due_in_budapest_after_the_clock_change():
    result = run(
        "due", str(ROOT / "charters" / "csagyi.yml"), "appointment_request", "2026-03-27T10:00:00+01:00"
    )
    assert result.stdout == "2026-03-30T16:00:00+02:00\n"


@pytest.mark.parametrize(
    "category, received, message",
    [
        ("praise", "2026-11-30T10:00:00+09:00", 'unknown category "praise"'),
        ("inquiry", "yesterday", 'RECEIVED "yesterday" is not an ISO 8601 timestamp'),
        ("inquiry", "2026-11-30T10:00:00", "has no UTC offset"),
        ("inquiry", "2026-13-30T10:00:00+09:00", "is not an ISO 8601 timestamp"),
    ],
)
def test_due_bad_arguments_exit_2(category, received, message):
    result = run("due", CHARTER, category, received)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_due_invalid_charter_exits_1():
    result = run("due", str(FIXTURES / "unknown_timezone.yml"), "inquiry", "2026-11-30T10:00:00+09:00")
    assert result.exit_code == 1
    assert "organisation.timezone" in result.stderr
