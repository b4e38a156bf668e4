"""Parse Telegram's HTML parse mode as strictly as the Bot API does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Tag -> entity type; Telegram rejects every other tag.
_ENTITY_OF_TAG = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
# Only these named entities exist in Telegram HTML; numeric ones are all accepted.
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR_NAME = re.compile(r"[a-zA-Z_:][-a-zA-Z0-9_:.]*")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]*);")


class HtmlError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's wording."""


@dataclass
class _Open:
    tag: str
    attrs: dict[str, str]
    offset: int  # UTF-16 offset of the content start in the plain text
    byte_offset: int
    language: str | None = None


def _skip_space(source: str, pos: int) -> int:
    while pos < len(source) and source[pos].isspace():
        pos += 1
    return pos


_SPECIAL = re.compile("[<&]")


def utf16_len(text: str) -> int:
    """Return the length in UTF-16 code units, the unit of Telegram's offsets and limits."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, pos: int) -> int:
    return len(text[:pos].encode("utf-8"))


def _unescape(text: str, start: int, end: int, source: str) -> str:
    """Decode entities inside an attribute value, rejecting invalid ones."""
    out: list[str] = []
    pos = start
    while pos < end:
        char = source[pos]
        if char == "&":
            decoded, pos = _entity(source, pos)
            out.append(decoded)
        else:
            out.append(char)
            pos += 1
    return "".join(out)


def _entity(source: str, pos: int) -> tuple[str, int]:
    match = _ENTITY.match(source, pos)
    if match is None:
        raise HtmlError(f"Character entity expected at byte offset {_byte_offset(source, pos)}")
    body = match.group(1)
    if body.startswith(("#x", "#X")):
        code = int(body[2:], 16)
    elif body.startswith("#"):
        code = int(body[1:])
    elif body.lower() in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body.lower()], match.end()
    else:
        raise HtmlError(
            f'Unsupported HTML entity "&{body};" at byte offset {_byte_offset(source, pos)}'
        )
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise HtmlError(f"Invalid character entity at byte offset {_byte_offset(source, pos)}")
    return chr(code), match.end()


def _parse_attrs(source: str, pos: int, tag_start: int) -> tuple[dict[str, str], int]:
    """Read attributes up to and including the closing '>'; return them and the next position."""
    attrs: dict[str, str] = {}
    while True:
        pos = _skip_space(source, pos)
        if pos >= len(source):
            raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(source, tag_start)}")
        if source[pos] == ">":
            return attrs, pos + 1
        name_match = _ATTR_NAME.match(source, pos)
        if name_match is None:
            raise HtmlError(
                f"Expected equal sign in declaration of an attribute of a start tag at byte "
                f"offset {_byte_offset(source, pos)}"
            )
        name = name_match.group(0).lower()
        pos = _skip_space(source, name_match.end())
        if pos < len(source) and source[pos] == "=":
            pos = _skip_space(source, pos + 1)
            if pos >= len(source):
                raise HtmlError(
                    f"Unclosed start tag at byte offset {_byte_offset(source, tag_start)}"
                )
            quote = source[pos]
            if quote in "\"'":
                end = source.find(quote, pos + 1)
                if end < 0:
                    raise HtmlError(
                        f"Unclosed start tag at byte offset {_byte_offset(source, tag_start)}"
                    )
                attrs[name] = _unescape(source, pos + 1, end, source)
                pos = end + 1
            else:
                end = pos
                while end < len(source) and not source[end].isspace() and source[end] != ">":
                    end += 1
                attrs[name] = _unescape(source, pos, end, source)
                pos = end
        else:
            attrs[name] = ""


def _entity_of(frame: _Open, text_offset: int) -> dict[str, Any] | None:
    """Build the entity a closed tag produces, or None when it carries nothing."""
    length = text_offset - frame.offset
    kind = _ENTITY_OF_TAG[frame.tag]
    entity: dict[str, Any] = {"type": kind, "offset": frame.offset, "length": length}
    if kind == "text_link":
        entity["url"] = frame.attrs.get("href", "")
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = frame.attrs["emoji-id"]
    elif kind == "pre" and frame.language:
        entity["language"] = frame.language
    elif kind == "blockquote" and "expandable" in frame.attrs:
        entity["type"] = "expandable_blockquote"
    if length == 0:
        return None  # Telegram silently drops empty entities.
    return entity


def _check_start_tag(tag: str, attrs: dict[str, str], source: str, pos: int) -> None:
    where = f"at byte offset {_byte_offset(source, pos)}"
    if tag not in _ENTITY_OF_TAG:
        raise HtmlError(f'Unsupported start tag "{tag}" {where}')
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlError(f'Tag "span" must have class "tg-spoiler" {where}')
    if tag == "a" and not attrs.get("href"):
        raise HtmlError(f'Tag "a" must have attribute "href" {where}')
    if tag == "tg-emoji" and not attrs.get("emoji-id"):
        raise HtmlError(f'Tag "tg-emoji" must have attribute "emoji-id" {where}')


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return the plain text and entities of Telegram HTML, or raise HtmlError."""
    out: list[str] = []
    offset = 0  # UTF-16 length of the plain text so far
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    length = len(source)
    while pos < length:
        char = source[pos]
        if char == "<":
            if source.startswith("</", pos):
                match = _NAME.match(source, pos + 2)
                end = _skip_space(source, match.end()) if match else pos
                if match is None or end >= length or source[end] != ">":
                    raise HtmlError(
                        f"Unexpected end of name token at byte offset {_byte_offset(source, pos)}"
                    )
                tag = match.group(0).lower()
                if not stack:
                    raise HtmlError(
                        f'Unexpected end tag "{tag}" at byte offset {_byte_offset(source, pos)}'
                    )
                top = stack[-1]
                if top.tag != tag:
                    raise HtmlError(
                        f"Unmatched end tag at byte offset {_byte_offset(source, pos)}, "
                        f'expected "</{top.tag}>", found "</{tag}>"'
                    )
                stack.pop()
                language = top.attrs.get("class", "")
                if tag == "code" and stack and stack[-1].tag == "pre" and language:
                    # <pre><code class="language-x"> is one pre entity with a language.
                    if language.startswith("language-"):
                        stack[-1].language = language.removeprefix("language-")
                else:
                    entity = _entity_of(top, offset)
                    if entity is not None:
                        entities.append(entity)
                pos = end + 1
                continue
            match = _NAME.match(source, pos + 1)
            if match is None:
                raise HtmlError(
                    f"Unexpected end of name token at byte offset {_byte_offset(source, pos)}"
                )
            tag = match.group(0).lower()
            attrs, next_pos = _parse_attrs(source, match.end(), pos)
            _check_start_tag(tag, attrs, source, pos)
            stack.append(_Open(tag, attrs, offset, _byte_offset(source, pos)))
            pos = next_pos
            continue
        if char == "&":
            decoded, pos = _entity(source, pos)
        else:  # plain text up to the next tag or entity, in one piece
            match = _SPECIAL.search(source, pos)
            end = match.start() if match else length
            decoded, pos = source[pos:end], end
        out.append(decoded)
        offset += utf16_len(decoded)
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(out), entities
