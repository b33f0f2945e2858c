"""CompiledLinear gives scikit-learn's own probabilities, without scikit-learn's per-call overhead
and, once stored as arrays, without scikit-learn at all."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from nlu.classifier import DATA_DIR, load_examples
from nlu.features import Analyzer
from nlu.fit import build_intent_pipeline
from nlu.linear import CompiledLinear

EXAMPLES = load_examples(DATA_DIR / "nlu.yml")
PROBES = [e.text for e in load_examples(DATA_DIR / "test.yml")][::7] + [
    "",
    "👍",
    "x" * 3000,
    "zzzzqqq unseen words only",
    "I-1042 C-1043",
    "상담예약하구싶어요",
]


@pytest.fixture(scope="module")
def fitted() -> Pipeline:
    return build_intent_pipeline().fit([e.text for e in EXAMPLES], [e.intent for e in EXAMPLES])


def test_multinomial_probabilities_match_predict_proba(fitted: Pipeline) -> None:
    compiled = CompiledLinear.from_pipeline(fitted)
    assert compiled.classes == tuple(fitted.classes_)
    expected = fitted.predict_proba(PROBES)
    actual = np.array([compiled.probabilities(text) for text in PROBES])
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12)


def test_binary_decision_matches_decision_function() -> None:
    latin = [e for e in EXAMPLES if e.language in ("en", "hu")]
    model = Pipeline(
        [
            ("chars", TfidfVectorizer(analyzer=Analyzer("lower", "char_wb", 1, 3))),
            ("model", LogisticRegression()),
        ]
    ).fit([e.text for e in latin], [e.language for e in latin])
    compiled = CompiledLinear.from_pipeline(model)
    np.testing.assert_allclose(
        [compiled.decision(text)[0] for text in PROBES],
        model.decision_function(PROBES),
        rtol=1e-9,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        [compiled.probabilities(text) for text in PROBES], model.predict_proba(PROBES), rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize(
    "vectorizer",
    [
        TfidfVectorizer(analyzer=Analyzer("lower", "char", 1, 2), norm="l1"),
        TfidfVectorizer(analyzer="char_wb"),  # scikit-learn's own analyzer: not servable without it
    ],
)
def test_only_l2_tfidf_over_our_analyzers_is_accepted(vectorizer) -> None:
    model = Pipeline([("chars", vectorizer), ("model", LogisticRegression())])
    model.fit(["alpha beta", "gamma delta"], ["x", "y"])
    with pytest.raises(TypeError, match="l2-normalised"):
        CompiledLinear.from_pipeline(model)


def test_arrays_round_trip_scores_the_same(fitted: Pipeline) -> None:
    compiled = CompiledLinear.from_pipeline(fitted)
    arrays = compiled.to_arrays("m")
    assert all(isinstance(value, np.ndarray) and value.dtype != object for value in arrays.values())
    again = CompiledLinear.from_arrays(arrays, "m")
    assert again.classes == compiled.classes
    for text in PROBES:
        np.testing.assert_array_equal(again.decision(text), compiled.decision(text))


def test_odd_terms_survive_the_round_trip() -> None:
    terms = ["a\x00", "\ud800", "상담", " é", ""]
    model = CompiledLinear(
        [(Analyzer("lower", "char", 1, 2), terms, np.ones(len(terms)), True)],
        np.arange(2.0 * len(terms)).reshape(len(terms), 2),
        np.zeros(2),
        ("x", "y"),
    )
    again = CompiledLinear.from_arrays(model.to_arrays("p"), "p")
    for text in ("a\x00", "\ud800", "상담", "zz"):
        np.testing.assert_array_equal(again.decision(text), model.decision(text))


def test_weights_must_fit_the_vocabulary() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        CompiledLinear(
            [(Analyzer("lower", "char", 1, 1), ["a", "b"], np.ones(2), True)],
            np.ones((3, 2)),
            np.zeros(2),
            ("x", "y"),
        )


def test_binary_probability_does_not_overflow() -> None:
    model = CompiledLinear(
        [(Analyzer("lower", "char", 1, 1), ["a"], np.ones(1), False)],
        np.array([[-1e6]]),
        np.zeros(1),
        ("x", "y"),
    )
    np.testing.assert_allclose(model.probabilities("a"), [1.0, 0.0])
    np.testing.assert_allclose(model.probabilities("b"), [0.5, 0.5])
