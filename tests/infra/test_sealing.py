"""The data key: sealing with AES-GCM, keyed hashes, and the key file created 0600."""

import os
import stat

import pytest

from infra.sealing import KEY_BYTES, Sealer, SealingError


def test_a_sealed_chat_opens_only_with_its_key_and_purpose(tmp_path):
    sealer = Sealer.from_file(tmp_path / "data.key")
    sealed = sealer.seal_chat(771_234_501, purpose="receipt-chat:7")
    assert b"771234501" not in sealed
    assert sealer.unseal_chat(sealed, purpose="receipt-chat:7") == 771_234_501
    with pytest.raises(SealingError):
        sealer.unseal_chat(sealed, purpose="receipt-chat:8")
    with pytest.raises(SealingError):
        Sealer.from_file(tmp_path / "other.key").unseal_chat(sealed, purpose="receipt-chat:7")
    with pytest.raises(SealingError):
        sealer.unseal(sealed[:-1] + bytes([sealed[-1] ^ 1]), purpose="receipt-chat:7")
    # A fresh nonce each time: sealing twice does not give the same bytes.
    assert sealer.seal_chat(1, purpose="p") != sealer.seal_chat(1, purpose="p")


def test_keyed_hashes_are_stable_per_key_and_purpose(tmp_path):
    sealer = Sealer.from_file(tmp_path / "data.key")
    assert sealer.keyed_hash(5, 7, purpose="a") == sealer.keyed_hash(5, 7, purpose="a")
    assert sealer.keyed_hash(5, 7, purpose="a") != sealer.keyed_hash(5, 7, purpose="b")
    assert sealer.keyed_hash(5, 7, purpose="a") != sealer.keyed_hash(57, purpose="a")
    assert sealer.keyed_hash(5, purpose="a") != Sealer.from_file(tmp_path / "x.key").keyed_hash(5, purpose="a")


def test_the_key_file_is_created_once_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "data.key"
    first = Sealer.from_file(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = Sealer.from_file(path)
    assert again.keyed_hash(1, purpose="x") == first.keyed_hash(1, purpose="x")
    assert [p.name for p in tmp_path.iterdir()] == ["data.key"]  # no spare file left behind


@pytest.mark.parametrize("content", ["not base64!!", "c2hvcnQ="])
def test_a_broken_key_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "data.key"
    path.write_text(content)
    with pytest.raises(SealingError, match="data.key"):
        Sealer.from_file(path)


def test_a_key_has_32_bytes():
    with pytest.raises(SealingError):
        Sealer(b"short")
    assert KEY_BYTES == 32
