"""Long text split for Telegram: in order, nothing lost, cut where a reader would."""

from hypothesis import given
from hypothesis import strategies as st

from conversation.replies import MESSAGE_LIMIT, split_text, utf16_length


def test_short_text_is_one_part():
    assert split_text("hello") == ["hello"]
    assert split_text("") == [""]


def test_long_text_is_cut_between_paragraphs_in_order():
    paragraphs = [f"{n}. " + "word " * 300 for n in range(1, 6)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    parts = split_text(text)
    assert len(parts) > 1 and all(utf16_length(p) <= MESSAGE_LIMIT for p in parts)
    assert "\n\n".join(parts) == text
    assert all(p[0].isdigit() for p in parts)


def test_emoji_count_twice_and_are_never_cut_in_half():
    text = "🙂" * 3000
    parts = split_text(text)
    assert [utf16_length(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == text


@given(st.text(alphabet=st.sampled_from(list("ab \n.가🙂")), min_size=0, max_size=12_000))
def test_no_character_but_break_whitespace_is_lost(text):
    parts = split_text(text, limit=500)
    assert all(utf16_length(p) <= 500 for p in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")

