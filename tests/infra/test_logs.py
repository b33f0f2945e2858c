"""Log lines carry no personal values unless CHARTERDESK_LOG_PERSONAL=1, in our code and in talkative libraries."""

import ast
import logging
from pathlib import Path

import pytest

from infra import logs
from tests.conftest import ROOT

PACKAGES = ("desk", "conversation", "infra", "bot", "scheduler", "charterdesk", "nlu")
LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}
# Names that hold a citizen's words or identity wherever they appear in this code base.
PERSONAL_NAMES = {"chat_id", "text", "username", "display_name", "full_name", "first_name", "last_name",
                  "message", "caption", "comment", "chat"}


def test_personal_values_are_hidden_unless_asked_for(monkeypatch):
    monkeypatch.delenv(logs.PERSONAL_VARIABLE, raising=False)
    assert logs.personal(7654321) == "[hidden]" and logs.personal("Kim") == "[hidden]"
    for off in ("0", "", "no", "false"):
        monkeypatch.setenv(logs.PERSONAL_VARIABLE, off)
        assert logs.personal(7654321) == "[hidden]"
    monkeypatch.setenv(logs.PERSONAL_VARIABLE, "1")
    assert logs.personal(7654321) == 7654321


@pytest.fixture
def library_levels():
    saved = {name: logging.getLogger(name).level for name in logs.TALKATIVE_LIBRARIES}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_talkative_libraries_stay_above_debug_even_when_the_root_logs_debug(monkeypatch, library_levels):
    monkeypatch.delenv(logs.PERSONAL_VARIABLE, raising=False)
    for name in logs.TALKATIVE_LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a stricter level set elsewhere is kept
    logs.guard_libraries()
    assert not logging.getLogger("telegram.ext.ExtBot").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("sqlalchemy.engine.Engine").isEnabledFor(logging.INFO)
    assert logging.getLogger("httpx").level == logging.WARNING


def test_with_personal_logging_on_libraries_are_left_alone(monkeypatch, library_levels):
    monkeypatch.setenv(logs.PERSONAL_VARIABLE, "1")
    logging.getLogger("telegram").setLevel(logging.NOTSET)
    logs.guard_libraries()
    assert logging.getLogger("telegram").level == logging.NOTSET


def _terminal_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _logger_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LEVELS
                and _terminal_name(node.func.value) in ("log", "logger", "logging")):
            yield node


def test_no_logger_call_in_our_code_passes_a_personal_value_unwrapped():
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for call in _logger_calls(tree):
                for argument in call.args[1:] + [k.value for k in call.keywords if k.arg != "exc_info"]:
                    if _terminal_name(argument) in PERSONAL_NAMES:
                        offenders.append(f"{Path(path).relative_to(ROOT)}:{call.lineno}")
    assert offenders == [], "wrap these in infra.logs.personal(): " + ", ".join(offenders)


def test_the_check_itself_finds_an_unwrapped_chat_id():
    bad = ast.parse('log.warning("serving chat %s failed", chat_id)\nlog.info("x %s", personal(chat_id))')
    found = [c for c in _logger_calls(bad) if any(_terminal_name(a) in PERSONAL_NAMES for a in c.args[1:])]
    assert [c.lineno for c in found] == [1]
