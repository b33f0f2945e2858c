"""The default classifier: scikit-learn, trained from nlu/data/nlu.yml when the bot starts."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from nlu.classifier import DATA_DIR, UNDETERMINED, Classification, Example, load_examples

DEFAULT_DATA_DIR = DATA_DIR
TRAINING_FILE = "nlu.yml"

# Intent is decided in the opening of a message; scoring a 10k-character paste in full buys
# nothing but latency.
MAX_CHARS = 1000

_TICKET = re.compile(r"(?<![0-9a-z])[icna]\s?-\s?\d{2,7}(?!\d)")
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")


def intent_features_text(text: str) -> str:
    """What the intent model sees: folded case, no accents, ticket numbers and digits collapsed.

    Hungarian is typed with and without accents ("időpont" / "idopont"), so accents carry no
    intent; any ticket number says the same thing as any other.
    """
    decomposed = unicodedata.normalize("NFD", text[:MAX_CHARS].casefold())
    # NFC afterwards recomposes Hangul syllables, which NFD split into jamo.
    text = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))
    text = _TICKET.sub(" ticketno ", text)
    text = _DIGITS.sub("0", text)
    return _SPACES.sub(" ", text).strip()


def _is_hangul(ch: str) -> bool:
    code = ord(ch)
    return (
        0xAC00 <= code <= 0xD7A3  # syllables
        or 0x1100 <= code <= 0x11FF  # jamo
        or 0x3130 <= code <= 0x318F  # compatibility jamo: ㅋㅋ, ㄱㅅ
    )


def _is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and "LATIN" in unicodedata.name(ch, "")


class LanguageDetector:
    """ko / en / hu: any Hangul majority is Korean outright; Latin text goes to a char n-gram model."""

    def __init__(self, latin_model: Pipeline) -> None:
        self._latin_model = latin_model

    @classmethod
    def train(cls, examples: Sequence[Example]) -> LanguageDetector:
        latin = [e for e in examples if e.language != "ko" and any(map(_is_latin_letter, e.text))]
        model = Pipeline(
            [
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb", ngram_range=(1, 3), lowercase=True, sublinear_tf=True
                    ),
                ),
                ("model", LogisticRegression(C=10.0, max_iter=2000)),
            ]
        )
        model.fit([e.text for e in latin], [e.language for e in latin])
        return cls(model)

    def detect(self, text: str) -> str:
        text = text[:MAX_CHARS]
        hangul = sum(map(_is_hangul, text))
        latin = sum(map(_is_latin_letter, text))
        if hangul and hangul >= latin:
            return "ko"
        if not latin:
            # Emoji, digits, punctuation, or a script none of our organisations writes.
            return UNDETERMINED
        return str(self._latin_model.predict([text])[0])


def build_intent_pipeline(*, c: float = 300.0) -> Pipeline:
    """Char n-grams (no tokenizer needed for Korean) plus word uni/bigrams, then logistic regression."""
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "chars",
                            TfidfVectorizer(
                                preprocessor=intent_features_text,
                                analyzer="char_wb",
                                ngram_range=(1, 4),
                                sublinear_tf=True,
                            ),
                        ),
                        (
                            "words",
                            TfidfVectorizer(
                                preprocessor=intent_features_text,
                                analyzer="word",
                                token_pattern=r"(?u)\b\w+\b",
                                ngram_range=(1, 2),
                                sublinear_tf=True,
                            ),
                        ),
                    ]
                ),
            ),
            ("model", LogisticRegression(C=c, solver="newton-cg", max_iter=1000)),
        ]
    )


class EmbeddedClassifier:
    """Intent and language of a citizen's message, in-process; about a millisecond per message."""

    def __init__(self, intent_model: Pipeline, language_detector: LanguageDetector) -> None:
        self._intent_model = intent_model
        self._intents: tuple[str, ...] = tuple(str(name) for name in intent_model.classes_)
        self._language = language_detector

    @classmethod
    def train(cls, data_dir: Path = DEFAULT_DATA_DIR) -> EmbeddedClassifier:
        """Fit both models on `data_dir`/nlu.yml."""
        return cls.from_examples(load_examples(Path(data_dir) / TRAINING_FILE))

    @classmethod
    def from_examples(cls, examples: Sequence[Example]) -> EmbeddedClassifier:
        intent_model = build_intent_pipeline()
        # On a matrix this small BLAS threads cost more than they save (measured 0.45 s -> 0.32 s).
        with threadpool_limits(limits=1):
            intent_model.fit([e.text for e in examples], [e.intent for e in examples])
            language_detector = LanguageDetector.train(examples)
        return cls(intent_model, language_detector)

    def classify_sync(self, text: str) -> Classification:
        if not text.strip():
            return Classification(intent="out_of_scope", confidence=1.0, language=UNDETERMINED)
        probabilities = self._intent_model.predict_proba([text])[0]
        best = int(probabilities.argmax())
        return Classification(
            intent=self._intents[best],
            confidence=float(probabilities[best]),
            language=self._language.detect(text),
        )

    async def classify(self, text: str) -> Classification:
        # About 1.5 ms of CPU (input capped at MAX_CHARS): cheaper inline than a hop to a thread.
        return self.classify_sync(text)
