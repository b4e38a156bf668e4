"""Clean text on its way in: what the database stores and other users see.

PostgreSQL refuses U+0000 in text, and no other control character means anything in an
officer's answer, so ``clean_text`` drops them all but newlines and tabs (a carriage return
becomes a newline), and lone surrogates, which cannot be encoded. Names and titles shown
to other users also lose the characters that disguise them: bidi overrides and isolates,
which reverse what follows, and zero-width characters, which hide inside a word.
"""

from __future__ import annotations

import re

_CONTROLS = {code: None for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))}
del _CONTROLS[ord("\t")], _CONTROLS[ord("\n")]
_SURROGATES = re.compile("[\ud800-\udfff]")
_NEWLINES = re.compile(r"\r\n?")
BIDI = (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
ZERO_WIDTH = (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)
_DISGUISES = dict.fromkeys((*BIDI, *ZERO_WIDTH))
_SPACES = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Drop control characters (keeping newlines and tabs) and unencodable surrogates."""
    if text.isprintable():  # the common case: nothing to do, and no copy
        return text
    text = _NEWLINES.sub("\n", text).translate(_CONTROLS)
    return _SURROGATES.sub("", text)


def clean_name(text: str) -> str:
    """Return a one-line name or title without controls, bidi overrides or zero-width characters."""
    if text.isprintable():  # no control, format or line-separating character at all
        return text.strip()
    return _SPACES.sub(" ", clean_text(text).translate(_DISGUISES)).strip()
