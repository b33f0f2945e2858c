"""EmbeddedClassifier: quality on the held-out test.yml, the hard cases, language, robustness, and a
cached fit that is served without scikit-learn.

Measured on the shipped data (`python -m bench.nlu`, docs/benchmarks.md, section nlu): macro-F1 0.958
on test.yml, ko 0.961, en 0.953, hu 0.961; language detection 0.997. The floors below are the issue's target
(0.95 in each language), a gate against regressions in data or features (docs/benchmarks.md,
section nlu, has the same figures beside Rasa DIET's)."""

import dataclasses
import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nlu.classifier import (
    DATA_DIR,
    INTENTS,
    LANGUAGES,
    UNDETERMINED,
    Classification,
    Classifier,
    load_examples,
)
from nlu.embedded import EmbeddedClassifier, intent_features_text
from nlu.evaluate import LabelledMessage, score

ROOT = Path(__file__).resolve().parents[2]
MACRO_F1_FLOOR = 0.95
MACRO_F1_FLOOR_PER_LANGUAGE = 0.95
LANGUAGE_DETECTION_FLOOR = 0.97


@pytest.fixture(scope="module")
def classifier() -> EmbeddedClassifier:
    return EmbeddedClassifier.train()


@pytest.fixture(scope="module")
def held_out(classifier: EmbeddedClassifier):
    examples = load_examples(DATA_DIR / "test.yml")
    messages = [LabelledMessage(e.language, e.intent, e.text, line=i) for i, e in enumerate(examples, 1)]
    return score(messages, [classifier.classify_sync(m.text) for m in messages], [0.0] * len(messages))


def test_held_out_macro_f1(held_out) -> None:
    assert held_out.macro_f1 >= MACRO_F1_FLOOR


@pytest.mark.parametrize("language", LANGUAGES)
def test_held_out_macro_f1_per_language(held_out, language: str) -> None:
    (scores,) = [s for s in held_out.per_language if s.language == language]
    assert scores.macro_f1 >= MACRO_F1_FLOOR_PER_LANGUAGE


def test_held_out_language_detection(held_out) -> None:
    assert held_out.language_detection >= LANGUAGE_DETECTION_FLOOR


@pytest.mark.parametrize(
    "text, intent, language",
    [
        ("예약은 어떻게 하나요?", "inquiry", "ko"),
        ("왜 아직도 답이 없나요?", "complaint", "ko"),
        ("miért nem válaszolnak már két hete?", "complaint", "hu"),
        ("다음 주 화요일 오후 2시에 상담 예약하고 싶어요", "appointment_request", "ko"),
        ("상담예약하구싶어요", "appointment_request", "ko"),
        ("I'd like to come in on Friday morning", "appointment_request", "en"),
        ("szeretnék időpontot kérni csütörtökre", "appointment_request", "hu"),
        ("szeretnek idopontot kerni", "appointment_request", "hu"),
        ("I-1042 어떻게 됐나요?", "check_status", "ko"),
        ("what's the status of my complaint", "check_status", "en"),
        ("hol tart az ügyem?", "check_status", "hu"),
    ],
)
def test_hard_cases(classifier: EmbeddedClassifier, text: str, intent: str, language: str) -> None:
    result = classifier.classify_sync(text)
    assert (result.intent, result.language) == (intent, language)


ROBUSTNESS = [
    "",
    "   \n\t ",
    "👍",
    "🙏🙏🙏",
    "x" * 10_000,
    "상담 예약하고 싶어요 " * 1_000,
    "\x00\x07\x1b[31m",
    "\ud800 lone surrogate",
    "zero\u200bwidth\ufeff",
    "שלום עליכם",
    "Привет, как дела?",
    "[I-1042](ticket_number)",
    "line one\nline two",
    "0" * 500,
]


@pytest.mark.parametrize("text", ROBUSTNESS, ids=range(len(ROBUSTNESS)))
async def test_any_input_gets_a_well_formed_answer(classifier: EmbeddedClassifier, text: str) -> None:
    result = await classifier.classify(text)
    assert result.intent in INTENTS
    assert 0.0 <= result.confidence <= 1.0
    # Any ISO 639-1 code (the robustness set has Cyrillic and emoji), or "und".
    assert result.language == UNDETERMINED or (len(result.language) == 2 and result.language.isalpha())
    # Plain Python types: the bot and the CLI serialise them as they are.
    assert type(result.intent) is str and type(result.confidence) is float and type(result.language) is str
    json.dumps(dataclasses.asdict(result))


