"""bench.nlu's front-door counts, on answers made up by hand (the real door rule, no classifier)."""

from bench.nlu import DoorOutcome, door_outcome
from nlu.classifier import LOW_CONFIDENCE, Classification
from nlu.evaluate import LabelledMessage


def _message(intent: str, text: str = "my heating is broken, please send someone") -> LabelledMessage:
    return LabelledMessage("en", intent, text, line=1)


def test_right_wrong_asked_and_dropped_are_counted_among_ticket_intents_only():
    sure, unsure = LOW_CONFIDENCE, LOW_CONFIDENCE - 0.01
    pairs = [
        (_message("complaint"), Classification("complaint", sure, "en")),  # right ticket
        (_message("complaint"), Classification("inquiry", 0.99, "en")),  # wrong ticket
        (_message("inquiry"), Classification("inquiry", unsure, "en")),  # asked (buttons)
        (_message("inquiry"), Classification("out_of_scope", 0.95, "en")),  # asked (out of scope, held)
        (_message("inquiry", "hello"), Classification("greet", 0.99, "en")),  # dropped: greeted back only
        (_message("inquiry"), Classification("greet", 0.99, "en")),  # a long "greeting" is asked
        (_message("greet", "hello"), Classification("greet", 0.99, "en")),  # not a ticket intent: not counted
    ]
    outcome = door_outcome([m for m, _ in pairs], [p for _, p in pairs])
    assert outcome == DoorOutcome(tickets=6, right=1, wrong=1, asked=3, dropped=1)
    assert outcome.share(outcome.asked) == 0.5


def test_no_ticket_intent_messages_give_zero_shares():
    outcome = door_outcome([_message("greet", "hi")], [Classification("greet", 1.0, "en")])
    assert outcome.tickets == 0 and outcome.share(outcome.right) == 0.0
