"""parse_mode handling: Telegram's text + entities, and its parse errors."""

from __future__ import annotations

import pytest

from sandbox.errors import ApiError
from sandbox.formatting import format_text


def fmt(text: str, mode: str | None = None):
    return format_text(text, mode, None, limit=4096, what="message")


def test_html_tags_entities_and_escapes():
    text, entities = fmt(
        '<b>마감</b> &lt;화&gt; <a href="https://x.kr">link</a> <pre><code class="language-py">x</code></pre>',
        "HTML",
    )
    assert text == "마감 <화> link x"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "text_link", "offset": 7, "length": 4, "url": "https://x.kr"},
        {"type": "pre", "offset": 12, "length": 1, "language": "py"},
    ]


def test_markdown_v2_and_utf16_offsets():
    text, entities = fmt("😀 *bold* \\- __u__", "MarkdownV2")
    assert text == "😀 bold - u"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "underline", "offset": 10, "length": 1},
    ]


@pytest.mark.parametrize(
    ("text", "mode", "error"),
    [
        ("a < b", "HTML", "Unexpected end of name token at byte offset 2"),
        ("<br>", "HTML", 'Unsupported start tag "br" at byte offset 0'),
        ("<b>x", "HTML", 'Can\'t find end tag corresponding to start tag "b"'),
        ("Due 1.12.", "MarkdownV2", "Character '.' is reserved"),
        ("*open", "Markdown", "Can't find end of the entity starting at byte offset 0"),
    ],
)
def test_parse_errors(text, mode, error):
    with pytest.raises(ApiError) as caught:
        fmt(text, mode)
    assert caught.value.error_code == 400 and error in caught.value.description


def test_trimming_and_commands():
    assert fmt("  /status@charterdesk_bot C-1043 \n") == (
        "/status@charterdesk_bot C-1043",
        [{"type": "bot_command", "offset": 0, "length": 23}],
    )
