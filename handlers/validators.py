"""Checks of typed answers, shared by every form, each refusal with one catalogue message.

A check returns the value it read, or raises ``Invalid`` with a key of the ``input.``
texts (``locales/*/input.yaml``) and the values that text names, so the same mistake is
explained in the same words in every flow:

- ``text``/``length``: at least and at most so many characters (``input.too_short``,
  ``input.too_long``: ``{minimum}``/``{maximum}`` and the ``{length}`` typed);
- ``letters``: some letters, so a title of only digits or emoji is refused
  (``input.no_letters``);
- ``number``: a whole number in a range (``input.number``: ``{minimum}``, ``{maximum}``);
- ``moment``: a date, optionally with a time, in Ulaanbaatar time (``input.date``, or
  ``input.date_time`` when a time is required).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from handlers.steps import Answer, Invalid
from storage.localtime import read_moment


def length(
    text: str, minimum: int, maximum: int | None, *, measure: Callable[[str], int] = len
) -> str:
    """Return the text if its length is within bounds (None: no maximum), else refuse it."""
    size = measure(text)
    if size < minimum:
        raise Invalid("input.too_short", minimum=minimum, length=size)
    if maximum is not None and size > maximum:
        raise Invalid("input.too_long", maximum=maximum, length=size)
    return text


def letters(text: str) -> str:
    """Return the text if it has a letter (a title of only digits or emoji says nothing)."""
    if not any(ch.isalpha() for ch in text):
        raise Invalid("input.no_letters")
    return text


def text(answer: Answer, minimum: int, maximum: int | None, *, with_letters: bool = False) -> str:
    """Return the typed answer, stripped, within bounds (and with letters, if asked)."""
    typed = length(answer.require_text(), minimum, maximum)
    return letters(typed) if with_letters else typed


def number(raw: str, minimum: int, maximum: int) -> int:
    """Return a whole number from minimum to maximum written in the text, else refuse it."""
    digits = raw.strip()
    if not digits.isdecimal() or not minimum <= int(digits) <= maximum:
        raise Invalid("input.number", minimum=minimum, maximum=maximum)
    return int(digits)


# Numbers officers write in words, and words that make a figure of what precedes them.
_NUMBER_WORDS = re.compile(
    r"\b(нэг|хоёр|гурав|гурван|дөрөв|дөрвөн|тав|таван|зургаа|зургаан|долоо|долоон|найм|наймаа?н"
    r"|ес|есөн|арав|арван|хорь|хорин|гуч|гучин|дөч|дөчин|тавь|тавин|жар|жаран|дал|далан"
    r"|ная|наян|ер|ерэн|зуу|зуун|мянга|мянган|сая|хувь|хуви\w*|дахин|хагас|half|percent|twice"
    r"|one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million)\b",
    re.IGNORECASE,
)


def mentions_number(text: str) -> bool:
    """Tell whether a text gives a figure: digits, a percentage, or a number in words."""
    return any(ch.isdigit() for ch in text) or "%" in text or bool(_NUMBER_WORDS.search(text))


def moment(text: str, *, end_of_day: bool = False, with_time: bool = False) -> datetime:
    """Return the moment a typed date (and time, required if with_time) names, in UTC."""
    try:
        read, timed = read_moment(text, end_of_day=end_of_day)
    except ValueError:
        raise Invalid("input.date_time" if with_time else "input.date") from None
    if with_time and not timed:
        raise Invalid("input.date_time")
    return read
