"""Mongolian case suffixes after a word the bot does not know in advance (a title, a name).

A suffix follows the vowel harmony of the word it is attached to: «...хүргэх»-тэй, not -тай.
The class comes from the word's last vowel that decides it (и is neutral); a word ending in
digits is read as the numeral is spoken (1 нэг, 2 хоёр ...), Latin letters as they sound.
Only the hyphenated written forms are produced (the word itself is never changed), so the
suffix can follow a quoted title: «Хог»-ийг.
"""

from __future__ import annotations

from typing import Literal

Case = Literal["тай", "ыг", "д", "аас"]
CASES: tuple[Case, ...] = ("тай", "ыг", "д", "аас")

# The vowel class of a letter: a (back), o (back, rounded), e (front), ө (front, rounded).
_CLASS = {
    "а": "a", "у": "a", "я": "a", "ю": "a", "ы": "a",
    "о": "o", "ё": "o",
    "э": "e", "е": "e", "ү": "e",
    "ө": "ө",
    "a": "a", "u": "a", "o": "o", "e": "e", "i": "e", "y": "e",
}  # fmt: skip
# How a final digit is spoken, which decides the suffix after a number ("5-аас", "1-ийг").
_DIGITS = ("тэг", "нэг", "хоёр", "гурав", "дөрөв", "тав", "зургаа", "долоо", "найм", "ес")
_TENS = ("", "арав", "хорь", "гуч", "дөч", "тавь", "жар", "дал", "ная", "ер")
_ROUND = (("000000", "сая"), ("000", "мянга"), ("00", "зуу"))
_VOWELS = set("аэиоуөүыяеёюaeiouy")
_SUFFIXES: dict[Case, dict[str, str]] = {
    "тай": {"a": "тай", "o": "той", "e": "тэй", "ө": "тэй"},
    "аас": {"a": "аас", "o": "оос", "e": "ээс", "ө": "өөс"},
}


def spoken(word: str) -> str:
    """Return the word as its end is pronounced: trailing punctuation dropped, a digit read."""
    stripped = word.rstrip(" .,!?:;)»\"'”’").lower()
    digits = stripped[len(stripped.rstrip("0123456789")) :]
    if not digits:
        return stripped
    number = digits.lstrip("0") or "0"
    for zeros, name in _ROUND:
        if len(number) > len(zeros) and number.endswith(zeros):
            return name
    if len(number) > 1 and number[-1] == "0":
        return _TENS[int(number[-2])]
    return _DIGITS[int(number[-1])]


def vowel_class(word: str) -> str | None:
    """Return the class of the last deciding vowel (и alone makes a word front), or None."""
    said = spoken(word)
    for letter in reversed(said):
        if letter in _CLASS:
            return _CLASS[letter]
    return "e" if "и" in said else None


def suffix(word: str, case: Case) -> str | None:
    """Return the case suffix to write after the word and a hyphen, or None if unknown."""
    harmony = vowel_class(word)
    if harmony is None:
        return None
    said = spoken(word)
    last = said[-1]
    ends_long = len(said) > 1 and ((last in _VOWELS and said[-2] in _VOWELS) or last == "й")
    if case == "д":
        if word.rstrip()[-1:].isdigit():
            return "нд"  # a numeral or a date: 1-нд, 8-нд
        return "т" if last in "вгрсфк" else "д"
    if case == "ыг":
        if last in _VOWELS or last == "й":
            return "г"
        back = harmony in ("a", "o") and last not in "жчшгкиь"
        return "ыг" if back else "ийг"
    written = _SUFFIXES[case][harmony]
    return "г" + written if case == "аас" and ends_long else written


def attach(word: str, case: Case, fallback: str | None = None) -> str | None:
    """Return the word with its suffix ("Хог-ийг"), the fallback when the word gives no clue."""
    ending = suffix(word, case)
    return fallback if ending is None else f"{word}-{ending}"
