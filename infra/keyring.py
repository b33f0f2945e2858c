"""The data keys in CHARTERDESK_KEY_FILE: AES-GCM field encryption with rotation, and lookup hashes.

The file holds one key per line, `<name> <base64 of 32 bytes>`, mode 0600:
  anon  seals the anonymous push channel (infra/sealing.py) - a key of its own, never used for data;
  hash  makes the keyed hashes (HMAC) that stand in for chat ids in lookups; never rotated, because
        rotating it would mean recomputing every lookup column at once;
  1, 2, ...  the first organisation's data keys (and the deployment's: see below); the highest number is
        current, older ones still decrypt until retired;
  o<N>.<id>  a data key of organisation N (`o2.5`: key 5, organisation 2's). Key ids are unique in the file,
        whatever organisation holds them, so a ciphertext's key id names its organisation too.
A value is encrypted with the current key of the organisation the unit of work serves (infra/encrypted.py
`serving`), and decrypts only there: a value of another organisation's key is refused (KeyringError,
logged), never returned. Transport state (outbox, intake, web chat), which no staff member reads, uses the
unnumbered-organisation keys, 1, 2, ..., wherever it was written. A file with no `o<N>.` keys is a
deployment from before organisations had keys of their own, and works unchanged.
A file from before rotation existed (one bare base64 line) is read as the `anon` key and given the
others on first use, so sealed channels and keyed hashes made with it keep working.

A ciphertext is text, `cd1:<key id>:<base64url of nonce + AES-GCM output>`; the key id lets rotation
find what to re-encrypt, and the column's purpose is bound as associated data, so a value copied
into another column does not decrypt there.
"""

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12
ANON, HASH = "anon", "hash"
# The organisation whose data keys are the bare numbers (desk/organisations/models.py FIRST_ORGANISATION).
FIRST_ORGANISATION = 1
PREFIX = "cd1:"
_HEADER = (
    "# Charterdesk data keys: keep secret, keep a backup; without them the data cannot be read.\n"
    "# One key per line: <name> <base64>. anon: anonymous reply channel; hash: lookup hashes;\n"
    "# 1, 2, ...: data keys, the highest is current (`charterdesk keys rotate` adds one).\n"
)


class KeyringError(Exception):
    """The key file is missing or unusable, or a value does not decrypt with its keys."""


