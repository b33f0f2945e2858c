"""The charter's `nlu` section: learning from staff corrections is off unless the organisation opts in."""

from pathlib import Path

import pytest

from desk.charter.model import CharterError, load_charter
from tests.conftest import ROOT


def with_nlu(tmp_path: Path, section: str) -> Path:
    path = tmp_path / "charter.yml"
    path.write_text((ROOT / "charter.yml").read_text(encoding="utf-8") + "\n" + section, encoding="utf-8")
    return path


def test_off_by_default(charter):
    assert charter.nlu.learn_from_corrections is False


def test_an_organisation_opts_in(tmp_path):
    charter = load_charter(with_nlu(tmp_path, "nlu:\n  learn_from_corrections: true\n"))
    assert charter.nlu.learn_from_corrections is True


@pytest.mark.parametrize("section, field, what", [
    ("nlu:\n  learn_from_corrections: sometimes\n", "nlu.learn_from_corrections", '"sometimes" is not true or false'),
    ("nlu:\n  learn_from_correction: true\n", "nlu.learn_from_correction", 'unknown key "learn_from_correction"'),
    ("nlu:\n  learn_from_corrections: 1\n", "nlu.learn_from_corrections", "is not true or false"),
])
def test_a_bad_value_names_its_line_and_field(tmp_path, section, field, what):
    with pytest.raises(CharterError) as caught:
        load_charter(with_nlu(tmp_path, section))
    message = str(caught.value)
    assert field in message and what in message, message
    assert "charter.yml:" in message
