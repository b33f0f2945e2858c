"""Structured logging: JSON lines a collector can parse, from the formatter up to a real process."""

import io
import json
import logging
import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from charterdesk.logging_setup import JsonFormatter, configure_logging, log_format, mask_tokens
from tests.conftest import ROOT

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without settings that would change what the process does."""
    prefixes = ("TELEGRAM_", "DATABASE_", "CHARTER", "RASA_", "WEBHOOK_")
    return {**{k: v for k, v in os.environ.items() if not k.startswith(prefixes)}, **extra}


def json_lines(text: str) -> list[dict]:
    """Every line of `text` as JSON; fails naming the first line that is not."""
    entries = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}")
        assert isinstance(entry, dict), line
        entries.append(entry)
    return entries


def record(message: str, *args, level=logging.INFO, exc_info=None, **extra) -> logging.LogRecord:
    made = logging.LogRecord("desk.test", level, __file__, 1, message, args, exc_info)
    made.__dict__.update(extra)
    return made


def test_a_record_becomes_one_json_object_with_its_extra_fields():
    line = JsonFormatter().format(record("ticket %s opened", "I-1001", ticket="I-1001", elapsed_ms=12.5))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "ticket I-1001 opened"
    assert entry["level"] == "INFO" and entry["logger"] == "desk.test"
    assert entry["ticket"] == "I-1001" and entry["elapsed_ms"] == 12.5
    assert datetime.fromisoformat(entry["time"]).utcoffset().total_seconds() == 0
    assert set(entry) == {"time", "level", "logger", "message", "ticket", "elapsed_ms"}


def test_a_traceback_stays_inside_the_one_line():
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        line = JsonFormatter().format(record("failed", level=logging.ERROR, exc_info=sys.exc_info()))
    assert len(line.splitlines()) == 1
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert "ValueError: bad\nvalue" in entry["exception"]


def test_extra_values_json_cannot_hold_are_written_as_text():
    entry = json.loads(JsonFormatter().format(record("x", path=Path("/tmp/a"), when=datetime(2026, 1, 2))))
    assert entry["path"] == "/tmp/a" and entry["when"] == "2026-01-02 00:00:00"


def test_bot_tokens_are_masked_in_messages_and_tracebacks():
    url = f"https://api.telegram.org/bot{TOKEN}/getUpdates"
    assert mask_tokens(url) == "https://api.telegram.org/bot123456789:***/getUpdates"
    try:
        raise ConnectionError(url)
    except ConnectionError:
        line = JsonFormatter().format(record("POST %s", url, exc_info=sys.exc_info()))
    assert TOKEN.split(":")[1] not in line
    # Ticket numbers, times and ordinary ids are not mistaken for tokens.
    assert mask_tokens("I-1042 at 12:30:59, chat 123456:short") == "I-1042 at 12:30:59, chat 123456:short"


@pytest.mark.parametrize(
    "flag, variable, dotenv, expected",
    [
        (False, None, None, "text"),
        (True, None, None, "json"),
        (False, "json", None, "json"),
        (False, "JSON", None, "json"),
        (False, "text", "json", "text"),  # the environment wins over .env, as in Settings
        (False, None, "json", "json"),
        (False, "yaml", None, "text"),  # Settings then refuses it with a clear message
    ],
)
def test_the_format_comes_from_flag_environment_or_dotenv(
    monkeypatch, tmp_path, flag, variable, dotenv, expected
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CHARTERDESK_LOG_FORMAT", raising=False)
    if variable is not None:
        monkeypatch.setenv("CHARTERDESK_LOG_FORMAT", variable)
    if dotenv is not None:
        (tmp_path / ".env").write_text(f"CHARTERDESK_LOG_FORMAT={dotenv}\n", encoding="utf-8")
    assert log_format(json_flag=flag) == expected


def test_configure_routes_everything_through_one_handler(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    uvicorn = logging.getLogger("uvicorn.access")
    uvicorn.addHandler(logging.StreamHandler(io.StringIO()))
    uvicorn.propagate = False
    try:
        configure_logging("json")
        logging.getLogger("desk.test").info("one", extra={"n": 1})
        uvicorn.info("GET /healthz 200", extra={"color_message": "GET \x1b[1m/healthz\x1b[0m 200"})
        logging.getLogger("httpx").info(f"HTTP Request: POST https://api.telegram.org/bot{TOKEN}/x")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.captureWarnings(False)
    entries = json_lines(stream.getvalue())
    assert [(e["logger"], e["message"]) for e in entries] == [
        ("desk.test", "one"),
        ("uvicorn.access", "GET /healthz 200"),
    ]
    assert entries[0]["n"] == 1
    assert "color_message" not in entries[1]  # uvicorn's terminal-coloured copy of the message


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="log format"):
        configure_logging("xml")


def test_a_failed_start_is_a_json_line_too(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "charterdesk", "run", "--log-json"],
        env=clean_env(TELEGRAM_BOT_TOKEN=TOKEN, CHARTER_FILE=str(tmp_path / "missing.yml")),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    entries = json_lines(done.stderr)
    assert entries[-1]["level"] == "CRITICAL"
    assert "cannot start" in entries[-1]["message"] and "missing.yml" in entries[-1]["message"]


def test_migrate_with_the_setting_writes_only_json_lines(tmp_path):
    env = clean_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", CHARTERDESK_LOG_FORMAT="json")
    done = subprocess.run(
        [sys.executable, "-m", "charterdesk", "migrate"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    entries = json_lines(done.stderr)
    assert any(e["logger"].startswith("alembic") for e in entries)
    assert entries[-1]["message"].endswith("is up to date")


def test_the_demo_logs_only_json_and_nothing_the_citizen_wrote(tmp_path):
    citizen, text = 987654321, "How do I apply for housing support? My name is Kovács Anna."
    demo = subprocess.Popen(
        [sys.executable, "-m", "charterdesk", "demo", "--port", "0", "--log-json"],
        cwd=tmp_path,
        env=clean_env(CHARTER_FILE=str(ROOT / "charter.yml")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page = next(line.split()[-1] for line in demo.stdout if "Citizen chat:" in line)
        with httpx.Client(base_url=page, timeout=30) as http:
            sent = http.post("sandbox/api/send", json={"user_id": citizen, "text": text})
            sent.raise_for_status()
            reply = http.get(
                f"sandbox/api/chats/{citizen}/messages",
                params={"after": sent.json()["message_id"], "wait": 20},
            )
            answers = [m["text"] for m in reply.json()["messages"] if m["from"]["is_bot"]]
        assert answers and "I-1001" in answers[0]
    finally:
        demo.send_signal(signal.SIGINT)
        _, stderr = demo.communicate(timeout=60)
    assert demo.returncode == 0, stderr
    entries = json_lines(stderr)
    assert any(e["message"].startswith("running") for e in entries)
    assert "Kovács" not in stderr and "housing" not in stderr and str(citizen) not in stderr
