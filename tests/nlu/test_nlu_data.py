"""nlu/data: valid Rasa 3.x NLU files, enough varied examples, no duplicates, held-out set disjoint."""

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from nlu.classifier import (
    DATA_DIR,
    INTENTS,
    LANGUAGES,
    TrainingDataError,
    load_examples,
    normalise,
    strip_entities,
)
from nlu.evaluate import export_tsv

TRAIN = DATA_DIR / "nlu.yml"
TEST = DATA_DIR / "test.yml"
MINIMUM = {TRAIN: 60, TEST: 30}
ENTITY = re.compile(r"\[([^\]]+?)\]\(([^)]*)\)")


@pytest.mark.parametrize("path", [TRAIN, TEST], ids=["nlu.yml", "test.yml"])
def test_file_has_rasa_nlu_shape(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert set(document) == {"version", "nlu"}
    assert document["version"] == "3.1"
    blocks = Counter()
    for block in document["nlu"]:
        assert set(block) == {"intent", "metadata", "examples"}, block.get("intent")
        assert block["intent"] in INTENTS
        assert set(block["metadata"]) == {"language"} and block["metadata"]["language"] in LANGUAGES
        assert isinstance(block["examples"], str)
        for line in block["examples"].splitlines():
            assert line.startswith("- ") and line[2:].strip(), repr(line)
        blocks[block["intent"], block["metadata"]["language"]] += 1
    assert set(blocks) == {(intent, language) for intent in INTENTS for language in LANGUAGES}
    assert set(blocks.values()) == {1}, "one block per intent per language"


@pytest.mark.parametrize("path", [TRAIN, TEST], ids=["nlu.yml", "test.yml"])
def test_entities_are_rasa_annotated_ticket_numbers(path: Path) -> None:
    annotated = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        for value, entity in ENTITY.findall(line):
            assert entity == "ticket_number", line
            assert re.fullmatch(r"[ICNAicna]-\d{4}", value), line
            annotated += 1
        assert "[" not in ENTITY.sub("", line) and "]" not in ENTITY.sub("", line), line
    assert annotated >= 20


@pytest.mark.parametrize("path", [TRAIN, TEST], ids=["nlu.yml", "test.yml"])
def test_enough_examples_per_intent_and_language(path: Path) -> None:
    counts = Counter((e.intent, e.language) for e in load_examples(path))
    short = {key: n for key, n in counts.items() if n < MINIMUM[path]}
    assert not short
    assert len(counts) == len(INTENTS) * len(LANGUAGES)


@pytest.mark.parametrize("path", [TRAIN, TEST], ids=["nlu.yml", "test.yml"])
def test_no_duplicates_after_normalisation(path: Path) -> None:
    keys = Counter(normalise(e.text) for e in load_examples(path))
    assert [key for key, n in keys.items() if n > 1] == []


def test_test_set_is_disjoint_from_training_set() -> None:
    training = {normalise(e.text) for e in load_examples(TRAIN)}
    leaked = [e.text for e in load_examples(TEST) if normalise(e.text) in training]
    assert leaked == []


def test_shipped_tsv_matches_test_yml(tmp_path: Path) -> None:
    export_tsv(TEST, tmp_path / "test.tsv")
    assert (DATA_DIR / "test.tsv").read_text(encoding="utf-8") == (tmp_path / "test.tsv").read_text(
        encoding="utf-8"
    ), "regenerate with: python -m nlu.evaluate export"


def test_load_examples_strips_entity_annotations(tmp_path: Path) -> None:
    path = tmp_path / "nlu.yml"
    path.write_text(
        'version: "3.1"\nnlu:\n- intent: check_status\n  metadata:\n    language: ko\n  examples: |\n'
        "    - [I-1042](ticket_number) 어떻게 됐나요?\n    - status of [C-1](ticket_number:C-0001) pls\n",
        encoding="utf-8",
    )
    assert [e.text for e in load_examples(path)] == ["I-1042 어떻게 됐나요?", "status of C-1 pls"]
    assert strip_entities('[A-1045]{"entity": "ticket_number"} ok') == "A-1045 ok"


@pytest.mark.parametrize(
    "block, problem",
    [
        ("- intent: chitchat\n  metadata: {language: en}\n  examples: |\n    - hi\n", "unknown intent"),
        ("- intent: greet\n  examples: |\n    - hi\n", "metadata.language"),
        ("- intent: greet\n  metadata: {language: en}\n  examples: [hi]\n", "examples"),
        ("- intent: greet\n  metadata: {language: en}\n  examples: |\n    hi\n", "does not start with"),
        ("- synonym: x\n", "expected `- intent: NAME`"),
    ],
)
def test_load_examples_rejects_bad_shapes(tmp_path: Path, block: str, problem: str) -> None:
    path = tmp_path / "nlu.yml"
    path.write_text(f'version: "3.1"\nnlu:\n{block}', encoding="utf-8")
    with pytest.raises(TrainingDataError, match=re.escape(problem)):
        load_examples(path)


def test_normalise_ignores_accents_case_spacing_and_punctuation() -> None:
    assert normalise("Szeretnék időpontot kérni!") == normalise("szeretnek  idopontot kerni")
    assert normalise("상담 예약 하고 싶어요.") == normalise("상담예약하고싶어요")
    assert normalise("👍") != normalise("🙏")
