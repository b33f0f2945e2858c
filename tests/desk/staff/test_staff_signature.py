"""The charter's `staff_signature`: how staff replies are signed (optional, validated)."""

import pytest

from desk.charter.model import CharterError, load_charter
from tests.conftest import ROOT


def charter_with(tmp_path, line: str):
    path = tmp_path / "charter.yml"
    path.write_text((ROOT / "charter.yml").read_text(encoding="utf-8") + line, encoding="utf-8")
    return load_charter(path)


def test_replies_are_signed_with_the_name_unless_the_charter_says_otherwise(charter):
    assert charter.staff_signature == "name"


def test_a_charter_may_sign_with_the_role(tmp_path):
    assert charter_with(tmp_path, "\nstaff_signature: role\n").staff_signature == "role"


def test_an_unknown_signature_is_reported_with_its_line(tmp_path):
    with pytest.raises(CharterError) as caught:
        charter_with(tmp_path, "\nstaff_signature: title\n")
    message = str(caught.value)
    assert "staff_signature" in message and "expected name or role" in message and "charter.yml:" in message
