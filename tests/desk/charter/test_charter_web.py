"""The charter's `web` section: the pages allowed to embed the web chat, each a plain origin."""

from pathlib import Path

import pytest

from desk.charter.model import CharterError, canonical_origin, load_charter
from tests.conftest import ROOT


def with_web(tmp_path: Path, section: str) -> Path:
    path = tmp_path / "charter.yml"
    path.write_text((ROOT / "charter.yml").read_text(encoding="utf-8") + "\n" + section, encoding="utf-8")
    return path


def test_no_page_is_allowed_unless_the_charter_names_it(charter):
    assert charter.web.allowed_origins == ()


def test_origins_are_read(tmp_path):
    section = "web:\n  allowed_origins: [https://www.ansim.or.kr, 'http://127.0.0.1:8080']\n"
    charter = load_charter(with_web(tmp_path, section))
    assert charter.web.allowed_origins == ("https://www.ansim.or.kr", "http://127.0.0.1:8080")


@pytest.mark.parametrize("origin", [
    "https://www.ansim.or.kr/", "https://www.ansim.or.kr/contact", "www.ansim.or.kr", "ftp://ansim.or.kr",
    "https://WWW.ansim.or.kr", "https://ansim.or.kr:443", "https://user@ansim.or.kr", "*", "null",
])
def test_anything_but_an_origin_as_browsers_send_it_names_its_line(tmp_path, origin):
    with pytest.raises(CharterError) as caught:
        load_charter(with_web(tmp_path, f"web:\n  allowed_origins: ['{origin}']\n"))
    message = str(caught.value)
    assert "web.allowed_origins" in message and "is not an origin like https://www.example.org" in message, message


@pytest.mark.parametrize(("given", "canonical"), [
    ("HTTPS://Ansim.or.kr:443", "https://ansim.or.kr"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("http://[::1]:80", "http://[::1]"),
    ("https://ansim.or.kr:99999", None),
])
def test_canonical_origin(given, canonical):
    assert canonical_origin(given) == canonical
