"""nlu.corrections: corrected messages folded into the fit, kept per organisation, never served stale."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from charterdesk.assembly import build_classifier
from nlu import corrections
from nlu.classifier import Example
from nlu.corrections import Corrected
from nlu.embedded import EmbeddedClassifier
from tests.nlu.tiny_nlu import TINY_NLU

LIFT = "the lift in block four is broken again and my mother cannot get out"


@pytest.fixture
def data_dir(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "nlu.yml").write_text(TINY_NLU, encoding="utf-8")
    return folder


def test_usable_corrections_become_examples_and_the_rest_are_counted():
    base = [Example("where is the office", "inquiry", "en")]
    examples, skipped = corrections.training_examples(base, [
        Corrected(" the lift is broken ", "complaint", "en"),
        Corrected("エレベーターが壊れています", "complaint", "ja"),  # a language the classifier is not trained for
        Corrected("you never answered I-1042", "non_response_complaint", "en"),  # no intent of that name
        Corrected("   ", "inquiry", "en"),
    ])
    assert examples == [*base, Example("the lift is broken", "complaint", "en")] and skipped == 3


def test_a_retrain_learns_the_correction_and_is_what_load_serves(data_dir, tmp_path):
    cache = tmp_path / "cache"
    assert EmbeddedClassifier.train(data_dir).classify_sync(LIFT).intent == "inquiry"  # the mistake staff fixed
    done = corrections.retrain("안심복지관", [Corrected(LIFT, "complaint", "en")], data_dir=data_dir, cache_dir=cache)
    assert (done.base, done.added, done.skipped) == (20, 1, 0) and done.path.exists()
    assert "안심" not in done.path.name  # named by a hash of the organisation
    learned = corrections.load("안심복지관", data_dir=data_dir, cache_dir=cache)
    assert learned.classify_sync(LIFT).intent == "complaint"
    assert corrections.load("another organisation", data_dir=data_dir, cache_dir=cache) is None


def test_a_changed_training_file_makes_the_fit_stale_and_a_retrain_drops_the_old_one(data_dir, tmp_path, caplog):
    cache = tmp_path / "cache"
    first = corrections.retrain("Org", [Corrected(LIFT, "complaint", "en")], data_dir=data_dir, cache_dir=cache)
    (data_dir / "nlu.yml").write_text(TINY_NLU.replace("when is the office open", "when are you open"), encoding="utf-8")
    assert corrections.load("Org", data_dir=data_dir, cache_dir=cache) is None
    assert "charterdesk nlu retrain" in caplog.text
    second = corrections.retrain("Org", [], data_dir=data_dir, cache_dir=cache)
    assert not first.path.exists() and second.path.exists()  # the old fit held a message that may be erased since


def test_an_unreadable_fit_is_not_served(data_dir, tmp_path):
    cache = tmp_path / "cache"
    path = corrections.model_path("Org", data_dir=data_dir, cache_dir=cache)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a model")
    assert corrections.load("Org", data_dir=data_dir, cache_dir=cache) is None


def test_run_serves_the_corrected_fit_only_when_the_charter_opts_in(charter, tmp_path, monkeypatch):
    monkeypatch.setenv("CHARTERDESK_CACHE", str(tmp_path))
    corrections.retrain(charter.organisation.name, [Corrected(LIFT, "appointment_request", "en")])
    settings = SimpleNamespace(rasa_url=None)
    opted_in = charter.model_copy(update={"nlu": charter.nlu.model_copy(update={"learn_from_corrections": True})})
    assert build_classifier(settings, opted_in).classify_sync(LIFT).intent == "appointment_request"
    assert build_classifier(settings, charter).classify_sync(LIFT).intent != "appointment_request"