class Keyring:
    """Named keys from one key file: encrypt/decrypt fields, hash chat ids for lookups."""

    def __init__(self, keys: dict[str, bytes], *, path: Path | None = None) -> None:
        for name, key in keys.items():
            if len(key) != KEY_BYTES:
                raise KeyringError(f"{path or 'key file'}: key {name!r} has {len(key)} bytes, not {KEY_BYTES}")
        try:
            owners = data_key_owners(keys)
        except ValueError as exc:
            raise KeyringError(f"{path or 'key file'}: {exc}") from None
        if FIRST_ORGANISATION not in owners.values() or HASH not in keys:
            raise KeyringError(f"{path or 'key file'}: needs a 'hash' key and at least one numbered data key")
        self.path = path
        self.keys = dict(keys)
        self._owners = owners
        self._ciphers = {kid: AESGCM(keys[name]) for name, kid in _data_names(keys).items()}
        self._hash_key = keys[HASH]

    @property
    def current_id(self) -> int:
        """The first organisation's current data key (also the transport state's)."""
        return self.current_for(FIRST_ORGANISATION)

    def current_for(self, organisation_id: int) -> int:
        """The organisation's current data key; KeyringError if it has none."""
        held = [kid for kid, owner in self._owners.items() if owner == organisation_id]
        if not held and self.path is not None and self.path.exists():
            # An organisation added (`charterdesk org add`) since this process read the file.
            self._read_again()
            held = [kid for kid, owner in self._owners.items() if owner == organisation_id]
        if not held:
            raise KeyringError(
                f"{self.path or 'the key file'} holds no data key of organisation {organisation_id}: "
                "`charterdesk keys rotate --org SLUG` adds one"
            )
        return max(held)

    @property
    def current_ids(self) -> set[int]:
        """Every organisation's current data key."""
        return {self.current_for(owner) for owner in set(self._owners.values())}

    def owner_of(self, kid: int) -> int | None:
        """The organisation a data key belongs to; None if the file does not hold it."""
        if kid not in self._owners:
            self._reload(kid, missing_ok=True)
        return self._owners.get(kid)

    @classmethod
    def from_file(cls, path: Path | str, *, create: bool = True) -> "Keyring":
        """The keys in `path`; a new file (mode 0600) if it is absent and `create` is true."""
        path = Path(path)
        return cls(load_keys(path, create=create), path=path)

    @property
    def data_key_ids(self) -> list[int]:
        """Ids of the data keys held, oldest first."""
        return sorted(self._ciphers)

    def encrypt(self, plaintext: str, *, purpose: str, organisation: int = FIRST_ORGANISATION) -> str:
        """`plaintext` encrypted under the organisation's current data key, bound to `purpose`."""
        kid = self.current_for(organisation)
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._ciphers[kid].encrypt(nonce, plaintext.encode(), f"{purpose}|{kid}".encode())
        return f"{PREFIX}{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, ciphertext: str, *, purpose: str, organisation: int = FIRST_ORGANISATION) -> str:
        """The plaintext of a value from encrypt() for `organisation`; KeyringError if it is not one, was
        altered, or was encrypted with another organisation's key."""
        kid, blob = parse(ciphertext)
        cipher = self._ciphers.get(kid) or self._reload(kid)
        owner = self._owners[kid]
        if owner != organisation:
            # Never the plaintext: this is one organisation's unit of work meeting another's citizen.
            log.warning("refused to decrypt a value of %s: its data key %s is organisation %s's, not %s's",
                        purpose, kid, owner, organisation)
            raise KeyringError(
                f"a value of {purpose} belongs to another organisation (data key {kid}): not readable by "
                f"organisation {organisation}"
            )
        try:
            return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], f"{purpose}|{kid}".encode()).decode()
        except (InvalidTag, ValueError) as exc:
            raise KeyringError(
                f"a value of {purpose} does not decrypt with data key {kid} of {self.path or 'the key file'}: "
                "the key file is not the one it was written with, or the value was altered"
            ) from exc

    def chat_hash(self, chat_id: int) -> str:
        """HMAC-SHA256 of a chat id (hex): what lookups by chat compare instead of the id."""
        # One-shot HMAC (OpenSSL in one call): on the path of every inbound message and lookup.
        return hmac.digest(self._hash_key, b"chat-id:%d" % int(chat_id), hashlib.sha256).hex()

    def _read_again(self) -> None:
        """Take in the data keys added to the file since it was read (none is dropped: a retired key's
        values were re-encrypted first)."""
        keys = load_keys(self.path, create=False)
        try:
            owners = data_key_owners(keys)
        except ValueError as exc:
            raise KeyringError(f"{self.path}: {exc}") from None
        for name, kid in _data_names(keys).items():
            if kid not in self._ciphers:
                self._ciphers[kid] = AESGCM(keys[name])
                self._owners[kid] = owners[kid]

    def _reload(self, kid: int, *, missing_ok: bool = False) -> AESGCM | None:
        # A key added by `keys rotate` in another process: read the file again rather than fail.
        if self.path is not None and self.path.exists():
            self._read_again()
            if kid in self._ciphers:
                return self._ciphers[kid]
        if missing_ok:
            return None
        raise KeyringError(
            f"a value was encrypted with data key {kid}, which {self.path or 'the key file'} does not hold: "
            "wrong CHARTERDESK_KEY_FILE, or the key was removed too early"
        )


def parse(ciphertext: str) -> tuple[int, bytes]:
    """(key id, nonce + sealed bytes) of a ciphertext; KeyringError if it is not one."""
    if not isinstance(ciphertext, str) or not ciphertext.startswith(PREFIX):
        raise KeyringError("a stored value is not encrypted (run `charterdesk keys rotate` to encrypt old rows)")
    kid, _, body = ciphertext[len(PREFIX):].partition(":")
    try:
        blob = base64.urlsafe_b64decode(body.encode())
        if not kid.isdigit() or len(blob) < NONCE_BYTES + 16:
            raise ValueError("too short")
    except (ValueError, binascii.Error) as exc:
        raise KeyringError("a stored encrypted value is damaged (not a Charterdesk ciphertext)") from exc
    return int(kid), blob


def data_key_name(kid: int, organisation: int) -> str:
    """How the key file names data key `kid` of `organisation` ('5', or 'o2.5')."""
    return str(kid) if organisation == FIRST_ORGANISATION else f"o{organisation}.{kid}"


def _data_names(keys: dict[str, bytes]) -> dict[str, int]:
    """Data key name -> key id ('5' -> 5, 'o2.7' -> 7); other names (anon, hash, unknown) left out."""
    names = {}
    for name in keys:
        number = name.partition(".")[2] if name.startswith("o") else name
        if number.isdigit() and (name.isdigit() or name[1:].partition(".")[0].isdigit()):
            names[name] = int(number)
    return names


