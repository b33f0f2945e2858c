"""Column types that encrypt on the way in and decrypt on the way out, with the process's keyring.

Call sites read and write plain values. An encrypted column cannot be compared in SQL (every write
has a fresh nonce), so `==`/`in_` on one raises at once; chat ids are looked up by their keyed hash
in a `chat_hash` column instead (see `chat_hash_of`).
"""

import operator

from sqlalchemy import String, Text
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

from infra import keyring

# A chat-hash column: hex HMAC-SHA256.
CHAT_HASH_LENGTH = 64
_REFUSED = {operator.eq, operator.ne, operators.in_op, operators.not_in_op, operators.like_op,
            operators.ilike_op, operators.contains_op, operators.startswith_op}


class Encrypted(TypeDecorator):
    """A column stored AES-GCM encrypted, bound to its table and column; see EncryptedText, EncryptedInt."""

    impl = Text
    cache_ok = True

    class comparator_factory(Text.Comparator):
        def operate(self, op, *other, **kwargs):
            if op in _REFUSED:
                raise TypeError("an encrypted column cannot be compared in SQL; compare its chat_hash column")
            return super().operate(op, *other, **kwargs)

    def __init__(self, purpose: str) -> None:
        super().__init__()
        # The table and column, bound to each ciphertext: a value moved to another column does not decrypt.
        self.purpose = purpose

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return keyring.current().encrypt(self._to_text(value), purpose=self.purpose)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return self._from_text(keyring.current().decrypt(value, purpose=self.purpose))

    def _to_text(self, value) -> str:
        return value

    def _from_text(self, text: str):
        return text


class EncryptedText(Encrypted):
    """Text stored AES-GCM encrypted (citizens' words, names)."""

    cache_ok = True

    def _to_text(self, value) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{self.purpose} takes text, not {type(value).__name__}")
        return value


class EncryptedInt(Encrypted):
    """An integer (a chat id) stored AES-GCM encrypted."""

    cache_ok = True

    def _to_text(self, value) -> str:
        return str(int(value))

    def _from_text(self, text: str) -> int:
        return int(text)


def chat_hash_of(chat_id: int) -> str:
    """The lookup hash of a chat id under the process's keyring."""
    return keyring.current().chat_hash(chat_id)


def chat_tag(chat_id: int) -> str:
    """What stands for a chat id inside an outbox key: its lookup hash, so keys name no chat."""
    return chat_hash_of(chat_id)


def chat_hash_column_default(source: str = "chat_id"):
    """A column default filling a chat_hash column from the row's chat id, for ORM and Core inserts alike."""

    def default(context) -> str | None:
        chat_id = context.get_current_parameters().get(source)
        return None if chat_id is None else chat_hash_of(chat_id)

    return default


def chat_hash_type() -> String:
    """The type of a chat_hash column."""
    return String(CHAT_HASH_LENGTH)
