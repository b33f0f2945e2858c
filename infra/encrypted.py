"""Column types that encrypt on the way in and decrypt on the way out, with the keyring of their database.

Call sites read and write plain values. An encrypted column cannot be compared in SQL (every write
has a fresh nonce), so `==`/`in_` on one raises at once; chat ids are looked up by their keyed hash
in a `chat_hash` column instead (see `chat_hash_of`).

There is no process-wide keyring: each Store attaches its own to its engine (`attach`), and the
column types find it through the dialect SQLAlchemy hands them, which is the engine's own. Code that
only holds a chat id (`chat_hash_of`) uses the keyring the running unit of work bound (`bound`).

Each organisation's rows are encrypted with its own data key: the organisation a unit of work serves is bound
with `serving` (Store.unit_of_work(organisation_id=...) does it; unbound, it is the first organisation, the
deployment's own), and a value of another organisation's key is refused on the way out. Transport state
(outbox, intake, web chat: rows that reach a chat and carry no organisation) is `transport=True`: encrypted
with the first organisation's keys wherever it was written, read by the one dispatcher of every organisation.
"""

import operator
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from weakref import WeakKeyDictionary

from sqlalchemy import String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

from infra.keyring import FIRST_ORGANISATION, Keyring, KeyringError

# A chat-hash column: hex HMAC-SHA256.
CHAT_HASH_LENGTH = 64
_REFUSED = {operator.eq, operator.ne, operators.in_op, operators.not_in_op, operators.like_op,
            operators.ilike_op, operators.contains_op, operators.startswith_op}

# Every engine has a dialect object of its own, and it is what SQLAlchemy passes to a column type.
_by_dialect: "WeakKeyDictionary[Dialect, Keyring]" = WeakKeyDictionary()
_bound: ContextVar[Keyring | None] = ContextVar("charterdesk_keyring", default=None)
_serving: ContextVar[int] = ContextVar("charterdesk_organisation", default=FIRST_ORGANISATION)


def attach(dialect: Dialect, ring: Keyring | None) -> None:
    """Encrypted columns read and write with `ring` on the engine of `dialect` (None: with no keys)."""
    if ring is None:
        _by_dialect.pop(dialect, None)
    else:
        _by_dialect[dialect] = ring


def keyring_of(dialect: Dialect) -> Keyring:
    """The keyring attached to the engine of `dialect`; KeyringError if it has none."""
    ring = _by_dialect.get(dialect)
    if ring is None:
        raise KeyringError("no data keys loaded for this database: open the Store with keyring=...")
    return ring


@contextmanager
def bound(ring: Keyring | None) -> Iterator[None]:
    """Within the block (and the tasks it starts), chat_hash_of uses `ring`."""
    token = _bound.set(ring)
    try:
        yield
    finally:
        _bound.reset(token)


@contextmanager
def serving(organisation_id: int | None) -> Iterator[None]:
    """Within the block (and the tasks it starts), encrypted columns use `organisation_id`'s data keys (None:
    leave the organisation already bound, or the first)."""
    if organisation_id is None:
        yield
        return
    token = _serving.set(organisation_id)
    try:
        yield
    finally:
        _serving.reset(token)


def served() -> int:
    """The organisation whose data keys encrypted columns use here."""
    return _serving.get()


class Encrypted(TypeDecorator):
    """A column stored AES-GCM encrypted, bound to its table and column; see EncryptedText, EncryptedInt."""

    impl = Text
    cache_ok = True

    class comparator_factory(Text.Comparator):
        def operate(self, op, *other, **kwargs):
            if op in _REFUSED:
                raise TypeError("an encrypted column cannot be compared in SQL; compare its chat_hash column")
            return super().operate(op, *other, **kwargs)

    def __init__(self, purpose: str, *, transport: bool = False) -> None:
        super().__init__()
        # The table and column, bound to each ciphertext: a value moved to another column does not decrypt.
        self.purpose = purpose
        self.transport = transport

    def organisation(self) -> int:
        """Whose data keys this column uses now."""
        return FIRST_ORGANISATION if self.transport else _serving.get()

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return keyring_of(dialect).encrypt(self._to_text(value), purpose=self.purpose, organisation=self.organisation())

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        ring = keyring_of(dialect)
        return self._from_text(ring.decrypt(value, purpose=self.purpose, organisation=self.organisation()))

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
    """The lookup hash of a chat id under the keyring of the running unit of work."""
    ring = _bound.get()
    if ring is None:
        raise KeyringError("no data keys bound: hash chat ids inside store.unit_of_work(), or with keyring.chat_hash")
    return ring.chat_hash(chat_id)


def chat_tag(chat_id: int) -> str:
    """What stands for a chat id inside an outbox key: its lookup hash, so keys name no chat."""
    return chat_hash_of(chat_id)


def chat_hash_column_default(source: str = "chat_id"):
    """A column default filling a chat_hash column from the row's chat id, for ORM and Core inserts alike."""

    def default(context) -> str | None:
        chat_id = context.get_current_parameters().get(source)
        return None if chat_id is None else keyring_of(context.dialect).chat_hash(chat_id)

    return default


def chat_hash_type() -> String:
    """The type of a chat_hash column."""
    return String(CHAT_HASH_LENGTH)
