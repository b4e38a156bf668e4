"""Messages stay valid HTML and within Telegram's limits, whatever the user typed."""

from __future__ import annotations

import pytest
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


WORST_CASES = {
    "no spaces": "x" * 100_000,
    "Cyrillic, no spaces": "ж" * 100_000,
    "emoji": "👍🏽" * 25_000,
    "entities": "&amp;&lt;" * 20_000,
    "nested tags": "<b><i>а</i></b>" * 20_000,
    "lines": "а\n" * 50_000,
}


@pytest.mark.parametrize("name", list(WORST_CASES))
def test_worst_case_texts_split_and_truncate_within_limits(name):
    text = "<b>Гарчиг</b>\n\n<i>" + WORST_CASES[name] + "</i>"
    parts = split(text)
    assert len(parts) > 1
    for part in parts:
        assert 0 < visible_length(part) <= limits.MESSAGE_TEXT.maximum
        assert balanced(part)
    squeeze = str.maketrans("", "", " \n")
    assert plain("".join(parts)).translate(squeeze) == plain(text).translate(squeeze)
    short = truncate(text, limits.CAPTION.maximum)
    assert short.endswith("…") and visible_length(short) <= limits.CAPTION.maximum
    assert balanced(short.removesuffix("…"))
    assert plain(short).startswith("Гарчиг")


def test_a_part_ends_at_a_paragraph_when_one_is_in_its_second_half():
    first, second = "а" * 3000, "б " * 1000
    parts = split(f"{first}\n\n{second}")
    assert parts[0] == first and plain(parts[1]).startswith("б")
