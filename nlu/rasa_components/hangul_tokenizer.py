"""A WhitespaceTokenizer that keeps Korean words and splits ticket numbers off Korean endings.

Rasa's WhitespaceTokenizer drops every token its emoji regex matches in full, and that regex's
range U+24C2-U+1F251 covers all Hangul syllables, so "예약 하고 싶어요" tokenises to nothing.
Korean also glues particles onto whatever precedes them ("I-3321입니다"); split there so the
ticket number is a token of its own and its entity annotation lines up.
This module runs inside the Rasa process only (`rasa` is not installed in Charterdesk's venv).
"""

from __future__ import annotations

import re

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

# A run of Hangul (syllables, jamo, compatibility jamo) or a run of anything else.
_SCRIPT_RUNS = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]+|[^\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]+")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class HangulSafeTokenizer(WhitespaceTokenizer):
    """Whitespace tokens, Hangul kept, split where Hangul meets another script."""

    def remove_emoji(self, text: str) -> str:
        if any(ch.isalnum() for ch in text):
            return text
        return super().remove_emoji(text)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = []
        for token in super().tokenize(message, attribute):
            runs = list(_SCRIPT_RUNS.finditer(token.text))
            if len(runs) == 1:
                tokens.append(token)
                continue
            for run in runs:
                tokens.append(Token(run.group(), token.start + run.start()))
        return tokens
