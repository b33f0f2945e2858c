"""Any language a citizen may write in, told by lingua's statistical models (which ship in its wheel).

lingua decides for every script but Korean's and for Latin text it is sure of; Korean is told by its
script and English against Hungarian by the charter-trained model in nlu.embedded, which knows our
short messages ("ok", "szia") better than a general model does.

Memory and speed (measured on this 2-core machine, see docs/benchmarks.md, section nlu): lingua with
every language in high-accuracy mode holds ~1.1 GB and takes ~50 s to load; low-accuracy mode over
the languages below holds ~32 MB, loads in ~1 s and reads 300 characters in ~1 ms. Low-accuracy mode
is weaker on short text, which is why short Latin text goes to our own model instead.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

# The languages of the people who write to Korean welfare centres, the Korea Rehabilitation Agency
# and a Budapest family NGO: the charters' own, the neighbours', and the main languages of migrants
# and refugees in Korea and Hungary. A language outside this list is read as its nearest relative
# here (or "und"); adding one costs ~1-2 MB.
DETECTED: tuple[str, ...] = (
    "ko", "en", "hu", "ja", "zh", "ru", "uk", "ar", "vi", "th", "tl", "mn", "id", "ms", "de", "fr",
    "es", "ro", "sk", "pl", "tr", "fa", "hi", "bn", "ur", "pt", "it", "hr", "sr", "cs", "bg", "he",
)  # fmt: skip
# Low-accuracy mode often reads Russian as Ukrainian (measured: "Здравствуйте, я хочу записаться" ->
# uk 0.96). Ukrainian writing almost never goes a sentence without one of these letters, Russian has
# none of them; high-accuracy models for the Cyrillic languages alone would cost ~200 MB.
UKRAINIAN_LETTERS = frozenset("іїєґІЇЄҐ")
# lingua reads at most this much: the language is settled in the opening sentences (~1 ms).
READ_CHARS = 300


@dataclass(frozen=True)
class Guess:
    """lingua's best language (ISO 639-1) and its confidence in [0, 1]."""

    language: str
    confidence: float


@functools.cache
def _detector():
    # Imported here: the rest of nlu (and the fit's child process) never needs lingua.
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in DETECTED]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()


# lingua loads a language's models when a text first needs them, not when the detector is built: the first
# Latin-script text loaded those of every Latin-script language (~250 ms, ~26 MB) inside a citizen's handler,
# in the middle of the first burst (py-spy, docs/benchmarks.md). Every charter's languages include a Latin one.
WARM_UP_TEXTS = ("I would like to book an appointment", "Szeretnék időpontot foglalni, köszönöm")


def warm_up() -> None:
    """Load lingua's models for Latin-script text now (~0.3 s) rather than on the first message."""
    for text in WARM_UP_TEXTS:
        guesses(text)


def guesses(text: str) -> list[Guess]:
    """Languages for `text`, most likely first (empty when lingua cannot tell)."""
    # lingua takes UTF-8: a lone surrogate (possible in a Python str, not in UTF-8) becomes "?".
    text = text[:READ_CHARS].encode("utf-8", "replace").decode("utf-8")
    values = _detector().compute_language_confidence_values(text)
    found = [Guess(v.language.iso_code_639_1.name.lower(), float(v.value)) for v in values if v.value > 0]
    if found and found[0].language == "uk" and not UKRAINIAN_LETTERS.intersection(text):
        found[0] = Guess("ru", found[0].confidence)
    return found
