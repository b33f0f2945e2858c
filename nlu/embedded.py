"""The default classifier: scikit-learn, trained from nlu/data/nlu.yml when the bot starts."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import pickle
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from nlu import linear
from nlu.cache import cache_root
from nlu.classifier import DATA_DIR, LANGUAGES, UNDETERMINED, Classification, Example, load_examples
from nlu.linear import CompiledLinear

log = logging.getLogger(__name__)

DEFAULT_DATA_DIR = DATA_DIR
TRAINING_FILE = "nlu.yml"

# Intent is decided in the opening of a message; scoring a 10k-character paste in full buys
# nothing but latency.
MAX_CHARS = 1000

_TICKET = re.compile(r"(?<![0-9a-z])[icna]\s?-\s?\d{2,7}(?!\d)")
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")

# How much Telegram's language_code counts when the letters alone leave English and Hungarian close
# ("ok", "szia", "hello"): the hinted language is taken as 4:1 likely before the text is read.
HINT_LOG_ODDS = math.log(4.0)


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
        self._latin_model = CompiledLinear(latin_model)

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

    def detect(self, text: str, hint: str | None = None) -> str:
        """The text's language; `hint` (Telegram's language_code, e.g. "hu" or "en-GB") is a prior only."""
        # A bare ticket number ("A-1045") says nothing about the writer's language.
        text = _TICKET.sub(" ", text[:MAX_CHARS].casefold())
        prior = normalise_hint(hint)
        hangul = sum(map(_is_hangul, text))
        latin = sum(map(_is_latin_letter, text))
        if hangul and hangul >= latin:
            return "ko"
        if not latin:
            # Emoji, digits, punctuation, or a script none of our organisations writes: only the
            # hint can say which language to answer in.
            return prior or UNDETERMINED
        (log_odds,) = self._latin_model.decision(text)  # > 0 favours classes[1]
        second = self._latin_model.classes[1]
        if prior in self._latin_model.classes:
            log_odds += HINT_LOG_ODDS if prior == second else -HINT_LOG_ODDS
        return second if log_odds > 0 else self._latin_model.classes[0]


def normalise_hint(hint: str | None) -> str | None:
    """Telegram's language_code ("en-GB", "HU") as one of ours, or None."""
    language = (hint or "").split("-")[0].strip().lower()
    return language if language in LANGUAGES else None


def intent_text_without_spaces(text: str) -> str:
    """Korean spacing is loose ("상담 예약 하고" / "상담예약하고"): n-grams across the gaps see both as one."""
    return intent_features_text(text).replace(" ", "")


def build_intent_pipeline(*, c: float = 300.0) -> Pipeline:
    """Char n-grams (no tokenizer needed for Korean) plus word uni/bigrams, then logistic regression.

    Chosen by 5-fold cross-validation on nlu.yml (macro-F1): char_wb 1-3 + words 1-2 + char 2-4
    without spaces 0.915; without the last 0.909; char_wb 1-4 + words 0.913.
    """
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        ("chars", _tfidf(intent_features_text, analyzer="char_wb", ngram_range=(1, 3))),
                        (
                            "words",
                            _tfidf(
                                intent_features_text,
                                analyzer="word",
                                token_pattern=r"(?u)\b\w+\b",
                                ngram_range=(1, 2),
                            ),
                        ),
                        ("joined", _tfidf(intent_text_without_spaces, analyzer="char", ngram_range=(2, 4))),
                    ]
                ),
            ),
            ("model", LogisticRegression(C=c, solver="newton-cg", max_iter=1000)),
        ]
    )


def _tfidf(preprocessor, **options) -> TfidfVectorizer:
    return TfidfVectorizer(preprocessor=preprocessor, sublinear_tf=True, **options)


def _fit_key(training: Path) -> str:
    digest = hashlib.sha256(sklearn.__version__.encode())
    for path in (training, Path(__file__), Path(linear.__file__)):
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


class EmbeddedClassifier:
    """Intent and language of a citizen's message, in-process; well under a millisecond per message."""

    def __init__(self, intent_model: Pipeline, language_detector: LanguageDetector) -> None:
        self._intent_model = CompiledLinear(intent_model)
        self._intents = self._intent_model.classes
        self._language = language_detector

    @classmethod
    def train(cls, data_dir: Path = DEFAULT_DATA_DIR) -> EmbeddedClassifier:
        """Fit both models on `data_dir`/nlu.yml."""
        return cls.from_examples(load_examples(Path(data_dir) / TRAINING_FILE))

    @classmethod
    def load(cls, data_dir: Path = DEFAULT_DATA_DIR, *, cache_dir: Path | None = None) -> EmbeddedClassifier:
        """The fit for `data_dir`/nlu.yml from the cache (~10 ms), else trained (~1 s) and cached.

        Keyed by the training data, this module's and nlu/linear.py's source and the scikit-learn
        version, so a changed feature or model is never served stale. The cache is the user's own
        folder (nlu.cache.cache_root()); anything unreadable there is retrained over.
        """
        training = Path(data_dir) / TRAINING_FILE
        path = Path(cache_dir or cache_root() / "embedded") / f"{_fit_key(training)}.pickle"
        try:
            with open(path, "rb") as handle:
                cached = pickle.load(handle)
            if isinstance(cached, cls):
                return cached
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            pass
        classifier = cls.train(data_dir)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.partial")
            partial.write_bytes(pickle.dumps(classifier, protocol=pickle.HIGHEST_PROTOCOL))
            partial.replace(path)  # atomic: a concurrent start never reads half a file
        except OSError as exc:
            log.warning("could not cache the embedded classifier at %s: %s", path, exc)
        return classifier

    @classmethod
    def from_examples(cls, examples: Sequence[Example]) -> EmbeddedClassifier:
        intent_model = build_intent_pipeline()
        # On a matrix this small BLAS threads cost more than they save (measured 0.45 s -> 0.32 s).
        with threadpool_limits(limits=1):
            intent_model.fit([e.text for e in examples], [e.intent for e in examples])
            language_detector = LanguageDetector.train(examples)
        return cls(intent_model, language_detector)

    def classify_sync(self, text: str, *, hint: str | None = None) -> Classification:
        """Intent, its probability, and language (`hint`: Telegram's language_code, a prior only)."""
        if not text.strip():
            return Classification(
                intent="out_of_scope", confidence=1.0, language=normalise_hint(hint) or UNDETERMINED
            )
        probabilities = self._intent_model.probabilities(text[:MAX_CHARS])
        best = int(probabilities.argmax())
        return Classification(
            intent=self._intents[best],
            confidence=float(probabilities[best]),
            language=self._language.detect(text, hint),
        )

    async def classify(self, text: str, *, hint: str | None = None) -> Classification:
        # About 0.1 ms of CPU (input capped at MAX_CHARS): cheaper inline than a hop to a thread.
        return self.classify_sync(text, hint=hint)
