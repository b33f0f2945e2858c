"""nlu.features.Analyzer: the n-grams both the training and the numpy scorer read."""

import pytest

from nlu.features import Analyzer, intent_text_without_spaces


def test_char_wb_pads_each_word() -> None:
    assert Analyzer("lower", "char_wb", 2, 3)("Ab c") == [" a", "ab", "b ", " ab", "ab ", " c", "c ", " c "]


def test_char_runs_across_words_with_spaces_collapsed() -> None:
    assert Analyzer("lower", "char", 2, 2)("a  b") == ["a ", " b"]


def test_words_and_bigrams_of_the_folded_text() -> None:
    assert Analyzer("intent", "word", 1, 2)("Időpont, I-1042!") == ["idopont", "ticketno", "idopont ticketno"]


def test_joined_text_ignores_korean_spacing() -> None:
    analyzer = Analyzer("intent_joined", "char", 2, 4)
    assert analyzer("상담 예약 하고") == analyzer("상담예약하고")
    assert intent_text_without_spaces("상담 예약") == "상담예약"


@pytest.mark.parametrize("text", ["", "   ", "x", "👍"])
def test_short_or_empty_text(text: str) -> None:
    for kind in ("char_wb", "char", "word"):
        grams = Analyzer("lower", kind, 1, 4)(text)
        assert all(isinstance(g, str) and g for g in grams)


@pytest.mark.parametrize(
    "spec",
    [("upper", "char", 1, 2), ("lower", "bytes", 1, 2), ("lower", "char", 3, 2), ("lower", "char", 0, 2)],
)
def test_bad_specs_are_refused(spec) -> None:
    with pytest.raises(ValueError):
        Analyzer(*spec)


def test_jamo_family_reads_only_korean() -> None:
    analyzer = Analyzer("jamo", "char_wb", 2, 5)
    assert analyzer("hello, szia!") == []
    assert analyzer("hello 안녕") == analyzer("안녕")


def test_jamo_family_sees_informal_spelling_close_to_the_standard() -> None:
    analyzer = Analyzer("jamo", "char_wb", 2, 5)
    standard, informal, other = set(analyzer("하세요")), set(analyzer("하세여")), set(analyzer("감사"))
    assert len(standard & informal) > len(standard & other)
    # At syllable level the two endings share nothing beyond the stem.
    assert set(Analyzer("intent", "char_wb", 2, 2)("요")).isdisjoint(
        Analyzer("intent", "char_wb", 2, 2)("여")
    )
