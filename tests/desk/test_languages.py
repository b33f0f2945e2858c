"""Which language a citizen is answered in: any language they write, kept even when we have no texts in it."""

import pytest

from desk.languages import UNDETERMINED, choose_language, is_language_code

SPEAKABLE = ("ko", "en", "hu")


def choose(text: str, detected: str | None, stored: str | None = None, hint: str | None = None) -> str:
    return choose_language(text=text, detected=detected, stored=stored, telegram_hint=hint, speakable=SPEAKABLE,
                           default="ko")


def test_a_clear_message_is_answered_in_its_own_language_spoken_or_not():
    assert choose("Jó napot, kérdésem van", "hu", stored="en") == "hu"
    assert choose("Здравствуйте, у меня вопрос", "ru", stored="ko") == "ru"


def test_a_short_message_keeps_the_language_used_before_even_one_we_have_no_texts_in():
    assert choose("ok", "en", stored="hu") == "hu"
    assert choose("👍", UNDETERMINED, stored="ja") == "ja"


def test_the_app_language_counts_when_the_text_says_nothing():
    assert choose("ok", "en", hint="hu-HU") == "hu"
    assert choose("", None, hint="ja") == "ja"


def test_letters_in_a_script_nobody_could_place_are_answered_in_the_fallback_pair():
    assert choose("住宅手当の申請について", UNDETERMINED) == UNDETERMINED
    # ...unless the citizen's app or their earlier messages say which language they read.
    assert choose("住宅手当の申請について", UNDETERMINED, hint="ja") == "ja"
    assert choose("住宅手当の申請について", UNDETERMINED, stored="ko") == "ko"


def test_nothing_to_go_by_is_the_charters_first_language():
    assert choose("", None) == "ko"
    assert choose("?!", UNDETERMINED) == "ko"


@pytest.mark.parametrize("bad", ["", "x", "EN", "en-GB", "english", "日本", None, "12"])
def test_only_short_lowercase_codes_are_stored(bad):
    assert not is_language_code(bad)
    assert choose("ok", "en", stored=bad if bad != "EN" else None, hint=None) == "ko"
