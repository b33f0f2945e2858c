"""The one interface every intent classifier shares, and the reader for Rasa NLU training data."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import yaml

INTENTS: tuple[str, ...] = (
    "inquiry",
    "complaint",
    "appointment_request",
    "check_status",
    "greet",
    "thanks",
    "out_of_scope",
)
LANGUAGES: tuple[str, ...] = ("ko", "en", "hu")
UNDETERMINED = "und"
# Below this confidence a ticket-opening intent is not trusted: the bot asks the citizen to choose
# inquiry / complaint / appointment instead of guessing. The confidence is calibrated (temperature
# scaling fitted by 5-fold CV on nlu.yml, nlu.calibration; the fitted T is ~1.0: out of fold the raw
# probabilities were already calibrated, ECE 0.007). Chosen again on those calibrated scores by 5-fold
# CV on nlu.yml only, never test.yml or real.tsv (`python -m bench.nlu_threshold`; table in
# docs/benchmarks.md, section nlu-threshold): of 2376.5 out-of-fold ticket-intent answers, 0.70 asks
# 256 times (131.5 of them wrong) and lets 94 wrong tickets through, the least of wrong-through +
# 0.5 x right-but-asked (156.25; 0.65: 161.5; 0.75: 161.25). Re-measure when the classifier or its
# data change.
LOW_CONFIDENCE = 0.70

DATA_DIR = Path(__file__).resolve().parent / "data"

# Rasa's own entity syntax: [text](entity), [text](entity:value), [text]{"entity": ...}.
_ENTITY = re.compile(r"\[(?P<text>[^\]]+?)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass(frozen=True)
class Classification:
    intent: str
    confidence: float
    language: str


@runtime_checkable
class Classifier(Protocol):
    # hint: Telegram's language_code, a prior for language detection only; the text decides.
    async def classify(self, text: str, *, hint: str | None = None) -> Classification: ...


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    language: str


class TrainingDataError(ValueError):
    """The file is not Rasa NLU YAML in the shape Charterdesk expects."""


def strip_entities(text: str) -> str:
    """`[I-1042](ticket_number) 어떻게 됐나요?` -> `I-1042 어떻게 됐나요?`."""
    return _ENTITY.sub(lambda match: match.group("text"), text)


def normalise(text: str) -> str:
    """A comparison key: no accents, case, punctuation or spaces, so near-copies compare equal."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch)[0] not in {"M", "P", "Z", "C"})
    return unicodedata.normalize("NFC", kept).casefold()


def load_examples(path: Path | str) -> list[Example]:
    """Every example of a Rasa 3.x NLU file, entity annotations removed, in file order."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise TrainingDataError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("nlu"), list):
        raise TrainingDataError(f"{path}: expected a mapping with an `nlu:` list")
    examples: list[Example] = []
    for number, block in enumerate(document["nlu"], start=1):
        examples.extend(_block_examples(path, number, block))
    return examples


def _block_examples(path: Path, number: int, block: object) -> list[Example]:
    where = f"{path}: nlu block {number}"
    if not isinstance(block, dict) or "intent" not in block:
        raise TrainingDataError(f"{where}: expected `- intent: NAME`")
    intent = block["intent"]
    if intent not in INTENTS:
        raise TrainingDataError(f"{where}: unknown intent {intent!r}")
    language = (block.get("metadata") or {}).get("language")
    if language not in LANGUAGES:
        raise TrainingDataError(f"{where} ({intent}): metadata.language must be one of {LANGUAGES}")
    lines = block.get("examples")
    if not isinstance(lines, str):
        raise TrainingDataError(f"{where} ({intent}): `examples: |` must be a block of `- ...` lines")
    examples = []
    for line in lines.splitlines():
        if not line.strip():
            continue
        if not line.startswith("-"):
            raise TrainingDataError(f"{where} ({intent}): example does not start with '-': {line!r}")
        text = strip_entities(line[1:].strip())
        if not text:
            raise TrainingDataError(f"{where} ({intent}): empty example")
        examples.append(Example(text=text, intent=intent, language=language))
    return examples
