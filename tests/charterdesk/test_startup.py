"""Start-up refuses bad configuration with one clear line, as an operator would see it."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def charterdesk(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run the real command line in a clean environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "CHARTER", "RASA_"))}
    return subprocess.run(
        [sys.executable, "-m", "charterdesk", *args],
        check=False,
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_invalid_charter_stops_start_up_naming_file_line_and_field(tmp_path):
    bad = tmp_path / "charter.yml"
    good = (ROOT / "charter.yml").read_text(encoding="utf-8")
    bad.write_text(good.replace("reply_within: 15 days", "reply_within: 15 dayz"), encoding="utf-8")
    result = charterdesk("run", env={"TELEGRAM_BOT_TOKEN": "1:x", "CHARTER_FILE": str(bad)}, cwd=tmp_path)
    assert result.returncode == 1
    line = next(n for n, text in enumerate(bad.read_text().splitlines(), 1) if "15 dayz" in text)
    assert f"charter.yml:{line}: clocks.complaint.reply_within" in result.stderr
    assert "15 dayz" in result.stderr


def test_an_unreadable_charter_is_named(tmp_path):
    result = charterdesk("run", env={"TELEGRAM_BOT_TOKEN": "1:x", "CHARTER_FILE": str(tmp_path / "nope.yml")}, cwd=tmp_path)
    assert result.returncode == 1
    assert "nope.yml" in result.stderr and "cannot start" in result.stderr


def test_an_unreachable_database_is_reported_clearly(tmp_path):
    env = {
        "TELEGRAM_BOT_TOKEN": "1:x",
        "CHARTER_FILE": str(ROOT / "charter.yml"),
        "DATABASE_URL": "postgresql+asyncpg://postgres:hunter2@127.0.0.1:1/test",
    }
    result = charterdesk("run", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot reach the database at postgresql+asyncpg://postgres:***@127.0.0.1:1/test" in result.stderr
    assert "hunter2" not in result.stderr


def test_running_without_a_token_says_how_to_try_it(tmp_path):
    result = charterdesk("run", env={"CHARTER_FILE": str(ROOT / "charter.yml")}, cwd=tmp_path)
    assert result.returncode == 1
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr and "charterdesk demo" in result.stderr


def test_migrate_creates_the_schema(tmp_path):
    result = charterdesk("migrate", env={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "x.db").exists()