def test_empty_message_is_out_of_scope(classifier: EmbeddedClassifier) -> None:
    assert classifier.classify_sync("  ") == Classification("out_of_scope", 1.0, UNDETERMINED)


@pytest.mark.parametrize("text", ["👍", "🎉🎉", "12:30", "?!"])
def test_text_without_letters_has_no_language(
    classifier: EmbeddedClassifier, text: str
) -> None:
    assert classifier.classify_sync(text).language == UNDETERMINED


@pytest.mark.parametrize(
    "text, language",
    [
        ("[C-1043] 답변이 왜 이래요", "ko"),
        ("ㅋㅋㅋ", "ko"),
        ("koszonom szepen", "hu"),
        ("köszönöm", "hu"),
        ("thank you very much", "en"),
    ],
)
def test_language_detection(classifier: EmbeddedClassifier, text: str, language: str) -> None:
    assert classifier.classify_sync(text).language == language


async def test_async_and_sync_agree(classifier: EmbeddedClassifier) -> None:
    text = "I-1042 처리 상황 알려주세요"
    assert await classifier.classify(text) == classifier.classify_sync(text)


def test_is_a_classifier(classifier: EmbeddedClassifier) -> None:
    assert isinstance(classifier, Classifier)
    with pytest.raises(dataclasses.FrozenInstanceError):
        classifier.classify_sync("hi").intent = "thanks"  # type: ignore[misc]


def test_trains_from_another_data_dir(tmp_path: Path) -> None:
    blocks = []
    for intent, language, lines in [
        ("greet", "en", ["hello", "hi there", "good morning"]),
        ("thanks", "en", ["thanks", "thank you", "cheers"]),
        ("greet", "hu", ["szia", "jó napot", "helló"]),
        ("thanks", "hu", ["köszönöm", "köszi", "hálás vagyok"]),
    ]:
        examples = "".join(f"    - {line}\n" for line in lines)
        blocks.append(f"- intent: {intent}\n  metadata:\n    language: {language}\n  examples: |\n{examples}")
    (tmp_path / "nlu.yml").write_text('version: "3.1"\nnlu:\n' + "".join(blocks), encoding="utf-8")
    small = EmbeddedClassifier.train(tmp_path)
    assert small.classify_sync("thank you so much").intent == "thanks"
    assert small.classify_sync("köszönöm szépen").language == "hu"


def test_intent_features_fold_accents_tickets_and_digits() -> None:
    assert intent_features_text("Időpont I-1042 14:30") == "idopont ticketno 0:0"
    assert intent_features_text("상담  예약") == "상담 예약"  # Hangul survives accent folding


@pytest.mark.parametrize(
    "text, hint, language",
    [
        ("ok", "hu", "hu"),  # too short to tell: Telegram's language_code decides
        ("ok", "en-GB", "en"),
        ("ok", None, "en"),
        ("köszönöm szépen", "en", "hu"),  # the text decides against the hint
        ("thank you very much", "hu", "en"),
        ("상담 예약하고 싶어요", "en", "ko"),
        ("👍", "ko", "ko"),  # no letters: the hint is all there is
        ("👍", "de", "de"),  # any language Telegram names is a prior, spoken by the charter or not
        ("👍", "xyz", UNDETERMINED),  # not an ISO 639-1 code: no hint
        ("A-1045", "ko", "ko"),  # a bare ticket number has no language
        ("", "HU", "hu"),
    ],
)
def test_telegram_language_code_is_a_prior_the_text_decides(
    classifier: EmbeddedClassifier, text: str, hint: str | None, language: str
) -> None:
    assert classifier.classify_sync(text, hint=hint).language == language


async def test_classify_takes_the_hint_as_a_keyword(classifier: EmbeddedClassifier) -> None:
    assert (await classifier.classify("ok", hint="hu")).language == "hu"
    assert await classifier.classify("ok") == classifier.classify_sync("ok")


