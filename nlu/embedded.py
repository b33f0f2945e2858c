"""The default classifier: fitted with scikit-learn from nlu/data/nlu.yml, served with numpy alone.

The fit (nlu.fit) is cached as plain arrays keyed by the data's hash; loading it imports neither
scikit-learn nor scipy, which keeps ~100 MB out of the bot's resident memory. A cache miss fits in
a child process (six fits: the model, and five more for its calibration), so even then the bot
never holds scikit-learn.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np

from nlu import features, languages, linear
from nlu.cache import cache_root
from nlu.classifier import DATA_DIR, LANGUAGES, UNDETERMINED, Classification, Example, load_examples
from nlu.features import MAX_CHARS, TICKET, intent_features_text, intent_text_without_spaces
from nlu.linear import CompiledLinear

__all__ = ["MAX_CHARS", "EmbeddedClassifier", "intent_features_text", "intent_text_without_spaces"]

log = logging.getLogger(__name__)

DEFAULT_DATA_DIR = DATA_DIR
TRAINING_FILE = "nlu.yml"
FORMAT = "charterdesk-embedded-2"

# How much Telegram's language_code counts when the letters alone leave English and Hungarian close
# ("ok", "szia", "hello"): the hinted language is taken as 4:1 likely before the text is read.
HINT_LOG_ODDS = math.log(4.0)


def _is_hangul(ch: str) -> bool:
    code = ord(ch)
    return (
        0xAC00 <= code <= 0xD7A3  # syllables
        or 0x1100 <= code <= 0x11FF  # jamo
        or 0x3130 <= code <= 0x318F  # compatibility jamo: ㅋㅋ, ㄱㅅ
    )


def is_latin_letter(ch: str) -> bool:
    """A letter of the Latin script (with or without accents)."""
    return ch.isalpha() and "LATIN" in unicodedata.name(ch, "")


# lingua's word on Latin-script text is taken over the charter-trained English/Hungarian model only
# when it is this sure of a third language and the text has this many letters: on a few words
# low-accuracy lingua guesses widely ("what's the capital of peru" -> de). Chosen on nlu.yml only: of
# its 2,957 English and Hungarian examples 7 pass both bars (0.2%); German, French, Spanish,
# Vietnamese, Polish, Turkish, Indonesian, Romanian, Tagalog and Czech requests of one sentence
# score 0.99-1.0.
FOREIGN_LATIN_CONFIDENCE = 0.95
FOREIGN_LATIN_MIN_LETTERS = 15


class LanguageDetector:
    """Any language: Hangul is Korean outright; English/Hungarian by a char n-gram model; the rest by lingua."""

    def __init__(self, latin_model: CompiledLinear) -> None:
        self._latin_model = latin_model

    @property
    def model(self) -> CompiledLinear:
        """English against Hungarian, on Latin-script text."""
        return self._latin_model

    def detect(self, text: str, hint: str | None = None) -> str:
        """ISO 639-1 code of the text's language, "und" if it cannot tell.

        `hint` (Telegram's language_code, e.g. "hu" or "en-GB") is a prior only: it decides letterless
        text and close calls, never against clear text.
        """
        # A bare ticket number ("A-1045") says nothing about the writer's language, and the opening
        # sentences settle it: reading further only costs time.
        text = TICKET.sub(" ", text[: languages.READ_CHARS].casefold())
        prior = normalise_hint(hint)
        hangul = sum(map(_is_hangul, text))
        latin = sum(map(is_latin_letter, text))
        letters = sum(ch.isalpha() for ch in text)
        if hangul and hangul >= latin:
            return "ko"
        if not letters:
            # Emoji, digits, punctuation: only the hint can say which language to answer in.
            return prior or UNDETERMINED
        if latin < letters - latin:
            # Mostly another script (Cyrillic, Arabic, kana, Han, Thai, ...): lingua is reliable here.
            found = languages.guesses(text)
            return _with_prior(found, prior) if found else prior or UNDETERMINED
        # Latin text: lingua's answer counts only from FOREIGN_LATIN_MIN_LETTERS letters on, so shorter text
        # is not given to it (0.05-0.3 ms a message).
        found = languages.guesses(text) if latin >= FOREIGN_LATIN_MIN_LETTERS else []
        if (
            found
            and found[0].language not in self._latin_model.classes
            and found[0].confidence >= FOREIGN_LATIN_CONFIDENCE
            and latin >= FOREIGN_LATIN_MIN_LETTERS
        ):
            return _with_prior(found, prior)
        (log_odds,) = self._latin_model.decision(text)  # > 0 favours classes[1]
        second = self._latin_model.classes[1]
        if prior in self._latin_model.classes:
            log_odds += HINT_LOG_ODDS if prior == second else -HINT_LOG_ODDS
        return second if log_odds > 0 else self._latin_model.classes[0]


def _with_prior(found: list[languages.Guess], prior: str | None) -> str:
    """lingua's best guess, unless the hinted language is within the hint's odds of it."""
    best = found[0]
    for guess in found[1:]:
        if guess.language == prior and guess.confidence * math.exp(HINT_LOG_ODDS) >= best.confidence:
            return guess.language
    return best.language


def normalise_hint(hint: str | None) -> str | None:
    """Telegram's language_code ("en-GB", "HU", "ja") as an ISO 639-1 code, or None."""
    language = (hint or "").split("-")[0].strip().lower()
    return language if len(language) == 2 and language.isalpha() and language.isascii() else None


def _fit_key(training: Path) -> str:
    digest = hashlib.sha256(_code_key().encode())
    digest.update(training.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _code_key() -> str:
    """What a fit depends on besides its data: the format, scikit-learn's version, the fitting code."""
    # The scikit-learn version by its metadata: importing it to ask would defeat the point.
    digest = hashlib.sha256(f"{FORMAT} scikit-learn {_sklearn_version()}".encode())
    source = Path(__file__).parent
    for path in (
        Path(__file__),
        Path(linear.__file__),
        Path(features.__file__),
        source / "fit.py",
        source / "calibration.py",
    ):
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _cache_path(cache_dir: Path | None, key: str) -> Path:
    return Path(cache_dir or cache_root() / "embedded") / f"{key}.npz"


def _read_cache(path: Path) -> EmbeddedClassifier | None:
    """The cached fit at `path`, or None if there is none or it is unreadable (logged)."""
    try:
        return EmbeddedClassifier.from_bytes(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("embedded classifier cache %s unreadable (%s): fitting again", path, exc)
        return None


def _write_cache(path: Path, classifier: EmbeddedClassifier) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(classifier.to_bytes())
        partial.replace(path)  # atomic: a concurrent start never reads half a file
    except OSError as exc:
        log.warning("could not cache the embedded classifier at %s: %s", path, exc)


def _sklearn_version() -> str:
    try:
        return metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:
        return "absent"


class EmbeddedClassifier:
    """Intent and language of a citizen's message, in-process; well under a millisecond per message."""

    def __init__(
        self,
        intent_model: CompiledLinear,
        language_detector: LanguageDetector,
        *,
        temperature: float = 1.0,
        languages: Sequence[str] = LANGUAGES,
    ) -> None:
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, not {temperature}")
        self._intent_model = intent_model
        self._intents = intent_model.classes
        self._language = language_detector
        self.temperature = float(temperature)
        # The languages the intent model was trained on: in any other its answer is a guess.
        self.languages: tuple[str, ...] = tuple(languages)

    @classmethod
    def train(cls, data_dir: Path = DEFAULT_DATA_DIR) -> EmbeddedClassifier:
        """Fit both models on `data_dir`/nlu.yml in this process (imports scikit-learn)."""
        return cls.from_examples(load_examples(Path(data_dir) / TRAINING_FILE))

    @classmethod
    def from_examples(cls, examples: Sequence[Example], *, calibrate: bool = True) -> EmbeddedClassifier:
        """Fit both models on `examples` in this process (imports scikit-learn); `calibrate`: fit T by CV."""
        from nlu.fit import fit

        return fit(examples, calibrate=calibrate)

    @classmethod
    def load(cls, data_dir: Path = DEFAULT_DATA_DIR, *, cache_dir: Path | None = None) -> EmbeddedClassifier:
        """The fit for `data_dir`/nlu.yml from the cache (~50 ms, numpy only), else fitted and cached.

        Keyed by the training data, the source of this module, nlu/fit.py, nlu/linear.py,
        nlu/features.py and nlu/calibration.py, and the scikit-learn version, so a changed feature or
        model is never served stale. The cache is the user's own folder (nlu.cache.cache_root());
        anything unreadable there is fitted over. A miss fits in a child process (`python -m
        nlu.fit`), so scikit-learn never enters this one; if that child fails, the fit runs here.
        """
        data_dir = Path(data_dir)
        languages.warm_up()  # ~1 s at start-up rather than on the first citizen's message
        path = _cache_path(cache_dir, _fit_key(data_dir / TRAINING_FILE))
        cached = _read_cache(path)
        if cached is not None:
            return cached
        classifier = _fit_in_child(data_dir) or cls.train(data_dir)
        _write_cache(path, classifier)
        return classifier

    @classmethod
    def fit_cached(cls, examples: Sequence[Example], *, cache_dir: Path | None = None) -> EmbeddedClassifier:
        """The fit of `examples` (e.g. nlu.yml's plus staff corrections) from the cache, else fitted here and cached.

        Keyed like `load`, with the examples themselves in place of the file. A miss fits in this
        process (imports scikit-learn: meant for a command such as `charterdesk nlu retrain`, not the bot).
        """
        digest = hashlib.sha256(_code_key().encode())
        for example in examples:
            digest.update(f"{example.language}\t{example.intent}\t{example.text}\n".encode())
        path = _cache_path(cache_dir, "examples-" + digest.hexdigest()[:16])
        cached = _read_cache(path)
        if cached is not None:
            return cached
        classifier = cls.from_examples(examples)
        _write_cache(path, classifier)
        return classifier

    def to_bytes(self) -> bytes:
        """The fitted models as an .npz file: numpy arrays only, nothing that needs pickle to read."""
        arrays = {
            **self._intent_model.to_arrays("intent"),
            **self._language.model.to_arrays("language"),
            "temperature": np.array([self.temperature]),
            "languages": np.frombuffer(",".join(self.languages).encode("ascii"), dtype=np.uint8),
            "format": np.frombuffer(FORMAT.encode("ascii"), dtype=np.uint8),
        }
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> EmbeddedClassifier:
        """The inverse of `to_bytes`; ValueError if `blob` is not such a file."""
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
                if bytes(arrays["format"]).decode("ascii") != FORMAT:
                    raise ValueError("not a Charterdesk embedded-classifier file of this format")
                intent_model = CompiledLinear.from_arrays(arrays, "intent")
                language_model = CompiledLinear.from_arrays(arrays, "language")
                temperature = float(arrays["temperature"][0])
                trained = bytes(arrays["languages"]).decode("ascii").split(",")
        except (KeyError, IndexError, EOFError, OSError, TypeError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
            raise ValueError(f"not a Charterdesk embedded-classifier file: {exc!r}") from exc
        return cls(intent_model, LanguageDetector(language_model), temperature=temperature, languages=trained)

    def classify_sync(self, text: str, *, hint: str | None = None) -> Classification:
        """Intent, its probability, and language (`hint`: Telegram's language_code, a prior only)."""
        if not text.strip():
            return Classification(
                intent="out_of_scope", confidence=1.0, language=normalise_hint(hint) or UNDETERMINED
            )
        probabilities = self._intent_model.probabilities(text[:MAX_CHARS], self.temperature)
        best = int(probabilities.argmax())
        language = self._language.detect(text, hint)
        # The model never saw this language: its best intent is a guess, not a confidence, so the
        # front door asks the citizen rather than opening a ticket on it.
        confidence = float(probabilities[best]) if language in self.languages else 0.0
        return Classification(intent=self._intents[best], confidence=confidence, language=language)

    async def classify(self, text: str, *, hint: str | None = None) -> Classification:
        # About 0.1 ms of CPU (input capped at MAX_CHARS): cheaper inline than a hop to a thread.
        return self.classify_sync(text, hint=hint)


def _fit_in_child(data_dir: Path) -> EmbeddedClassifier | None:
    """The fit of `python -m nlu.fit` in a child process, or None (logged) if that failed."""
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "nlu.fit", str(data_dir)],
            capture_output=True,
            env=env,
            timeout=300,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("fitting the embedded classifier in a child process failed (%s): fitting here", exc)
        return None
    if done.returncode != 0:
        log.warning(
            "fitting the embedded classifier in a child process failed (exit %s): %s; fitting here",
            done.returncode,
            done.stderr.decode(errors="replace").strip()[-500:],
        )
        return None
    try:
        return EmbeddedClassifier.from_bytes(done.stdout)
    except ValueError as exc:
        log.warning("the child process's fit is unreadable (%s): fitting here", exc)
        return None
