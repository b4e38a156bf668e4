"""Telegram HTML: escape user text, keep messages within Telegram's length limits."""

from __future__ import annotations

import html
import re

from handlers import limits


class Html(str):
    """Text that is already safe HTML; the catalogue inserts it without escaping."""

    __slots__ = ()


def escape(text: object) -> Html:
    """Escape anything for Telegram's HTML parse mode (only <, > and & matter there)."""
    if isinstance(text, Html):
        return text
    return Html(html.escape(str(text), quote=False))


_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


def plain(text: str) -> str:
    """Return what a reader sees: tags dropped and entities decoded."""
    return html.unescape(_TAG.sub("", text))


def visible_length(text: str) -> int:
    """Count characters as Telegram does for a text limit (after entity parsing, in UTF-16)."""
    return len(plain(text).encode("utf-16-le")) // 2


def split(text: str, limit: int = limits.MESSAGE_TEXT.maximum) -> list[str]:
    """Split HTML into messages within the limit, at paragraph, line or word boundaries.

    Tags opened in one part are closed at its end and reopened in the next, so every part
    is valid on its own. One pass over the text: a long text costs in proportion to its size.
    """
    if visible_length(text) <= limit:
        return [text]
    return _Splitter(text, limit).parts()


def truncate(text: str, limit: int = limits.MESSAGE_TEXT.maximum) -> str:
    """Cut HTML to the limit, ending in an ellipsis, with tags balanced."""
    if visible_length(text) <= limit:
        return text
    return _Splitter(text, limit - 1).parts(first_only=True)[0] + "…"


# A tag, an entity, a paragraph break, a line break, a space, a run of other characters,
# or a stray < or & (escaped text has none, but the split must not loop on one).
_TOKEN = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>|<[^>]*>|&[#a-zA-Z0-9]+;|\n\n|\n| |[^<&\n ]+|[<&]")
_BREAKS = {"\n\n": 3, "\n": 2, " ": 1}  # the better place to cut, the higher
# What a token does: shows text (which a hard cut may divide), shows an indivisible entity
# or break, opens a tag, closes one, or shows nothing (a tag Telegram does not know).
_TEXT, _ATOM, _OPEN, _CLOSE, _NOTHING = range(5)
# A token: its text, visible width (UTF-16 units), break rank (> 0: a place to cut
# after), what it does, and the tag's name for tags.
_Token = tuple[str, int, int, int, str]


def _width(text: str) -> int:
    """Count UTF-16 code units, as Telegram measures text."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    append = tokens.append
    entities: dict[str, int] = {}
    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        first = raw[0]
        if raw in _BREAKS:
            append((raw, len(raw), _BREAKS[raw], _ATOM, ""))
        elif first == "<" and len(raw) > 1:
            name = match.group(2)
            if name is None:
                append((raw, 0, 0, _NOTHING, ""))
            else:
                append((raw, 0, 0, _CLOSE if match.group(1) else _OPEN, name.lower()))
        elif first == "&" and len(raw) > 1:
            width = entities.get(raw)
            if width is None:
                width = entities[raw] = _width(html.unescape(raw))
            append((raw, width, 0, _ATOM, ""))
        else:
            append((raw, _width(raw), 0, _TEXT, ""))
    return tokens


def _closers(stack: tuple[tuple[str, str], ...]) -> str:
    return "".join(f"</{name}>" for _, name in reversed(stack))


def _fitting(text: str, room: int) -> int:
    """Return how many characters of text fit in room UTF-16 units."""
    prefix = text[:room]
    if _width(prefix) == len(prefix):  # no character outside the BMP: one unit each
        return len(prefix)
    used = 0
    for index, character in enumerate(text):
        used += 2 if ord(character) > 0xFFFF else 1
        if used > room:
            return index
    return len(text)


class _Splitter:
    """Greedy parts: fill a part, then cut at its best break (or inside a word if none)."""

    def __init__(self, text: str, limit: int) -> None:
        self.tokens = _tokens(text)
        self.limit = limit

    def parts(self, *, first_only: bool = False) -> list[str]:
        parts: list[str] = []
        tokens, limit, half = self.tokens, self.limit, self.limit // 2
        position, end = 0, len(tokens)
        stack: tuple[tuple[str, str], ...] = ()  # the open tags: (tag, name)
        while position < end:
            pieces = [tag for tag, _ in stack]  # the tags still open reopen the part
            used = 0
            # The latest break of each rank: (token, pieces before the cut, used, stack).
            cuts: list[tuple[int, int, int, tuple[tuple[str, str], ...]] | None] = [None] * 4
            while position < end:
                raw, width, rank, kind, name = tokens[position]
                if used + width <= limit:
                    pieces.append(raw)
                    used += width
                    if kind == _OPEN:
                        stack = (*stack, (raw, name))
                    elif kind == _CLOSE:
                        for index in range(len(stack) - 1, -1, -1):
                            if stack[index][1] == name:
                                stack = stack[:index]
                                break
                    elif rank:
                        cuts[rank] = (position, len(pieces), used, stack)
                    position += 1
                    continue
                cut = self._best(cuts, half)
                if cut is not None:
                    del pieces[cut[1] :]
                    position, stack = cut[0] + 1, cut[3]
                elif kind == _TEXT and _fitting(raw, limit - used):
                    count = _fitting(raw, limit - used)
                    head = raw[:count]
                    pieces.append(head)
                    tokens[position] = (raw[count:], width - _width(head), 0, _TEXT, "")
                elif used == 0:  # wider than a whole part (never with a sane limit): skip it
                    position += 1
                break
            part = ("".join(pieces) + _closers(stack)).strip()
            if plain(part).strip():
                parts.append(part)
                if first_only:
                    break
        return parts or [""]

    @staticmethod
    def _best(
        cuts: list[tuple[int, int, int, tuple[tuple[str, str], ...]] | None], half: int
    ) -> tuple[int, int, int, tuple[tuple[str, str], ...]] | None:
        # A paragraph or line break in the second half of the part beats a later space.
        for rank in (3, 2):
            cut = cuts[rank]
            if cut is not None and cut[2] >= half:
                return cut
        found = [cut for cut in cuts if cut is not None]
        return max(found, key=lambda cut: cut[0]) if found else None
