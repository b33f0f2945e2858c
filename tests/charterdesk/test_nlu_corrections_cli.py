"""`charterdesk nlu corrections` and `charterdesk nlu retrain` run as an operator would, on a seeded database."""

import os
import subprocess
import sys
from pathlib import Path

from desk.tickets import corrections, lifecycle
from desk.tickets.enums import Category
from nlu import corrections as fits
from tests import factories
from tests.conftest import ROOT, at
from tests.nlu.tiny_nlu import TINY_NLU

RECEIVED = at("2026-11-23T10:15:00+09:00")
NOW = at("2026-11-24T11:00:00+09:00")
LIFT = "the lift in block four is broken again and my mother cannot get out"


def nlu(*args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    """Run the real command line in a clean environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "CHARTER", "RASA_"))}
    return subprocess.run(
        [sys.executable, "-m", "charterdesk", "nlu", *args], check=False, env={**clean, **env}, cwd=cwd,
        capture_output=True, timeout=300, text=True,
    )


async def seed(store, charter) -> None:
    """Two tickets the door got wrong (an English inquiry that was a complaint, a Korean one that was an
    appointment), one corrected twice, and one in a language the classifier does not know."""
    async with store.unit_of_work() as session:
        for chat_id, language, words, moves in [
            (700, "en", LIFT, [Category.COMPLAINT]),
            (701, "ko", "다음 주 화요일에 상담 받고 싶어요", [Category.COMPLAINT, Category.APPOINTMENT_REQUEST]),
            (702, "ja", "エレベーターが壊れています", [Category.COMPLAINT]),
        ]:
            ticket = await factories.ticket(session, charter, received_at=RECEIVED, chat_id=chat_id, language=language,
                                            text=words)
            for category in moves:
                change = lifecycle.recategorise(ticket, charter=charter, category=category)
                await corrections.record(session=session, ticket=ticket, from_category=change.from_category,
                                         staff_id=1002, now=NOW)


def environment(tmp_path: Path, database_url: str, data_keys, *, opt_in: bool) -> dict:
    charter = tmp_path / "charter.yml"
    extra = "\nnlu:\n  learn_from_corrections: true\n" if opt_in else ""
    charter.write_text((ROOT / "charter.yml").read_text(encoding="utf-8") + extra, encoding="utf-8")
    return {"DATABASE_URL": database_url, "CHARTER_FILE": str(charter), "CHARTERDESK_KEY_FILE": str(data_keys.path),
            "CHARTERDESK_CACHE": str(tmp_path / "cache"), "COLUMNS": "200"}


async def test_corrections_prints_a_confusion_table_and_text_only_when_asked(store, charter, database_url, tmp_path, data_keys):
    await seed(store, charter)
    env = environment(tmp_path, database_url, data_keys, opt_in=False)
    result = nlu("corrections", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
             for line in result.stdout.splitlines() if line.startswith("│ ") and "│" in line[2:]}
    # columns: inquiry, complaint, non_response_complaint, appointment_request, total
    assert lines["inquiry"] == [".", "3", ".", ".", "3"]
    assert lines["complaint"] == [".", ".", ".", "1", "1"]
    assert "Corrections: 4" in result.stdout
    assert "I-1001 -> C-1001" in result.stdout and "C-1002 -> A-1002" in result.stdout
    assert "lift" not in result.stdout and "상담" not in result.stdout  # citizens' words only on request
    shown = nlu("corrections", "--show-text", "--recent", "2", env=env, cwd=tmp_path)
    assert shown.returncode == 0 and "상담" in shown.stdout and "エレベーター" in shown.stdout
    assert "lift" not in shown.stdout  # the oldest, beyond --recent 2


async def test_retrain_refuses_without_the_charters_opt_in(store, charter, database_url, tmp_path, data_keys):
    await seed(store, charter)
    result = nlu("retrain", env=environment(tmp_path, database_url, data_keys, opt_in=False), cwd=tmp_path)
    assert result.returncode == 2
    assert "does not let the classifier learn from staff corrections" in result.stderr
    assert "learn_from_corrections: true" in result.stderr
    assert not (tmp_path / "cache").exists()


async def test_retrain_folds_the_corrections_into_the_organisations_fit(store, charter, database_url, tmp_path, data_keys):
    await seed(store, charter)
    data = tmp_path / "data"
    data.mkdir()
    (data / "nlu.yml").write_text(TINY_NLU, encoding="utf-8")
    result = nlu("retrain", "--data-dir", str(data), env=environment(tmp_path, database_url, data_keys, opt_in=True),
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # The Korean ticket counts once, with its last category; the Japanese one is skipped.
    assert "fitted on 20 examples of nlu.yml and 2 corrected messages (1 skipped" in result.stdout
    learned = fits.load(charter.organisation.name, data_dir=data, cache_dir=tmp_path / "cache" / "embedded")
    assert learned.classify_sync(LIFT).intent == "complaint"
    assert learned.classify_sync("다음 주 화요일에 상담 받고 싶어요").intent == "appointment_request"


def test_a_database_that_cannot_be_read_is_a_clear_failure(tmp_path, data_keys):
    env = environment(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'absent' / 'no.db'}", data_keys, opt_in=True)
    result = nlu("corrections", env=env, cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.startswith("charterdesk nlu:")
