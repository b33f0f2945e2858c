"""What a citizen's message means, from the classifier and the date reader; shared by every channel."""

from conversation.turns import Desk, Inbound, Understanding
from nlu.classifier import LANGUAGES, LOW_CONFIDENCE, UNDETERMINED, Classifier
from nlu.dates import find_preferred_time

# Dates are looked for in the opening of a message; a pasted letter need not be searched in full.
DATE_SEARCH_CHARS = 500


async def understand(classifier: Classifier, desk: Desk, inbound: Inbound) -> Understanding:
    """Intent, language and certainty from the classifier; a day and time from the date reader."""
    if not inbound.text.strip():
        return Understanding(intent="out_of_scope", language=None, certain=False)
    classification = await classifier.classify(inbound.text, hint=inbound.telegram_language)
    found = find_preferred_time(
        inbound.text[:DATE_SEARCH_CHARS], now=inbound.received_at, timezone=desk.charter.timezone,
        language=classification.language,
    )
    return Understanding(
        intent=classification.intent,
        language=classification.language,
        certain=classification.confidence >= LOW_CONFIDENCE,
        readable=classification.language in (*LANGUAGES, UNDETERMINED),
        preferred_at=found.at if found else None,
        preferred_has_time=found.has_time if found else False,
        time_phrase=found.phrase if found else None,
    )
