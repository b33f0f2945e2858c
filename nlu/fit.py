"""Training the embedded classifier with scikit-learn: the only module of nlu/ that imports it.

The bot loads the fitted arrays (nlu.embedded) and scores with numpy, so scikit-learn and scipy
(~100 MB resident) stay out of its process. On a cache miss the fit runs in a child process:

    python -m nlu.fit DATA_DIR > model.npz     # the fit of DATA_DIR/nlu.yml, as nlu.embedded stores it
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from nlu.calibration import fit_temperature
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
# Temperature scaling (nlu.calibration) is fitted on out-of-fold scores of this many folds of the
# training data: never on test.yml or real.tsv.
CALIBRATION_FOLDS = 5
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


def fit_intent_model(examples: Sequence[Example]) -> CompiledLinear:
    """The intent model alone, fitted on `examples` (uncalibrated)."""
    texts = [e.text for e in examples]
    # A family with no n-gram in the data (jamo, for data without Korean) has nothing to learn.
    intent_model = tfidf_pipeline([a for a in INTENT_FEATURES if any(map(a, texts))], c=INTENT_C)
    intent_model.fit(texts, [e.intent for e in examples])
    return CompiledLinear.from_pipeline(intent_model)


def fit_temperature_by_cv(examples: Sequence[Example], *, folds: int = CALIBRATION_FOLDS, seed: int = 0) -> float:
    """T fitted on out-of-fold scores of `examples` (folds stratified by intent and language); 1.0 if too few."""
    strata = [f"{e.intent}|{e.language}" for e in examples]
    smallest = min(Counter(strata).values(), default=0)
    folds = min(folds, smallest)
    if folds < 2 or len({e.intent for e in examples}) < 2:
        return 1.0
    intents = sorted({e.intent for e in examples})
    scores = np.zeros((len(examples), len(intents)))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(examples)), strata):
        model = fit_intent_model([examples[i] for i in train])
        columns = [intents.index(c) for c in model.classes]
        for i in test:
            # An intent missing from this fold's training part gets a score far below the rest.
            row = np.full(len(intents), -1e3)
            row[columns] = model.class_scores(examples[i].text)
            scores[i] = row
    return fit_temperature(scores, [intents.index(e.intent) for e in examples])


def fit(examples: Sequence[Example], *, calibrate: bool = True) -> EmbeddedClassifier:
    """Both models, fitted on `examples`; with `calibrate`, the temperature too (5 more fits).

    This is the one function that turns a list of examples into the classifier the bot serves
    (nlu.yml's examples, or those plus staff corrections).
    """
    # On a matrix this small BLAS threads cost more than they save (measured 0.45 s -> 0.32 s).
    with threadpool_limits(limits=1):
        intent_model = fit_intent_model(examples)
        language_detector = fit_language_detector(examples)
        temperature = fit_temperature_by_cv(examples) if calibrate else 1.0
    return EmbeddedClassifier(
        intent_model,
        language_detector,
        temperature=temperature,
        languages=sorted({e.language for e in examples}),
    )


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
