"""Training the embedded classifier with scikit-learn: the only module of nlu/ that imports it.

The bot loads the fitted arrays (nlu.embedded) and scores with numpy, so scikit-learn and scipy
(~100 MB resident) stay out of its process. On a cache miss the fit runs in a child process:

    python -m nlu.fit DATA_DIR > model.npz     # the fit of DATA_DIR/nlu.yml, as nlu.embedded stores it
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from nlu.classifier import Example, load_examples
from nlu.embedded import TRAINING_FILE, EmbeddedClassifier, LanguageDetector, is_latin_letter
from nlu.features import Analyzer
from nlu.linear import CompiledLinear

# Chosen by 5-fold cross-validation on nlu.yml only (macro-F1; `python -m bench.nlu --cv`, figures in
# docs/benchmarks.md, section nlu-cv): the jamo family lifts Korean (0.934 -> 0.942) and leaves
# English and Hungarian as they were; wider char ranges and other C values moved nothing beyond noise.
INTENT_FEATURES: tuple[Analyzer, ...] = (
    Analyzer("intent", "char_wb", 1, 3),
    Analyzer("intent", "word", 1, 2),
    Analyzer("intent_joined", "char", 2, 4),
    Analyzer("jamo", "char_wb", 2, 5),
)
INTENT_C = 300.0
LANGUAGE_FEATURES: tuple[Analyzer, ...] = (Analyzer("lower", "char_wb", 1, 3),)


def tfidf_pipeline(analyzers: Sequence[Analyzer], *, c: float) -> Pipeline:
    """Sublinear tf-idf per n-gram family, l2-normalised each, then multinomial logistic regression."""
    vectorizers = [
        (
            f"{a.preprocess}-{a.kind}-{a.low}-{a.high}",
            TfidfVectorizer(analyzer=a, sublinear_tf=True, lowercase=False),
        )
        for a in analyzers
    ]
    return Pipeline(
        [
            ("features", FeatureUnion(vectorizers)),
            ("model", LogisticRegression(C=c, solver="newton-cg", max_iter=1000)),
        ]
    )


def build_intent_pipeline(*, c: float = INTENT_C) -> Pipeline:
    """Char n-grams (no tokenizer needed for Korean), word uni/bigrams, Korean jamo n-grams; logistic regression."""
    return tfidf_pipeline(INTENT_FEATURES, c=c)


def fit_language_detector(examples: Sequence[Example]) -> LanguageDetector:
    """English against Hungarian on Latin letters (Korean is told by its script, no model needed)."""
    latin = [e for e in examples if e.language != "ko" and any(map(is_latin_letter, e.text))]
    model = tfidf_pipeline(LANGUAGE_FEATURES, c=10.0)
    model.fit([e.text for e in latin], [e.language for e in latin])
    return LanguageDetector(CompiledLinear.from_pipeline(model))


def fit(examples: Sequence[Example]) -> EmbeddedClassifier:
    """Both models, fitted on `examples`."""
    texts = [e.text for e in examples]
    # A family with no n-gram in the data (jamo, for data without Korean) has nothing to learn.
    intent_model = tfidf_pipeline([a for a in INTENT_FEATURES if any(map(a, texts))], c=INTENT_C)
    # On a matrix this small BLAS threads cost more than they save (measured 0.45 s -> 0.32 s).
    with threadpool_limits(limits=1):
        intent_model.fit(texts, [e.intent for e in examples])
        language_detector = fit_language_detector(examples)
    return EmbeddedClassifier(CompiledLinear.from_pipeline(intent_model), language_detector)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m nlu.fit DATA_DIR > model.npz", file=sys.stderr)
        return 2
    classifier = fit(load_examples(Path(argv[0]) / TRAINING_FILE))
    sys.stdout.buffer.write(classifier.to_bytes())
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
