"""Which language to answer a citizen in: any language they write, even one we have no texts in."""

import re

# Fewer letters than this ("ok", "I-1042", "👍") say nothing reliable about a language.
MIN_LETTERS_TO_TRUST_DETECTION = 4
# What a detector says of text it cannot place (ISO 639-2 "undetermined").
UNDETERMINED = "und"
# An ISO 639-1 code ("ja") or "und": what a Citizen's or a Ticket's language column may hold (8 characters).
_CODE = re.compile(r"[a-z]{2,3}")


def is_language_code(code: str | None) -> bool:
    """A language code we may store and answer by: two or three lowercase letters."""
    return code is not None and _CODE.fullmatch(code) is not None


def choose_language(
    *,
    text: str,
    detected: str | None,
    stored: str | None,
    telegram_hint: str | None,
    speakable: tuple[str, ...],
    default: str,
) -> str:
    """The message's own language if clear, else what we used before, else the app's, else the charter's.

    A language outside `speakable` ("ja") is kept as it is: the texts then fall back to English and the
    charter's first language (conversation.turns.Desk.voices), and staff see what the citizen wrote in.
    """
    letters = sum(ch.isalpha() for ch in text)
    hint = (telegram_hint or "").split("-")[0].lower() or None
    trusted = detected if letters >= MIN_LETTERS_TO_TRUST_DETECTION else None
    if trusted in speakable or (is_language_code(trusted) and trusted != UNDETERMINED):
        return trusted
    for candidate in (stored, hint):
        if candidate in speakable or is_language_code(candidate):
            return candidate
    # Letters in a script we could not place: nobody's first guess would be the charter's language alone.
    return UNDETERMINED if trusted == UNDETERMINED else default
