"""Which language to answer a citizen in."""

# Fewer letters than this ("ok", "I-1042", "👍") say nothing reliable about a language.
MIN_LETTERS_TO_TRUST_DETECTION = 4


def choose_language(
    *,
    text: str,
    detected: str | None,
    stored: str | None,
    telegram_hint: str | None,
    speakable: tuple[str, ...],
    default: str,
) -> str:
    """The message's own language if clear, else what we used before, else the app's, else the charter's."""
    letters = sum(ch.isalpha() for ch in text)
    hint = (telegram_hint or "").split("-")[0].lower() or None
    trusted = detected if letters >= MIN_LETTERS_TO_TRUST_DETECTION else None
    for candidate in (trusted, stored, hint):
        if candidate in speakable:
            return candidate
    return default
