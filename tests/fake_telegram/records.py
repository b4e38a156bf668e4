"""What the fake server records: calls, uploads and the bot's messages as a user sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded in a multipart request."""

    data: bytes
    filename: str | None = None
    content_type: str | None = None

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {len(self.data)} bytes)"


@dataclass
class Call:
    """One request the bot made, decoded, with the answer it got."""

    method: str  # the official spelling, e.g. "sendMessage", whatever case the bot used
    params: dict[str, Any]  # JSON-encoded objects decoded; uploaded files are Upload objects
    files: dict[str, bytes]  # uploads: by parameter name, or by attach:// name inside media
    response: dict[str, Any]  # the JSON body the bot received
    time: float  # time.time() when the answer was sent
    status: int = 200
    http_method: str = "POST"
    injected: bool = False  # answered by fail_next / forbid_chats / rate_limit
    via_webhook: bool = False  # made in a webhook's answer to a delivery, not a request

    @property
    def ok(self) -> bool:
        """Tell whether Telegram said ok."""
        return bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        """Return the result of a successful call."""
        return self.response.get("result")

    @property
    def description(self) -> str | None:
        """Return the error description of a failed call."""
        return self.response.get("description")

    def __repr__(self) -> str:
        outcome = "ok" if self.ok else f"{self.status} {self.description}"
        return f"Call({self.method}, {self.params!r} -> {outcome})"


@dataclass(frozen=True)
class Button:
    """One inline keyboard button."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class SentMessage:
    """A message the bot sent, in its current state (after edits)."""

    chat_id: int | str
    message_id: int
    kind: str  # "text", "photo", "document", "poll", "video", "audio", ...
    text: str | None  # what the user reads: text or caption, markup removed
    raw_text: str | None  # as the bot sent it (HTML when parse_mode was HTML)
    parse_mode: str | None
    buttons: list[list[Button]]
    message: dict[str, Any]  # the Message object as Telegram returned it (after edits)
    method: str
    deleted: bool = False
    edits: int = 0
    # Labels of a custom reply keyboard sent with the message (Telegram does not echo it).
    reply_keyboard: list[list[str]] | None = None

    @property
    def button_texts(self) -> list[str]:
        """Return the labels of all buttons, row by row."""
        return [button.text for row in self.buttons for button in row]

    @property
    def callback_data(self) -> list[str]:
        """Return the callback_data of all buttons, row by row."""
        return [b.callback_data for row in self.buttons for b in row if b.callback_data]

    def button(self, text: str) -> Button:
        """Return the button with this label (exact, else the only one containing it)."""
        flat = [button for row in self.buttons for button in row]
        exact = [button for button in flat if button.text == text]
        if exact:
            return exact[0]
        partial = [button for button in flat if text in button.text]
        if len(partial) == 1:
            return partial[0]
        raise LookupError(f"no single button {text!r} in {self.button_texts}")

    @property
    def poll(self) -> dict[str, Any] | None:
        """Return the poll of a poll message."""
        return self.message.get("poll")


def buttons_of(message: dict[str, Any]) -> list[list[Button]]:
    """Return the inline keyboard of a Message object as Button rows."""
    markup = message.get("reply_markup") or {}
    return [
        [
            Button(
                text=str(button.get("text", "")),
                callback_data=button.get("callback_data"),
                url=button.get("url"),
                raw=button,
            )
            for button in row
        ]
        for row in markup.get("inline_keyboard", [])
    ]
