"""Messages stay valid HTML and within Telegram's limits, whatever the user typed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers import limits
from handlers.html import escape, plain, split, truncate, visible_length


def balanced(text: str) -> bool:
    import re

    stack = []
    for closing, name in re.findall(r"<(/?)([a-z-]+)[^>]*>", text):
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def test_escape_handles_the_three_special_characters():
    assert escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"


def test_short_text_is_one_message():
    assert split("<b>hi</b>") == ["<b>hi</b>"]


def test_long_text_splits_into_valid_parts():
    text = "<b>Гарчиг</b>\n\n<i>" + escape("хог & хаягдал < ангилах " * 800) + "</i>"
    parts = split(text)
    assert len(parts) > 1
    for part in parts:
        assert visible_length(part) <= limits.MESSAGE_TEXT.maximum
        assert balanced(part)
    assert plain("".join(parts)).replace(" ", "") == plain(text).replace(" ", "")


def test_truncate_ends_with_an_ellipsis():
    text = truncate("<b>" + "а" * 5000 + "</b>")
    assert text.endswith("</b>…") and visible_length(text) <= 4096


def test_emoji_count_as_two_utf16_units():
    assert visible_length("👍") == 2


@given(st.text(max_size=12000))
def test_any_user_text_splits_within_limits(text):
    html = "<b>" + escape(text) + "</b>"
    for part in split(html):
        assert visible_length(part) <= limits.MESSAGE_TEXT.maximum
        assert balanced(part)
