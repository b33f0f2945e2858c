"""Temperature scaling and the calibration measures, on cases small enough to work out by hand."""

import numpy as np
import pytest

from nlu.calibration import (
    confident_wrong_share,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    softmax,
)
from nlu.classifier import Example
from nlu.embedded import EmbeddedClassifier
from nlu.fit import fit_temperature_by_cv


def test_ece_of_a_known_case():
    # Bin (0.8, 0.9]: confidences 0.9, 0.9, right 1 of 2 -> |0.5 - 0.9| = 0.4, weight 2/4.
    # Bin (0.5, 0.6]: confidences 0.6, 0.6, right 2 of 2 -> |1.0 - 0.6| = 0.4, weight 2/4.
    assert expected_calibration_error([0.9, 0.9, 0.6, 0.6], [True, False, True, True]) == pytest.approx(0.4)
    # Perfectly calibrated: 70% confident, 70% right.
    assert expected_calibration_error([0.7] * 10, [True] * 7 + [False] * 3) == pytest.approx(0.0)
    assert expected_calibration_error([], []) == 0.0
    assert expected_calibration_error([0.0, 1.0], [False, True]) == pytest.approx(0.0)


def test_confident_wrong_share():
    assert confident_wrong_share([0.95, 0.5, 0.99, 0.91], [False, False, True, False]) == pytest.approx(2 / 3)
    assert confident_wrong_share([0.95], [True]) == 0.0


def test_softmax_with_temperature():
    scores = np.array([[2.0, 0.0], [0.0, 0.0]])
    assert softmax(scores)[1] == pytest.approx([0.5, 0.5])
    assert softmax(scores, 2.0)[0, 0] == pytest.approx(1 / (1 + np.exp(-1.0)))
    with pytest.raises(ValueError):
        softmax(scores, 0.0)


def test_fit_temperature_softens_an_overconfident_model_and_sharpens_an_underconfident_one():
    rng = np.random.default_rng(0)
    # True probabilities softmax(z); labels drawn from them. Scores 5z are overconfident (T ~ 5),
    # scores z/4 underconfident (T ~ 0.25).
    z = rng.normal(size=(4000, 3)) * 1.5
    labels = [rng.choice(3, p=row) for row in softmax(z)]
    assert fit_temperature(5 * z, labels) == pytest.approx(5.0, rel=0.15)
    assert fit_temperature(z / 4, labels) == pytest.approx(0.25, rel=0.15)
    best = fit_temperature(z, labels)
    assert best > 0
    assert negative_log_likelihood(z, labels, best) <= negative_log_likelihood(z, labels, 1.0) + 1e-9


def test_fit_temperature_refuses_mismatched_input():
    with pytest.raises(ValueError):
        fit_temperature(np.zeros((3, 2)), [0, 1])
    with pytest.raises(ValueError):
        fit_temperature(np.zeros((0, 2)), [])


def test_too_few_examples_to_cross_validate_leave_the_scores_as_they_are():
    examples = [Example("hello", "greet", "en"), Example("thanks", "thanks", "en")]
    assert fit_temperature_by_cv(examples) == 1.0


def test_the_fitted_temperature_is_served_and_survives_the_cache_format():
    texts = {
        "greet": ["hello", "hi there", "good morning", "hey", "good evening", "hiya"],
        "thanks": ["thanks", "thank you", "cheers", "many thanks", "thanks a lot", "ta"],
        "inquiry": ["when are you open", "what documents do I need", "how do I apply", "is it free",
                    "where are you", "can I come on saturday"],
    }
    examples = [Example(t, intent, "en") for intent, items in texts.items() for t in items]
    # The language model tells English from Hungarian, so it needs a little of both.
    examples += [Example(t, "greet", "hu") for t in ["szia", "jó napot", "helló", "jó reggelt", "sziasztok"]]
    classifier = EmbeddedClassifier.from_examples(examples)
    assert classifier.temperature > 0
    again = EmbeddedClassifier.from_bytes(classifier.to_bytes())
    assert again.temperature == classifier.temperature
    assert again.classify_sync("thank you so much") == classifier.classify_sync("thank you so much")
    with pytest.raises(ValueError):
        EmbeddedClassifier(classifier._intent_model, classifier._language, temperature=0.0)
