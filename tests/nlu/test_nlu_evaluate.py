"""nlu.evaluate: reading the TSV, naming the bad line, scoring, exporting test.yml."""

from pathlib import Path

import pytest

from nlu.classifier import DATA_DIR, Classification, load_examples
from nlu.evaluate import EvaluationFileError, LabelledMessage, evaluate, export_tsv, read_tsv, score


def write(tmp_path: Path, content: bytes | str) -> Path:
    path = tmp_path / "eval.tsv"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def test_reads_rows_with_or_without_header(tmp_path: Path) -> None:
    body = "ko\tinquiry\t운영시간이 어떻게 되나요?\r\n\nen\tgreet\thello\ttab inside\n"
    for content in (body, "lang\tgold\ttext\n" + body, "\ufefflang\tgold\ttext\n" + body):
        messages = read_tsv(write(tmp_path, content))
        assert [(m.language, m.intent, m.text) for m in messages] == [
            ("ko", "inquiry", "운영시간이 어떻게 되나요?"),
            ("en", "greet", "hello\ttab inside"),
        ]
    assert [m.line for m in read_tsv(write(tmp_path, "lang\tgold\ttext\n" + body))] == [2, 4]


@pytest.mark.parametrize(
    "content, line, problem",
    [
        ("ko\tinquiry\t질문\nko inquiry 질문\n", 2, "expected 3 tab-separated columns"),
        ("ko\tinquiry\t질문\nen\tqueston\twhat\n", 2, "unknown intent 'queston'"),
        ("en\tgreet\t   \n", 1, "empty text"),
        ("\tgreet\thi\n", 1, "empty language"),
        (b"en\tgreet\thi\nhu\tthanks\tk\xf6sz\n", 2, "not UTF-8"),
    ],
)
def test_malformed_line_is_named(tmp_path: Path, content, line: int, problem: str) -> None:
    with pytest.raises(EvaluationFileError, match=problem) as raised:
        read_tsv(write(tmp_path, content))
    assert raised.value.line == line
    assert f"line {line}" in str(raised.value)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(EvaluationFileError, match="no such file"):
        read_tsv(tmp_path / "absent.tsv")
    with pytest.raises(EvaluationFileError, match="no messages"):
        read_tsv(write(tmp_path, "lang\tgold\ttext\n\n"))


def test_export_round_trips_test_yml(tmp_path: Path) -> None:
    count = export_tsv(DATA_DIR / "test.yml", tmp_path / "test.tsv")
    examples = load_examples(DATA_DIR / "test.yml")
    messages = read_tsv(tmp_path / "test.tsv")
    assert count == len(examples) == len(messages)
    assert [(m.language, m.intent, m.text) for m in messages] == [
        (e.language, e.intent, e.text) for e in examples
    ]


def message(language: str, intent: str, text: str) -> LabelledMessage:
    return LabelledMessage(language, intent, text, line=0)


def test_score_per_intent_per_language_and_latency() -> None:
    messages = [
        message("en", "greet", "hi"),
        message("en", "thanks", "thanks"),
        message("hu", "greet", "szia"),
        message("hu", "thanks", "köszi"),
        message("ko", "out_of_scope", "👍"),
    ]
    predictions = [
        Classification("greet", 0.9, "en"),
        Classification("greet", 0.6, "en"),  # a miss
        Classification("greet", 0.9, "hu"),
        Classification("thanks", 0.9, "en"),  # right intent, wrong language
        Classification("out_of_scope", 0.8, "und"),  # no letters: "und" is right
    ]
    report = score(messages, predictions, [0.001, 0.002, 0.003, 0.004, 0.010])
    by_intent = {s.intent: s for s in report.per_intent}
    assert list(by_intent) == ["greet", "thanks", "out_of_scope"]
    assert by_intent["greet"].precision == pytest.approx(2 / 3)
    assert by_intent["greet"].recall == 1.0
    assert by_intent["thanks"].recall == 0.5 and by_intent["thanks"].precision == 1.0
    assert report.macro_f1 == pytest.approx((0.8 + 2 / 3 + 1.0) / 3)
    assert report.accuracy == pytest.approx(0.8)
    by_language = {s.language: s for s in report.per_language}
    assert by_language["en"].accuracy == 0.5 and by_language["hu"].accuracy == 1.0
    assert by_language["hu"].detected == 0.5
    assert report.language_detection == pytest.approx(0.8)
    assert report.latency_p50_ms == pytest.approx(3.0)
    assert 4.0 < report.latency_p95_ms <= 10.0
    assert [miss.message.text for miss in report.misses] == ["thanks"]


class Parrot:
    """A stand-in classifier that answers what the text says."""

    async def classify(self, text: str) -> Classification:
        return Classification(text, 1.0, "en")


async def test_evaluate_runs_any_classifier() -> None:
    report = await evaluate(Parrot(), [message("en", "greet", "greet"), message("en", "thanks", "greet")])
    assert report.count == 2 and report.accuracy == 0.5
    assert report.latency_p95_ms >= report.latency_p50_ms >= 0.0