def test_classification_bypasses_sklearns_per_call_machinery(classifier: EmbeddedClassifier) -> None:
    """What keeps p50 latency far under 1 ms (measured by bench/nlu.py, not asserted: no timing in tests)."""
    import sklearn.pipeline

    calls = []
    original = sklearn.pipeline.Pipeline.predict_proba
    sklearn.pipeline.Pipeline.predict_proba = lambda *a, **k: calls.append(a) or original(*a, **k)
    try:
        classifier.classify_sync("다음 주 화요일 오후 2시에 상담 예약하고 싶어요")
    finally:
        sklearn.pipeline.Pipeline.predict_proba = original
    assert calls == [], "classification must not go through sklearn's per-call machinery"


def test_load_caches_the_fit_keyed_by_the_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "nlu.yml").write_bytes((DATA_DIR / "nlu.yml").read_bytes())
    cache = tmp_path / "cache"
    first = EmbeddedClassifier.load(data, cache_dir=cache)
    (cached,) = cache.iterdir()
    again = EmbeddedClassifier.load(data, cache_dir=cache)
    assert again is not first and list(cache.iterdir()) == [cached]
    for text in ("상담 예약하고 싶어요", "köszönöm", "status of C-1043?"):
        assert again.classify_sync(text) == first.classify_sync(text)

    cached.write_bytes(b"not a model")  # a damaged cache is trained over, not trusted
    assert EmbeddedClassifier.load(data, cache_dir=cache).classify_sync("hello").intent == "greet"
    assert cached.read_bytes() != b"not a model"

    with open(data / "nlu.yml", "a", encoding="utf-8") as handle:
        handle.write("    - hello hello hello there\n")
    EmbeddedClassifier.load(data, cache_dir=cache)
    assert len(list(cache.iterdir())) == 2, "changed data, new key"


def test_loading_from_the_cache_imports_no_scikit_learn(tmp_path: Path) -> None:
    """What keeps the bot's resident memory ~90 MB lower: the cached fit is read with numpy alone."""
    cache = tmp_path / "cache"
    fitted = EmbeddedClassifier.load(cache_dir=cache)
    probe = (
        "import json, sys\n"
        "from nlu.embedded import EmbeddedClassifier\n"
        f"c = EmbeddedClassifier.load(cache_dir={str(cache)!r})\n"
        "r = c.classify_sync('다음 주 화요일 오후 2시에 상담 예약하고 싶어요')\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy', 'joblib', 'threadpoolctl'))\n"
        "print(json.dumps({'heavy': heavy, 'answer': [r.intent, r.confidence, r.language]}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    result = json.loads(done.stdout)
    assert result["heavy"] == []
    expected = fitted.classify_sync("다음 주 화요일 오후 2시에 상담 예약하고 싶어요")
    assert result["answer"] == [expected.intent, expected.confidence, expected.language]
    assert len(list(cache.iterdir())) == 1, "the child used the cache, it did not fit again"


def test_a_cache_miss_fits_in_a_child_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nlu import embedded

    monkeypatch.setattr(
        EmbeddedClassifier, "train", classmethod(lambda cls, *a, **k: pytest.fail("fitted in this process"))
    )
    assert embedded.EmbeddedClassifier.load(cache_dir=tmp_path).classify_sync("köszönöm").language == "hu"


def test_a_failing_child_falls_back_to_fitting_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    with caplog.at_level(logging.WARNING, logger="nlu.embedded"):
        classifier = EmbeddedClassifier.load(cache_dir=tmp_path / "cache")
    assert classifier.classify_sync("상담 예약하고 싶어요").intent == "appointment_request"
    assert "fitting here" in caplog.text
    assert len(list((tmp_path / "cache").iterdir())) == 1


def test_fit_round_trips_through_bytes(classifier: EmbeddedClassifier) -> None:
    again = EmbeddedClassifier.from_bytes(classifier.to_bytes())
    for text in ("I-1042 어떻게 됐나요?", "szeretnek idopontot kerni", "ok", "👍", "x" * 3000):
        assert again.classify_sync(text, hint="hu") == classifier.classify_sync(text, hint="hu")


@pytest.mark.parametrize("blob", [b"", b"junk", b"PK\x03\x04 truncated zip"])
def test_unreadable_bytes_are_a_value_error(blob: bytes) -> None:
    with pytest.raises(ValueError):
        EmbeddedClassifier.from_bytes(blob)


def test_another_npz_is_not_taken_for_a_fit() -> None:
    buffer = io.BytesIO()
    np.savez(buffer, format=np.frombuffer(b"something-else", dtype=np.uint8))
    with pytest.raises(ValueError, match="format"):
        EmbeddedClassifier.from_bytes(buffer.getvalue())
