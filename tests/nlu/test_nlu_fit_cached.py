"""EmbeddedClassifier.fit_cached: a fit from any list of examples (nlu.yml's plus corrections), cached by them."""

from pathlib import Path

import pytest

from nlu.classifier import Example
from nlu.embedded import EmbeddedClassifier

EXAMPLES = [
    Example(text, intent, language)
    for intent, language, texts in [
        ("greet", "en", ["hello", "hi there", "good morning"]),
        ("inquiry", "en", ["when are you open", "what documents do I need", "how do I apply"]),
        ("greet", "hu", ["szia", "jó napot", "helló"]),
        ("inquiry", "hu", ["mikor vagytok nyitva", "milyen papírok kellenek", "hogyan igényeljek"]),
    ]
    for text in texts
]


def test_a_second_call_with_the_same_examples_reads_the_cache(tmp_path: Path, monkeypatch) -> None:
    first = EmbeddedClassifier.fit_cached(EXAMPLES, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("examples-*.npz"))) == 1

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted again although the cache holds this fit")

    monkeypatch.setattr(EmbeddedClassifier, "from_examples", no_fit)
    again = EmbeddedClassifier.fit_cached(EXAMPLES, cache_dir=tmp_path)
    assert again.classify_sync("when do you open") == first.classify_sync("when do you open")
    assert again.temperature == first.temperature


def test_other_examples_are_another_fit(tmp_path: Path) -> None:
    EmbeddedClassifier.fit_cached(EXAMPLES, cache_dir=tmp_path)
    corrected = [*EXAMPLES, Example("is the office open on sunday", "inquiry", "en")]
    EmbeddedClassifier.fit_cached(corrected, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("examples-*.npz"))) == 2


def test_an_unreadable_cache_file_is_fitted_over(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    EmbeddedClassifier.fit_cached(EXAMPLES, cache_dir=tmp_path)
    (path,) = tmp_path.glob("examples-*.npz")
    path.write_bytes(b"not an npz file")
    classifier = EmbeddedClassifier.fit_cached(EXAMPLES, cache_dir=tmp_path)
    assert classifier.classify_sync("hello").intent == "greet"
    assert "unreadable" in caplog.text
