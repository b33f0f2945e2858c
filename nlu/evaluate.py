"""Score any Classifier on a `lang<TAB>gold<TAB>text` file; export test.yml as that file.

python -m nlu.evaluate export    # regenerate nlu/data/test.tsv from nlu/data/test.yml
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlu.classifier import DATA_DIR, INTENTS, UNDETERMINED, Classification, Classifier, load_examples

HEADER = ("lang", "gold", "text")
TEST_YML = DATA_DIR / "test.yml"
TEST_TSV = DATA_DIR / "test.tsv"


@dataclass(frozen=True)
class LabelledMessage:
    language: str
    intent: str
    text: str
    line: int


class EvaluationFileError(ValueError):
    """The evaluation file is missing or malformed; `line` is 1-based, None for the whole file."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        self.path, self.line, self.problem = path, line, problem
        where = f"{path}: line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class IntentScore:
    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class LanguageScore:
    language: str
    count: int
    accuracy: float
    macro_f1: float
    detected: float | None  # share whose language was detected right (letterless text: "und")


@dataclass(frozen=True)
class Miss:
    message: LabelledMessage
    predicted: Classification


@dataclass(frozen=True)
class Report:
    count: int
    per_intent: tuple[IntentScore, ...]
    macro_f1: float
    accuracy: float
    per_language: tuple[LanguageScore, ...]
    language_detection: float | None
    latency_p50_ms: float
    latency_p95_ms: float
    misses: tuple[Miss, ...]


def read_tsv(path: Path | str) -> list[LabelledMessage]:
    """Parse `lang<TAB>gold<TAB>text` lines (header optional, blank lines ignored)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise EvaluationFileError(path, None, "no such file") from None
    except OSError as error:
        raise EvaluationFileError(path, None, f"cannot be read ({error.strerror})") from None
    messages = []
    for number, raw_line in enumerate(raw.split(b"\n"), start=1):
        message = _parse_line(path, number, raw_line)
        if message is not None:
            messages.append(message)
    if not messages:
        raise EvaluationFileError(path, None, "no messages (expected lines of lang<TAB>gold<TAB>text)")
    return messages


def _parse_line(path: Path, number: int, raw_line: bytes) -> LabelledMessage | None:
    try:
        line = raw_line.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise EvaluationFileError(path, number, "not UTF-8 text") from None
    if not line.strip():
        return None
    fields = line.split("\t", 2)
    if number == 1 and tuple(field.strip().lower() for field in fields) == HEADER:
        return None
    if len(fields) != 3:
        raise EvaluationFileError(
            path, number, f"expected 3 tab-separated columns (lang, gold, text), found {len(fields)}"
        )
    language, intent, text = (field.strip() for field in fields)
    if not language:
        raise EvaluationFileError(path, number, "empty language column")
    if intent not in INTENTS:
        raise EvaluationFileError(
            path, number, f"unknown intent {intent!r} (expected one of: {', '.join(INTENTS)})"
        )
    if not text:
        raise EvaluationFileError(path, number, "empty text column")
    return LabelledMessage(language=language, intent=intent, text=text, line=number)


def export_tsv(yml_path: Path | str = TEST_YML, tsv_path: Path | str = TEST_TSV) -> int:
    """Write a Rasa NLU file as evaluation TSV (with header); return the number of messages."""
    examples = load_examples(yml_path)
    rows = ["\t".join(HEADER)]
    for example in examples:
        if any(ch in example.text for ch in "\t\r\n"):
            raise ValueError(f"{yml_path}: example contains a tab or line break: {example.text!r}")
        rows.append(f"{example.language}\t{example.intent}\t{example.text}")
    Path(tsv_path).write_text("\n".join(rows) + "\n", encoding="utf-8")
    return len(examples)


async def evaluate(classifier: Classifier, messages: Sequence[LabelledMessage]) -> Report:
    """Classify each message in turn, timing each call, and score the results."""
    predictions, latencies = [], []
    for message in messages:
        started = time.perf_counter()
        predictions.append(await classifier.classify(message.text))
        latencies.append(time.perf_counter() - started)
    return score(messages, predictions, latencies)


def score(
    messages: Sequence[LabelledMessage],
    predictions: Sequence[Classification],
    latencies_s: Sequence[float],
) -> Report:
    """Per-intent P/R/F1, macro-F1 over the intents present in the gold labels, per-language scores."""
    gold = [m.intent for m in messages]
    predicted = [p.intent for p in predictions]
    labels = [intent for intent in INTENTS if intent in set(gold)]
    from sklearn.metrics import precision_recall_fscore_support  # a second to import; only eval needs it

    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0
    )
    per_intent = tuple(
        IntentScore(label, float(p), float(r), float(f), int(s))
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    )
    pairs = list(zip(messages, predictions, strict=True))
    per_language = tuple(
        _language_score(language, [(m, p) for m, p in pairs if m.language == language])
        for language in dict.fromkeys(m.language for m in messages)
    )
    latencies_ms = np.asarray(latencies_s, dtype=float) * 1000.0
    return Report(
        count=len(messages),
        per_intent=per_intent,
        macro_f1=float(np.mean([s.f1 for s in per_intent])),
        accuracy=_accuracy(pairs),
        per_language=per_language,
        language_detection=_detection(pairs),
        latency_p50_ms=float(np.percentile(latencies_ms, 50)) if len(latencies_ms) else 0.0,
        latency_p95_ms=float(np.percentile(latencies_ms, 95)) if len(latencies_ms) else 0.0,
        misses=tuple(Miss(m, p) for m, p in pairs if m.intent != p.intent),
    )


def _language_score(language: str, pairs: list[tuple[LabelledMessage, Classification]]) -> LanguageScore:
    gold = [m.intent for m, _ in pairs]
    labels = [intent for intent in INTENTS if intent in set(gold)]
    from sklearn.metrics import f1_score

    macro = f1_score(gold, [p.intent for _, p in pairs], labels=labels, average="macro", zero_division=0)
    return LanguageScore(language, len(pairs), _accuracy(pairs), float(macro), _detection(pairs))


def _accuracy(pairs: Sequence[tuple[LabelledMessage, Classification]]) -> float:
    return sum(m.intent == p.intent for m, p in pairs) / len(pairs) if pairs else 0.0


def _detection(pairs: Sequence[tuple[LabelledMessage, Classification]]) -> float | None:
    """Language detection accuracy; a message without letters should come back undetermined."""
    if not pairs:
        return None
    right = sum(
        p.language == (m.language if any(ch.isalpha() for ch in m.text) else UNDETERMINED) for m, p in pairs
    )
    return right / len(pairs)


def main(argv: Sequence[str]) -> int:
    if list(argv) != ["export"]:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    count = export_tsv()
    print(f"wrote {count} messages to {TEST_TSV}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
