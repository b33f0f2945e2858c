"""The data keyring: AES-GCM fields with key ids, rotation in the key file, lookup hashes, clear errors."""

import base64
import os
import stat

import pytest

from infra import keyring
from infra.keyring import Keyring, KeyringError
from infra.sealing import Sealer


def test_a_value_round_trips_and_carries_its_key_id(tmp_path):
    ring = Keyring.from_file(tmp_path / "k")
    for text in ["", "공공요금 문의", "Panaszt szeretnék tenni a hivatalra", "x" * 10_000]:
        sealed = ring.encrypt(text, purpose="tickets.text")
        assert sealed.startswith("cd1:1:") and (not text or text[:5] not in sealed)
        assert ring.decrypt(sealed, purpose="tickets.text") == text
    # A fresh nonce each time: equal texts give unequal ciphertexts.
    assert ring.encrypt("same", purpose="p") != ring.encrypt("same", purpose="p")


def test_the_key_file_is_created_once_with_mode_0600(tmp_path):
    path = tmp_path / "data.key"
    first = Keyring.from_file(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = Keyring.from_file(path)
    assert again.decrypt(first.encrypt("hello", purpose="p"), purpose="p") == "hello"
    assert again.chat_hash(42) == first.chat_hash(42)
    assert [p.name for p in tmp_path.iterdir()] == ["data.key"]


def test_a_value_moved_to_another_column_does_not_decrypt(tmp_path):
    ring = Keyring.from_file(tmp_path / "k")
    sealed = ring.encrypt("secret", purpose="tickets.text")
    with pytest.raises(KeyringError, match="citizens.username"):
        ring.decrypt(sealed, purpose="citizens.username")


@pytest.mark.parametrize("position", [6, 20, -1])
def test_tampered_ciphertext_is_a_clear_error_not_garbage(tmp_path, position):
    ring = Keyring.from_file(tmp_path / "k")
    sealed = ring.encrypt("Ich beschwere mich", purpose="tickets.text")
    flipped = "A" if sealed[position] != "A" else "B"
    tampered = sealed[:position] + flipped + sealed[position + 1 :] if position != -1 else sealed[:-2] + flipped + "="
    with pytest.raises(KeyringError, match="altered|damaged"):
        ring.decrypt(tampered, purpose="tickets.text")


@pytest.mark.parametrize("stored", ["plain words", "cd1:1:", "cd1:x:AAAA", "cd1:1:!!!notbase64", 12345])
def test_something_that_is_no_ciphertext_is_refused(tmp_path, stored):
    with pytest.raises(KeyringError):
        Keyring.from_file(tmp_path / "k").decrypt(stored, purpose="p")


def test_a_wrong_key_file_is_a_clear_error(tmp_path):
    sealed = Keyring.from_file(tmp_path / "right.key").encrypt("hello", purpose="p")
    with pytest.raises(KeyringError, match="not the one it was written with"):
        Keyring.from_file(tmp_path / "wrong.key").decrypt(sealed, purpose="p")


def test_a_missing_key_file_is_a_clear_error_where_creating_one_would_be_wrong(tmp_path):
    with pytest.raises(KeyringError, match="no key file"):
        Keyring.from_file(tmp_path / "absent.key", create=False)
    assert not (tmp_path / "absent.key").exists()


@pytest.mark.parametrize("content", ["not base64!!", "c2hvcnQ=", "1 c2hvcnQ=", "", "# only a comment\n"])
def test_a_broken_key_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "data.key"
    path.write_text(content)
    with pytest.raises(KeyringError, match="data.key"):
        Keyring.from_file(path)


def test_rotation_adds_a_current_key_and_old_values_still_decrypt(tmp_path):
    path = tmp_path / "k"
    old = Keyring.from_file(path)
    before = old.encrypt("old text", purpose="p")
    assert keyring.add_data_key(path) == 2
    ring = Keyring.from_file(path)
    assert ring.current_id == 2 and ring.data_key_ids == [1, 2]
    assert ring.encrypt("new", purpose="p").startswith("cd1:2:")
    assert ring.decrypt(before, purpose="p") == "old text"
    # Lookup hashes do not change with the data key: rows stay findable during and after rotation.
    assert ring.chat_hash(77) == old.chat_hash(77)
    keyring.remove_data_key(path, 1)
    with pytest.raises(KeyringError, match="does not hold"):
        Keyring.from_file(path).decrypt(before, purpose="p")
    with pytest.raises(KeyringError, match="current key"):
        keyring.remove_data_key(path, 2)


def test_a_process_meets_a_key_added_by_rotation_elsewhere(tmp_path):
    path = tmp_path / "k"
    running = Keyring.from_file(path)
    keyring.add_data_key(path)
    written_by_rotation = Keyring.from_file(path).encrypt("rotated", purpose="p")
    assert running.decrypt(written_by_rotation, purpose="p") == "rotated"


def test_chat_hashes_are_keyed_and_distinct(tmp_path):
    ring, other = Keyring.from_file(tmp_path / "a"), Keyring.from_file(tmp_path / "b")
    assert ring.chat_hash(5) == ring.chat_hash(5)
    assert ring.chat_hash(5) != ring.chat_hash(-5) != ring.chat_hash(55)
    assert ring.chat_hash(5) != other.chat_hash(5)
    assert len(ring.chat_hash(5)) == 64


def test_a_key_file_from_before_rotation_keeps_its_key_for_the_anonymous_channel(tmp_path):
    path = tmp_path / "old.key"
    legacy = os.urandom(32)
    path.write_text(base64.b64encode(legacy).decode() + "\n")
    sealed = Sealer(legacy).seal_chat(99, purpose="receipt-chat:1")
    ring = Keyring.from_file(path)  # completes the file with lookup and data keys
    assert ring.keys[keyring.ANON] == legacy and ring.current_id == 1
    assert Sealer.from_file(path).unseal_chat(sealed, purpose="receipt-chat:1") == 99
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_the_anonymous_channel_key_is_not_a_data_key(tmp_path):
    ring = Keyring.from_file(tmp_path / "k")
    data_keys = {ring.keys[str(kid)] for kid in ring.data_key_ids}
    assert ring.keys[keyring.ANON] not in data_keys and ring.keys[keyring.HASH] not in data_keys
    assert len({ring.keys[keyring.ANON], ring.keys[keyring.HASH], *data_keys}) == 3


def test_without_a_keyring_encrypted_columns_and_chat_hashes_say_what_to_do():
    from sqlalchemy.dialects import sqlite

    from infra.encrypted import EncryptedText, chat_hash_of

    with pytest.raises(KeyringError, match="keyring="):
        EncryptedText("t.c").process_bind_param("words", sqlite.dialect())
    with pytest.raises(KeyringError, match="unit_of_work"):
        chat_hash_of(5)
