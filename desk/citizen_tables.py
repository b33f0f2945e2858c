"""The tables of citizen conversations, gathered so charterdesk/schema.py registers them in one line."""

from desk.anonymous.receipts import Receipt
from desk.anonymous.attempts import Attempt
from desk.tickets.citizens import LanguageChoice
from desk.tickets.questions import Question

__all__ = ["Attempt", "LanguageChoice", "Question", "Receipt"]
