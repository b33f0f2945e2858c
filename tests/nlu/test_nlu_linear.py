"""CompiledLinear gives scikit-learn's own probabilities, without scikit-learn's per-call overhead."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from nlu.classifier import DATA_DIR, load_examples
from nlu.embedded import build_intent_pipeline
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
    compiled = CompiledLinear(fitted)
    assert compiled.classes == tuple(fitted.classes_)
    expected = fitted.predict_proba(PROBES)
    actual = np.array([compiled.probabilities(text) for text in PROBES])
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12)


def test_binary_decision_matches_decision_function() -> None:
    latin = [e for e in EXAMPLES if e.language in ("en", "hu")]
    model = Pipeline(
        [("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3))), ("model", LogisticRegression())]
    ).fit([e.text for e in latin], [e.language for e in latin])
    compiled = CompiledLinear(model)
    np.testing.assert_allclose(
        [compiled.decision(text)[0] for text in PROBES],
        model.decision_function(PROBES),
        rtol=1e-9,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        [compiled.probabilities(text) for text in PROBES], model.predict_proba(PROBES), rtol=1e-9, atol=1e-12
    )


def test_only_l2_tfidf_is_accepted() -> None:
    model = Pipeline([("chars", TfidfVectorizer(norm="l1")), ("model", LogisticRegression())])
    model.fit(["alpha beta", "gamma delta"], ["x", "y"])
    with pytest.raises(TypeError, match="l2-normalised"):
        CompiledLinear(model)
