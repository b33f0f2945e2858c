"""The front door's rule: nobody with a request is turned away."""

import pytest

from conversation.citizen.door import Door, door_for, is_small_talk, keeps_message


@pytest.mark.parametrize("intent", ["inquiry", "complaint", "appointment_request"])
def test_a_confident_ticket_intent_opens_a_ticket_and_an_unsure_one_asks(intent):
    assert door_for(intent, certain=True, text="x", has_open_tickets=False) is Door.TICKET
    assert door_for(intent, certain=False, text="x", has_open_tickets=False) is Door.ASK


@pytest.mark.parametrize("intent", ["greet", "thanks", "check_status", "out_of_scope"])
def test_anything_unsure_is_asked_never_dropped(intent):
    door = door_for(intent, certain=False, text="Please help me with my housing benefit application.", has_open_tickets=True)
    assert door is Door.ASK
    assert keeps_message(door)


def test_only_short_greetings_and_thanks_end_at_the_door():
    assert door_for("greet", certain=True, text="안녕하세요!", has_open_tickets=False) is Door.GREETING
    assert door_for("thanks", certain=True, text="Köszönöm szépen", has_open_tickets=False) is Door.THANKS
    long_hello = "Hello, my mother's care allowance stopped last month and nobody told us why, what can we do?"
    assert door_for("greet", certain=True, text=long_hello, has_open_tickets=False) is Door.ASK


def test_a_status_question_without_a_ticket_to_tell_about_is_asked():
    text = "Please help me with my housing benefit application."
    assert door_for("check_status", certain=True, text=text, has_open_tickets=False) is Door.ASK
    assert door_for("check_status", certain=True, text=text, has_open_tickets=True) is Door.STATUS


def test_out_of_scope_is_kept_so_it_can_still_be_sent_to_staff():
    door = door_for("out_of_scope", certain=True, text="What is the weather tomorrow?", has_open_tickets=False)
    assert door is Door.OUT_OF_SCOPE
    assert keeps_message(door)


def test_small_talk_is_measured_in_words_and_characters():
    assert is_small_talk("  hi there  ")
    assert not is_small_talk("thanks " * 7)
    assert not is_small_talk("고맙습니다" * 13)


def test_a_request_in_a_language_the_classifier_was_never_taught_is_taken_as_a_ticket():
    japanese = "住宅手当の申請について教えてください。必要な書類は何ですか？ 先月から何度も電話しましたがつながりません。"
    assert door_for("out_of_scope", certain=False, text=japanese, has_open_tickets=False, readable=False) is Door.TICKET
    short_request = "住宅手当の申請について教えてください。必要な書類は何ですか？"
    assert door_for("greet", certain=False, text=short_request, has_open_tickets=False, readable=False) is Door.TICKET
    # A word of small talk in such a language is still only asked about, never turned away.
    assert door_for("greet", certain=False, text="こんにちは", has_open_tickets=False, readable=False) is Door.ASK
