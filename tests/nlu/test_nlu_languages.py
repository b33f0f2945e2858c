"""Any language: lingua tells the scripts and languages the charters do not speak; ko/en/hu stay ours."""

import pytest

from nlu import languages
from nlu.classifier import LANGUAGES, UNDETERMINED, Example
from nlu.embedded import EmbeddedClassifier, normalise_hint


@pytest.fixture(scope="module")
def classifier() -> EmbeddedClassifier:
    examples = [
        Example(text, intent, language)
        for intent, language, texts in [
            ("inquiry", "en", ["what documents do I need", "when are you open", "how do I apply for housing help"]),
            ("greet", "en", ["hello", "hi there", "good morning"]),
            ("inquiry", "hu", ["milyen papírok kellenek", "mikor vagytok nyitva", "hogyan igényeljek támogatást"]),
            ("greet", "hu", ["szia", "jó napot", "helló"]),
            ("inquiry", "ko", ["어떤 서류가 필요한가요", "몇 시에 문 여나요", "주거 지원 신청 방법"]),
            ("greet", "ko", ["안녕하세요", "안녕", "반갑습니다"]),
        ]
        for text in texts
    ]
    return EmbeddedClassifier.from_examples(examples, calibrate=False)


@pytest.mark.parametrize(
    "text, language",
    [
        ("こんにちは、来週の火曜日に相談の予約をしたいです", "ja"),
        ("مرحبا، أحتاج إلى مساعدة في طلب السكن الخاص بي", "ar"),
        ("Здравствуйте, я хочу записаться на приём к социальному работнику", "ru"),
        ("你好，我想预约下周二的社工咨询", "zh"),
        ("Добрий день, мені потрібна допомога з житлом для моєї родини", "uk"),
        ("Xin chào, tôi muốn hỏi về trợ cấp nhà ở cho gia đình tôi", "vi"),
        ("Hallo, ich brauche Hilfe bei meinem Antrag auf Wohngeld", "de"),
    ],
)
def test_languages_the_charters_do_not_speak_are_named(classifier: EmbeddedClassifier, text: str, language: str):
    assert classifier.classify_sync(text).language == language


@pytest.mark.parametrize(
    "text, language",
    [("안녕하세요 상담 예약하고 싶어요", "ko"), ("hello", "en"), ("szia", "hu"), ("what's the capital of peru", "en")],
)
def test_short_text_in_our_languages_is_not_mistaken_for_another(classifier, text: str, language: str):
    # Low-accuracy lingua alone reads "hello" as Hungarian and "szia" as German.
    assert classifier.classify_sync(text).language == language


def test_an_intent_for_a_language_without_training_data_is_unsure(classifier: EmbeddedClassifier):
    answer = classifier.classify_sync("こんにちは、来週の火曜日に相談の予約をしたいです")
    assert answer.intent in {"inquiry", "greet"}
    assert answer.confidence == 0.0  # never certain: the front door asks the citizen
    assert classifier.languages == tuple(sorted(LANGUAGES))


def test_the_hint_is_a_prior_for_any_language(classifier: EmbeddedClassifier):
    assert classifier.classify_sync("👍", hint="ja").language == "ja"
    assert classifier.classify_sync("🙏", hint=None).language == UNDETERMINED
    # The text decides against the hint when it is clear.
    assert classifier.classify_sync("你好，我想预约下周二的社工咨询", hint="en").language == "zh"


@pytest.mark.parametrize(
    "hint, expected", [("ja", "ja"), ("en-GB", "en"), ("HU", "hu"), ("", None), (None, None), ("xyz", None), ("1a", None)]
)
def test_telegram_language_codes_become_iso_639_1(hint, expected):
    assert normalise_hint(hint) == expected


def test_russian_read_as_ukrainian_by_low_accuracy_mode_is_corrected():
    assert languages.guesses("Здравствуйте, я хочу записаться")[0].language == "ru"
    assert languages.guesses("Добрий день, мені потрібна допомога")[0].language == "uk"


def test_guesses_are_iso_codes_from_the_detected_set_most_likely_first():
    found = languages.guesses("Bonjour, je voudrais prendre rendez-vous avec une assistante sociale")
    assert found[0].language == "fr"
    assert all(g.language in languages.DETECTED for g in found)
    assert [g.confidence for g in found] == sorted((g.confidence for g in found), reverse=True)
    assert languages.guesses("12:30 !!") == []


def test_text_lingua_cannot_encode_is_read_not_refused():
    assert isinstance(languages.guesses("\ud800 lone surrogate, then English words"), list)


@pytest.mark.parametrize("text", ["ok", "szia", "hello there", "köszönöm szépen"])
def test_latin_text_too_short_for_lingua_to_count_is_not_given_to_it(classifier, text, monkeypatch):
    expected = classifier.classify_sync(text).language

    def refuse(_text):
        raise AssertionError("lingua asked about text whose answer cannot count")

    monkeypatch.setattr(languages, "guesses", refuse)
    assert classifier.classify_sync(text).language == expected


def test_latin_text_long_enough_still_asks_lingua(classifier, monkeypatch):
    asked = []
    real = languages.guesses
    monkeypatch.setattr(languages, "guesses", lambda text: asked.append(text) or real(text))
    assert classifier.classify_sync("Ich möchte bitte einen Termin für nächste Woche vereinbaren").language == "de"
    assert asked
