"""A fitted tf-idf + linear model as plain arrays and vocabularies, scored with numpy alone.

scikit-learn's `predict_proba` on one message builds sparse matrices and validates inputs on every
call (about 1.5 ms here), and importing it (with scipy) costs ~100 MB of resident memory; the
arithmetic itself is a few hundred multiply-adds. This keeps what the arithmetic needs: for each
n-gram family its analyzer (nlu.features, the very function the vectorizer was fitted with), its
vocabulary and idf weights; the model's coefficients; sublinear tf and l2 normalisation per family.
scikit-learn is only touched in `from_pipeline`, by duck typing, so this module never imports it.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from nlu.features import Analyzer


@dataclass(frozen=True)
class _Part:
    analyzer: Analyzer
    vocabulary: dict[str, int]
    idf: np.ndarray
    sublinear: bool
    offset: int


class CompiledLinear:
    """Class scores of Pipeline([(TfidfVectorizer or FeatureUnion of them), (linear model)]), without it."""

    def __init__(
        self,
        parts: list[tuple[Analyzer, list[str], np.ndarray, bool]],
        weights: np.ndarray,
        intercept: np.ndarray,
        classes: tuple[str, ...],
    ) -> None:
        self._parts: list[_Part] = []
        offset = 0
        for analyzer, terms, idf, sublinear in parts:
            if len(terms) != len(idf):
                raise ValueError("each term needs its idf weight")
            vocabulary = {term: index for index, term in enumerate(terms)}
            self._parts.append(
                _Part(analyzer, vocabulary, np.asarray(idf, dtype=float), bool(sublinear), offset)
            )
            offset += len(terms)
        # Rows per feature, so one message gathers only the rows of the n-grams it contains.
        self._weights = np.ascontiguousarray(weights, dtype=float)
        self._intercept = np.asarray(intercept, dtype=float)
        if self._weights.shape != (offset, len(self._intercept)):
            raise ValueError(f"weights of shape {self._weights.shape} do not fit {offset} features")
        self.classes: tuple[str, ...] = tuple(map(str, classes))

    @classmethod
    def from_pipeline(cls, pipeline) -> CompiledLinear:
        """From a fitted scikit-learn Pipeline whose vectorizers use nlu.features.Analyzer."""
        features, model = pipeline.steps[0][1], pipeline.steps[-1][1]
        vectorizers = [v for _, v in getattr(features, "transformer_list", [(None, features)])]
        parts = []
        for vectorizer in vectorizers:
            if getattr(vectorizer, "norm", None) != "l2" or not isinstance(
                getattr(vectorizer, "analyzer", None), Analyzer
            ):
                raise TypeError(
                    "CompiledLinear handles l2-normalised TfidfVectorizers over nlu.features.Analyzer only"
                )
            terms = [""] * len(vectorizer.vocabulary_)
            for term, index in vectorizer.vocabulary_.items():
                terms[index] = term
            parts.append((vectorizer.analyzer, terms, vectorizer.idf_, vectorizer.sublinear_tf))
        return cls(parts, np.asarray(model.coef_).T, model.intercept_, tuple(model.classes_))

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """Everything this model is, as named numpy arrays (no Python objects: np.load needs no pickle)."""
        meta = {
            "classes": list(self.classes),
            "parts": [
                {
                    "analyzer": [p.analyzer.preprocess, p.analyzer.kind, p.analyzer.low, p.analyzer.high],
                    "terms": sorted(p.vocabulary, key=p.vocabulary.__getitem__),
                    "sublinear": p.sublinear,
                }
                for p in self._parts
            ],
        }
        # ensure_ascii: lone surrogates or NULs in a term survive the round trip as escapes.
        arrays = {
            f"{prefix}.meta": np.frombuffer(
                json.dumps(meta, ensure_ascii=True).encode("ascii"), dtype=np.uint8
            ),
            f"{prefix}.weights": self._weights,
            f"{prefix}.intercept": self._intercept,
        }
        for index, part in enumerate(self._parts):
            arrays[f"{prefix}.idf{index}"] = part.idf
        return arrays

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> CompiledLinear:
        """The inverse of `to_arrays` (`arrays`: a mapping such as an open np.load file)."""
        meta = json.loads(bytes(arrays[f"{prefix}.meta"]).decode("ascii"))
        parts = [
            (Analyzer(*part["analyzer"]), part["terms"], arrays[f"{prefix}.idf{index}"], part["sublinear"])
            for index, part in enumerate(meta["parts"])
        ]
        return cls(parts, arrays[f"{prefix}.weights"], arrays[f"{prefix}.intercept"], tuple(meta["classes"]))

    def decision(self, text: str) -> np.ndarray:
        """The model's decision_function for one text (one value per class; one value if binary)."""
        rows: list[int] = []
        values: list[float] = []
        for part in self._parts:
            vocabulary = part.vocabulary
            # Count every n-gram, then look up each distinct one once (most repeat in a long message).
            counts = [(vocabulary[term], n) for term, n in Counter(part.analyzer(text)).items() if term in vocabulary]
            if not counts:
                continue
            indices = [index for index, _ in counts]
            tf = [1.0 + math.log(n) if part.sublinear else float(n) for _, n in counts]
            weights = np.asarray(tf) * part.idf[indices]
            weights /= math.sqrt(float(weights @ weights))
            rows.extend(part.offset + index for index in indices)
            values.extend(weights.tolist())
        if not rows:
            return self._intercept.copy()
        return self._intercept + np.asarray(values) @ self._weights[rows]

    def probabilities(self, text: str, temperature: float = 1.0) -> np.ndarray:
        """predict_proba of a multinomial (or binary) logistic regression, scores divided by `temperature`."""
        scores = self.decision(text) / temperature
        if len(scores) == 1:
            score = float(scores[0])
            # The logistic function, written so neither branch can overflow.
            positive = (
                1.0 / (1.0 + math.exp(-score)) if score >= 0 else math.exp(score) / (1.0 + math.exp(score))
            )
            return np.array([1.0 - positive, positive])
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()

    def class_scores(self, text: str) -> np.ndarray:
        """One score per class such that softmax(scores) == probabilities (binary: [0, decision])."""
        scores = self.decision(text)
        return np.array([0.0, float(scores[0])]) if len(scores) == 1 else scores
