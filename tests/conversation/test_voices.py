"""A citizen whose language we have no texts in reads English and the charter's first language."""

from conversation.turns import Desk
from tests.conftest import at

DUE = at("2026-12-01T18:00:00+09:00")


def test_a_spoken_language_has_one_voice_and_any_other_the_fallback_pair(desk):
    assert desk.voices("hu") == ("hu",)
    assert desk.voices("ja") == ("en", desk.charter.languages[0])
    assert desk.voices("und") == ("en", desk.charter.languages[0])


def test_an_english_first_charter_falls_back_to_english_alone(desk):
    organisation = desk.charter.organisation.model_copy(update={"languages": ("en", "hu")})
    english_first = Desk(charter=desk.charter.model_copy(update={"organisation": organisation}), texts=desk.texts)
    assert english_first.voices("ru") == ("en",)


def test_a_moment_is_formatted_in_each_voice_and_labels_stay_on_one_line(desk):
    text = desk.render("utter_ticket_opened_inquiry", "ja", number="I-1001", due=DUE, **desk.known())
    english, korean = text.split("\n\n")
    assert desk.moment(DUE, "en") in english and desk.moment(DUE, "ko") in korean
    assert desk.moment(DUE, "ja") == desk.moment(DUE, "en")
    label = desk.render("utter_button_complaint", "ar", joiner=" / ")
    assert "\n" not in label and label.count(" / ") == 1
