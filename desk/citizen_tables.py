"""The tables of citizen conversations, gathered so desk/schema.py registers them in one line."""

from desk.anonymous import Receipt
from desk.throttle_store import Attempt
from desk.tickets.citizens import LanguageChoice
from desk.tickets.questions import Question

__all__ = ["Attempt", "LanguageChoice", "Question", "Receipt"]
