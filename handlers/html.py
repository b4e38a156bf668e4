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
    is valid on its own.
    """
    if visible_length(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        candidate = current + piece
        if current and visible_length(_closed(candidate)) > limit:
            parts.append(current)
            current = _reopen(current) + piece
        else:
            current = candidate
    if plain(current).strip():
        parts.append(current)
    return [_closed(part).strip() for part in parts]


def truncate(text: str, limit: int = limits.MESSAGE_TEXT.maximum) -> str:
    """Cut HTML to the limit, ending in an ellipsis, with tags balanced."""
    if visible_length(text) <= limit:
        return text
    return split(text, limit - 1)[0] + "…"


def _pieces(text: str, limit: int) -> list[str]:
    # Paragraphs first, then lines, then words, then hard cuts outside tags and entities.
    tokens = re.split(r"(\n\n|\n| )", text)
    pieces: list[str] = []
    for token in tokens:
        if visible_length(token) <= limit // 2:
            pieces.append(token)
            continue
        pieces.extend(_hard_cut(token, limit // 2))
    return pieces


def _hard_cut(token: str, size: int) -> list[str]:
    units = re.findall(r"<[^>]*>|&[#a-zA-Z0-9]+;|.", token, flags=re.S)
    out: list[str] = []
    chunk = ""
    for unit in units:
        if visible_length(chunk + unit) > size and plain(chunk):
            out.append(chunk)
            chunk = ""
        chunk += unit
    if chunk:
        out.append(chunk)
    return out


def _open_tags(text: str) -> list[str]:
    stack: list[str] = []
    for match in _TAG.finditer(text):
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            for index in range(len(stack) - 1, -1, -1):
                if _TAG.match(stack[index]).group(2).lower() == name:  # type: ignore[union-attr]
                    del stack[index:]
                    break
        else:
            stack.append(match.group(0))
    return stack


def _closed(text: str) -> str:
    closers = "".join(f"</{_TAG.match(tag).group(2)}>" for tag in reversed(_open_tags(text)))  # type: ignore[union-attr]
    return text + closers


def _reopen(text: str) -> str:
    return "".join(_open_tags(text))
