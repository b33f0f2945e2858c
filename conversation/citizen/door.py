"""What a message is at the front door: a ticket, a question to the citizen, or one of the few that may end there.

Nobody is turned away: only a message that is clearly a greeting, a thank-you, or a status question
about a ticket the citizen has may end without a ticket or a question. Everything else with content
that is not confidently a ticket is held and the citizen is asked (with buttons). The rule is pure, so
the bot, the benchmarks (bench/nlu.py: asked and dropped rates) and the tests share it.
"""

from enum import StrEnum

# Intents that open a ticket on their own, when the classifier is confident.
TICKET_INTENTS = frozenset({"inquiry", "complaint", "appointment_request"})
# A greeting or a thank-you with more than this many words carries a request as well ("Hello, my
# benefit was cut, why?"): it is not "clearly" a greeting, so it is never answered with a greeting alone.
SMALL_TALK_MAX_WORDS = 6
SMALL_TALK_MAX_CHARS = 60
# In a language we cannot read, only a phrase this short may be a greeting ("こんにちは", "Спасибо"):
# scripts without spaces (Japanese, Chinese, Thai) put a whole request in few "words".
UNREAD_PHRASE_MAX_WORDS = 3
UNREAD_PHRASE_MAX_CHARS = 16


class Door(StrEnum):
    """Where a message goes."""

    TICKET = "ticket"  # confidently one of TICKET_INTENTS: open it (or add to / ask about an open one)
    ASK = "ask"  # content, not confidently a ticket: hold the message, ask with buttons
    OUT_OF_SCOPE = "out_of_scope"  # confidently not for this desk: say so, hold it, offer "send it anyway"
    GREETING = "greeting"  # clearly only a greeting: greet back
    THANKS = "thanks"  # clearly only a thank-you: answer it
    STATUS = "status"  # a status question, and the citizen has a ticket to tell about


def is_small_talk(text: str) -> bool:
    """Short enough that a greeting or thank-you cannot be hiding a request."""
    stripped = text.strip()
    return len(stripped) <= SMALL_TALK_MAX_CHARS and len(stripped.split()) <= SMALL_TALK_MAX_WORDS


def _is_short_phrase(text: str) -> bool:
    stripped = text.strip()
    return len(stripped) <= UNREAD_PHRASE_MAX_CHARS and len(stripped.split()) <= UNREAD_PHRASE_MAX_WORDS


def door_for(intent: str, *, certain: bool, text: str, has_open_tickets: bool, readable: bool = True) -> Door:
    """The door for a classified message; `certain`: confidence at or above the ask threshold.

    `has_open_tickets`: the citizen has a ticket a status answer can tell about (route() counts open
    tickets and recently answered ones, the status list's own rule).
    `readable`: False for a language the classifier was never taught (Japanese, Russian, ...). Its intent
    means nothing there, so a message longer than small talk is taken as a request (route() opens an
    inquiry, which staff can correct) rather than asking with buttons the citizen may not read.
    """
    if not readable and not _is_short_phrase(text):
        return Door.TICKET
    if intent in TICKET_INTENTS:
        return Door.TICKET if certain else Door.ASK
    if not certain:
        return Door.ASK
    if intent == "greet" and is_small_talk(text):
        return Door.GREETING
    if intent == "thanks" and is_small_talk(text):
        return Door.THANKS
    if intent == "check_status" and has_open_tickets:
        return Door.STATUS
    if intent == "out_of_scope":
        return Door.OUT_OF_SCOPE
    # A long greeting, a status question with no ticket to tell about: it has content, so ask.
    return Door.ASK


def keeps_message(door: Door) -> bool:
    """The message is kept (in a ticket or a held question): everything but small talk and status."""
    return door not in (Door.GREETING, Door.THANKS, Door.STATUS)
