"""The data key: seals small secrets with AES-GCM and makes keyed hashes, from CHARTERDESK_KEY_FILE.

The sealer uses the key file's `anon` key, never a data key (see infra/keyring.py for the file).
Purposes separate the uses: a value sealed or hashed for one purpose is useless for another,
because each purpose gets its own subkey (HKDF) and the purpose is bound as associated data.
"""

import hashlib
import hmac
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from infra.keyring import ANON, Keyring, KeyringError, load_keys

KEY_BYTES = 32
NONCE_BYTES = 12


class SealingError(Exception):
    """The key file is unusable, or a sealed value was not sealed with this key for this purpose."""


class Sealer:
    """Seal/unseal and keyed hashing under one data key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise SealingError(f"a data key has {KEY_BYTES} bytes, not {len(key)}")
        self._key = key

    @classmethod
    def from_keyring(cls, ring: Keyring) -> "Sealer":
        """The keyring's `anon` key (see infra/keyring.py)."""
        if ANON not in ring.keys:
            raise SealingError(f"{ring.path or 'the key file'}: holds no 'anon' key for the anonymous channel")
        return cls(ring.keys[ANON])

    @classmethod
    def from_file(cls, path: Path | str) -> "Sealer":
        """The `anon` key of the key file (see infra/keyring.py), created (mode 0600) if the file is absent."""
        path = Path(path)
        try:
            keys = load_keys(path)
        except KeyringError as exc:
            raise SealingError(str(exc)) from exc
        if ANON not in keys:
            raise SealingError(f"{path}: the key file holds no 'anon' key for the anonymous channel")
        return cls(keys[ANON])

    def seal(self, plaintext: bytes, *, purpose: str) -> bytes:
        """nonce + AES-GCM ciphertext of `plaintext`, bound to `purpose`."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + AESGCM(self._subkey("seal")).encrypt(nonce, plaintext, purpose.encode())

    def unseal(self, sealed: bytes, *, purpose: str) -> bytes:
        """The plaintext of a value sealed for `purpose`; SealingError if it was not."""
        nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            return AESGCM(self._subkey("seal")).decrypt(nonce, ciphertext, purpose.encode())
        except (InvalidTag, ValueError) as exc:
            raise SealingError("the sealed value does not open with this key and purpose") from exc

    def seal_chat(self, chat_id: int, *, purpose: str) -> bytes:
        """A chat id sealed for `purpose`."""
        return self.seal(str(chat_id).encode(), purpose=purpose)

    def unseal_chat(self, sealed: bytes, *, purpose: str) -> int:
        """The chat id in a value from seal_chat."""
        return int(self.unseal(sealed, purpose=purpose).decode())

    def keyed_hash(self, *parts: object, purpose: str) -> str:
        """HMAC-SHA256 of the parts, hex: equal inputs give equal hashes, and only with this key."""
        message = "\x1f".join(str(part) for part in parts).encode()
        return hmac.new(self._subkey(f"hash:{purpose}"), message, hashlib.sha256).hexdigest()

    def _subkey(self, purpose: str) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode()).derive(self._key)