def data_key_owners(keys: dict[str, bytes]) -> dict[int, int]:
    """Data key id -> its organisation; ValueError if two keys share an id."""
    owners: dict[int, int] = {}
    for name, kid in _data_names(keys).items():
        if kid in owners:
            raise ValueError(f"data key id {kid} appears twice")
        owners[kid] = FIRST_ORGANISATION if name.isdigit() else int(name[1:].partition(".")[0])
    return owners


def key_id_of(ciphertext: str) -> int | None:
    """The data key id a stored value was encrypted with; None for plaintext."""
    try:
        return parse(ciphertext)[0]
    except KeyringError:
        return None


# --- the key file ---------------------------------------------------------------------------


def load_keys(path: Path, *, create: bool = True) -> dict[str, bytes]:
    """Every key in the file by name; created if absent (when allowed), completed if from before rotation."""
    try:
        if create:
            _create(path)
        elif not path.exists():
            raise KeyringError(f"{path}: no key file (CHARTERDESK_KEY_FILE); the data cannot be read without it")
        keys = _parse_file(path.read_text(encoding="ascii"))
    except (OSError, ValueError) as exc:
        raise KeyringError(f"{path}: cannot use the data key file: {exc}") from exc
    if path.stat().st_mode & 0o077:
        log.warning("%s can be read by other users; chmod 600 it", path)
    if HASH not in keys or not any(name.isdigit() for name in keys):
        keys.setdefault(HASH, secrets.token_bytes(KEY_BYTES))
        if not any(name.isdigit() for name in keys):
            keys[str(max(_data_names(keys).values(), default=0) + 1)] = secrets.token_bytes(KEY_BYTES)
        write_keys(path, keys)
        log.info("%s: added the lookup and data keys", path)
    return keys


def add_data_key(path: Path, *, organisation: int = FIRST_ORGANISATION) -> int:
    """Append a fresh data key of `organisation` to the file; it becomes that organisation's current key.
    Returns its id (one more than any key id in the file, whoever holds it)."""
    keys = load_keys(path, create=False)
    kid = max(_data_names(keys).values(), default=0) + 1
    keys[data_key_name(kid, organisation)] = secrets.token_bytes(KEY_BYTES)
    write_keys(path, keys)
    return kid


def remove_data_key(path: Path, kid: int) -> None:
    """Drop an old data key from the file (never an organisation's current one)."""
    keys = load_keys(path, create=False)
    owners = data_key_owners(keys)
    if kid not in owners:
        raise KeyringError(f"{path} holds no data key {kid}")
    if kid == max(k for k, owner in owners.items() if owner == owners[kid]):
        raise KeyringError(f"data key {kid} is the current key of organisation {owners[kid]}; rotate first")
    del keys[data_key_name(kid, owners[kid])]
    write_keys(path, keys)


def write_keys(path: Path, keys: dict[str, bytes]) -> None:
    """Replace the file atomically with these keys, mode 0600."""
    spare = _write_aside(path, keys)
    try:
        os.replace(spare, path)
    finally:
        spare.unlink(missing_ok=True)


def _write_aside(path: Path, keys: dict[str, bytes]) -> Path:
    """The keys in a new 0600 file beside `path`, to be moved or linked into place."""
    spare = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(_render(keys))
    except BaseException:
        spare.unlink(missing_ok=True)
        raise
    return spare


def _create(path: Path) -> None:
    """Write new keys unless the file exists; written aside, then linked in, so no one reads half a file."""
    if path.exists():
        return
    keys = {ANON: secrets.token_bytes(KEY_BYTES), HASH: secrets.token_bytes(KEY_BYTES), "1": secrets.token_bytes(KEY_BYTES)}
    spare = _write_aside(path, keys)
    try:
        # link() fails if another process got there first; then its keys are the keys.
        os.link(spare, path)
        log.info("created new data keys in %s", path)
    except FileExistsError:
        pass
    finally:
        spare.unlink(missing_ok=True)


def _parse_file(text: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        name = name.strip() or ANON  # one bare key: the file from before rotation
        try:
            key = base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"line {number} is not <name> <base64 key>") from exc
        if len(key) != KEY_BYTES:
            raise ValueError(f"line {number}: a key has {KEY_BYTES} bytes, not {len(key)}")
        if name in keys:
            raise ValueError(f"line {number}: key {name!r} appears twice")
        keys[name] = key
    if not keys:
        raise ValueError("the file holds no key")
    return keys


def _render(keys: dict[str, bytes]) -> str:
    order = [name for name in (ANON, HASH) if name in keys]
    order += sorted((name for name in keys if name.isdigit()), key=int)
    order += sorted(_data_names({n: k for n, k in keys.items() if n not in order}), key=_data_names(keys).get)
    order += sorted(name for name in keys if name not in order)
    return _HEADER + "".join(f"{name} {base64.b64encode(keys[name]).decode()}\n" for name in order)
