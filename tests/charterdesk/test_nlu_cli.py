"""`charterdesk nlu classify` (JSON lines on stdout) and `charterdesk nlu eval FILE`."""

import json
from pathlib import Path

from typer.testing import CliRunner

from charterdesk.commands.nlu import app
from nlu.classifier import DATA_DIR, INTENTS

runner = CliRunner()


def test_classify_writes_one_json_object_per_non_blank_line() -> None:
    lines = ["예약은 어떻게 하나요?", "", "I-1042 어떻게 됐나요?", "   ", "szeretnek idopontot kerni", "👍"]
    result = runner.invoke(app, ["classify"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["text"] for a in answers] == [
        "예약은 어떻게 하나요?",
        "I-1042 어떻게 됐나요?",
        "szeretnek idopontot kerni",
        "👍",
    ]
    assert [(a["intent"], a["language"]) for a in answers] == [
        ("inquiry", "ko"),
        ("check_status", "ko"),
        ("appointment_request", "hu"),
        ("out_of_scope", "und"),
    ]
    for answer in answers:
        assert list(answer) == ["text", "intent", "confidence", "language"]
        assert answer["intent"] in INTENTS
        assert 0 <= answer["confidence"] <= 1
        assert round(answer["confidence"], 4) == answer["confidence"]
    assert "예약은" in result.stdout, "ensure_ascii=False: Hangul stays readable"


def test_classify_survives_bad_bytes_and_crlf() -> None:
    result = runner.invoke(app, ["classify"], input=b"hello\r\n\xff\xfe broken\r\n")
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["text"] for a in answers] == ["hello", "\ufffd\ufffd broken"]


def test_classify_with_empty_stdin_writes_nothing() -> None:
    result = runner.invoke(app, ["classify"], input="")
    assert result.exit_code == 0 and result.stdout == ""


def test_eval_prints_scores_for_the_shipped_test_set() -> None:
    result = runner.invoke(app, ["eval", str(DATA_DIR / "test.tsv"), "--misses", "2"])
    assert result.exit_code == 0, result.output
    for word in (*INTENTS, "macro-F1", "precision", "recall", "latency p50", "p95", "ko", "en", "hu"):
        assert word in result.stdout


def test_eval_missing_file_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", str(tmp_path / "absent.tsv")])
    assert result.exit_code == 2
    assert "absent.tsv: no such file" in result.stderr


def test_eval_malformed_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("lang\tgold\ttext\nen\tgreet\thello\nen greet hello\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", str(path)])
    assert result.exit_code == 2
    assert "bad.tsv: line 3: expected 3 tab-separated columns" in result.stderr


def closed_port_url() -> str:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"  # nothing listens once the block ends


def test_eval_with_an_unreachable_rasa_falls_back_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "small.tsv"
    path.write_text("en\tgreet\thello there\nhu\tthanks\tköszönöm szépen\n", encoding="utf-8")
    url = closed_port_url()
    result = runner.invoke(app, ["eval", str(path), "--rasa", url])
    assert result.exit_code == 0, result.output
    assert f"classifier: Rasa at {url} (2 messages answered by the embedded fallback)" in result.stdout


def test_classify_honours_rasa_url_from_the_environment() -> None:
    result = runner.invoke(app, ["classify"], input="I-1042 어떻게 됐나요?\n", env={"RASA_URL": closed_port_url()})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["intent"] == "check_status"


def test_eval_names_the_embedded_classifier_by_default() -> None:
    result = runner.invoke(app, ["eval", str(DATA_DIR / "test.tsv")], env={"RASA_URL": ""})
    assert "classifier: embedded (scikit-learn)" in result.stdout


def test_rasa_commands_are_listed() -> None:
    result = runner.invoke(app, ["rasa", "--help"])
    assert result.exit_code == 0
    for command in ("setup", "train", "serve"):
        assert command in result.stdout
