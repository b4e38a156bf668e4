"""The core's own message model: one Incoming event in, a list of Reply actions out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from knowledge.clean import clean_name, clean_text


class Kind(StrEnum):
    """What the user did."""

    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    ATTACHMENT = "attachment"
    INLINE_QUERY = "inline_query"
    POLL_ANSWER = "poll_answer"


@dataclass(frozen=True)
class Attachment:
    """A non-text message part: photo, document, sticker, location, contact, voice..."""

    kind: str
    file_id: str | None = None
    file_size: int | None = None
    file_name: str | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class Incoming:
    """One event from a user, whatever channel it came through."""

    kind: Kind
    user_id: int
    chat_id: int
    update_id: int | None = None
    first_name: str = ""
    username: str | None = None
    language_code: str | None = None
    chat_type: str = "private"
    text: str = ""
    command: str | None = None  # without the slash, lower case
    args: str = ""
    callback_id: str | None = None
    callback_data: str | None = None
    message_id: int | None = None  # the message a pressed button sits on
    # What that message shows now (plain text, and each button's label and data), so an
    # edit that would change nothing is not sent: Telegram refuses it.
    message_text: str | None = None
    message_buttons: tuple[tuple[str, str], ...] = ()
    attachment: Attachment | None = None
    forwarded_from: int | None = None  # the user a forwarded message came from, when shown
    query_id: str | None = None  # an inline query's id
    inline_offset: str = ""
    poll_id: str | None = None
    option_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        # Cleaned on the way in, whichever runtime built the event: PostgreSQL refuses
        # U+0000, and a name must not hide reversed or invisible characters from others.
        for name, clean in (("text", clean_text), ("args", clean_text), ("first_name", clean_name)):
            value = getattr(self, name)
            cleaned = clean(value)
            if cleaned is not value:
                object.__setattr__(self, name, cleaned)


@dataclass(frozen=True)
class Button:
    """An inline button: it carries a short id (callback data) or opens a URL."""

    label: str
    data: str | None = None
    url: str | None = None
    switch_inline: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


def rows(buttons: Sequence[Button], width: int) -> Keyboard:
    """Lay buttons out in rows of the given width (the last row may be shorter)."""
    return tuple(tuple(buttons[i : i + width]) for i in range(0, len(buttons), width))


def keyboard_to_json(keyboard: Keyboard) -> list[list[list[str]]]:
    """Return callback buttons as JSON rows of [label, data] (to store with a message)."""
    return [[[b.label, b.data or ""] for b in row] for row in keyboard]


def keyboard_from_json(stored: Any) -> Keyboard:
    """Rebuild the callback buttons keyboard_to_json stored; anything malformed is dropped."""
    if not isinstance(stored, list):
        return ()
    return tuple(
        tuple(
            Button(str(pair[0]), str(pair[1]))
            for pair in row
            if isinstance(pair, list) and len(pair) == 2 and pair[1]
        )
        for row in stored
        if isinstance(row, list)
    )


@dataclass(frozen=True)
class SendText:
    """Send an HTML text, with inline buttons under it."""

    text: str
    buttons: Keyboard = ()
    chat_id: int | None = None  # None: the chat the event came from


@dataclass(frozen=True)
class EditText:
    """Replace the text and buttons of a message the bot sent earlier."""

    message_id: int
    text: str
    buttons: Keyboard = ()
    chat_id: int | None = None


@dataclass(frozen=True)
class AnswerButton:
    """Answer a button press, so the client stops its spinner; optionally show a notice."""

    callback_id: str
    text: str | None = None
    alert: bool = False


@dataclass(frozen=True)
class SendPhoto:
    """Send a photo, by Telegram file id or as bytes."""

    photo: str | bytes
    caption: str = ""
    buttons: Keyboard = ()
    chat_id: int | None = None
    filename: str = "image.png"


@dataclass(frozen=True)
class SendDocument:
    """Send a document, by Telegram file id or as bytes with a file name."""

    document: str | bytes
    filename: str = "file"
    caption: str = ""
    chat_id: int | None = None


@dataclass(frozen=True)
class SendAlbum:
    """Send 2 to 10 photos as one album."""

    photos: tuple[str, ...]
    caption: str = ""
    chat_id: int | None = None


@dataclass(frozen=True)
class SendPoll:
    """Post a native Telegram poll."""

    question: str
    options: tuple[str, ...]
    multiple: bool = False
    anonymous: bool = False
    hidden: bool = False  # results shown only once the poll is closed (a training's vote)
    chat_id: int | None = None
    tag: str = ""  # lets the core link the sent poll to its own record


@dataclass(frozen=True)
class StopPoll:
    """Close a native poll the bot posted, so the group sees it is over."""

    message_id: int
    chat_id: int | None = None


@dataclass(frozen=True)
class InlineResult:
    """One article in an inline-mode answer."""

    id: str
    title: str
    description: str
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True)
class AnswerInline:
    """Answer an inline query with up to 50 results."""

    inline_query_id: str
    results: tuple[InlineResult, ...]
    next_offset: str = ""
    cache_time: int = 30


@dataclass(frozen=True)
class SetCommands:
    """Set the Telegram command menu of one chat (its own scope): (command, description) pairs.

    ``language`` None: for whatever language the user's Telegram client is in.
    """

    chat_id: int
    commands: tuple[tuple[str, str], ...]
    language: str | None = None


Reply = (
    SendText
    | EditText
    | AnswerButton
    | SendPhoto
    | SendDocument
    | SendAlbum
    | SendPoll
    | StopPoll
    | AnswerInline
    | SetCommands
)
