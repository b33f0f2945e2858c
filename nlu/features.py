"""Text to n-grams, in plain Python: the same function feeds scikit-learn at training time and the
numpy scorer at run time, so the served model needs no scikit-learn to read a message."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# Intent is decided in the opening of a message; scoring a 10k-character paste in full buys
# nothing but latency.
MAX_CHARS = 1000

TICKET = re.compile(r"(?<![0-9a-z])[icna]\s?-\s?\d{2,7}(?!\d)")
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"(?u)\b\w+\b")


# Three n-gram families start from this text; one message is folded once, not three times (~1 ms of a
# 1,000-character message's ~5 ms).
@functools.lru_cache(maxsize=16)
def intent_features_text(text: str) -> str:
    """What the intent model sees: folded case, no accents, ticket numbers and digits collapsed.

    Hungarian is typed with and without accents ("időpont" / "idopont"), so accents carry no
    intent; any ticket number says the same thing as any other.
    """
    decomposed = unicodedata.normalize("NFD", text[:MAX_CHARS].casefold())
    # NFC afterwards recomposes Hangul syllables, which NFD split into jamo.
    text = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))
    text = TICKET.sub(" ticketno ", text)
    text = _DIGITS.sub("0", text)
    return _SPACES.sub(" ", text).strip()


def intent_text_without_spaces(text: str) -> str:
    """Korean spacing is loose ("상담 예약 하고" / "상담예약하고"): n-grams across the gaps see both as one."""
    return intent_features_text(text).replace(" ", "")


def hangul_jamo_text(text: str) -> str:
    """Only the Korean, spelt in jamo: "어케"/"어떻게", "하세여"/"하세요" then share most n-grams.

    Informal Korean and typos change one consonant or vowel of a syllable, which at syllable level
    makes a different character altogether. Anything not Hangul becomes a space, so English and
    Hungarian get no features from this family.
    """
    decomposed = unicodedata.normalize("NFD", intent_features_text(text))
    return _SPACES.sub(" ", "".join(ch if _is_jamo(ch) else " " for ch in decomposed)).strip()


def lower_text(text: str) -> str:
    """Lower case only: what the language detector reads (accents are what tell Hungarian apart)."""
    return text.lower()


PREPROCESSORS = {
    "intent": intent_features_text,
    "intent_joined": intent_text_without_spaces,
    "jamo": hangul_jamo_text,
    "lower": lower_text,
}


@dataclass(frozen=True)
class Analyzer:
    """One family of n-grams, as scikit-learn's TfidfVectorizer would cut them.

    kind "char_wb": characters inside word boundaries (each word padded with a space); "char":
    characters across the whole text; "word": runs of word characters, joined by one space.
    """

    preprocess: str
    kind: str
    low: int
    high: int

    def __post_init__(self) -> None:
        if self.preprocess not in PREPROCESSORS or self.kind not in ("char_wb", "char", "word"):
            raise ValueError(f"unknown analyzer {self}")
        if not 1 <= self.low <= self.high:
            raise ValueError(f"bad n-gram range {self.low}..{self.high}")

    def __call__(self, text: str) -> list[str]:
        text = PREPROCESSORS[self.preprocess](text)
        if self.kind == "word":
            return _ngrams(_WORD.findall(text), self.low, self.high, " ".join)
        if self.kind == "char":
            return _ngrams(_SPACES.sub(" ", text), self.low, self.high, None)
        grams: list[str] = []
        for word in text.split():
            grams.extend(_ngrams(f" {word} ", self.low, self.high, None))
        return grams


def _ngrams(units, low: int, high: int, join) -> list[str]:
    count = len(units)
    grams = []
    for n in range(low, min(high, count) + 1):
        for start in range(count - n + 1):
            piece = units[start : start + n]
            grams.append(join(piece) if join else piece)
    return grams


def _is_jamo(ch: str) -> bool:
    code = ord(ch)
    return 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F  # conjoining; compatibility (ㅋㅋ, ㄳ)
