"""The console runtime: the same flows in a terminal, with buttons shown as numbers."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from bot.app import App
from bot.updates import to_incoming
from handlers.html import plain
from handlers.messages import (
    AnswerButton,
    AnswerInline,
    Attachment,
    Button,
    EditText,
    Incoming,
    Keyboard,
    Kind,
    Reply,
    SendAlbum,
    SendDocument,
    SendPhoto,
    SendPoll,
    SendText,
    StopPoll,
)

QUIT = {"/quit", "/exit"}


class ConsoleRuntime:
    """A local conversation as one user, without Telegram and without a token."""

    def __init__(
        self,
        app: App,
        *,
        user_id: int,
        read: Callable[[], str] | None = None,
        out: TextIO | None = None,
        downloads: Path | None = None,
    ) -> None:
        self.app = app
        self.user_id = user_id
        self.read = read or sys.stdin.readline
        self.out = out or sys.stdout
        self.downloads = downloads or Path.cwd()
        self.choices: dict[int, str] = {}
        self.message_ids: dict[str, int] = {}

    def print(self, text: str = "") -> None:
        """Write a line to the console."""
        self.out.write(text + "\n")
        self.out.flush()

    async def run(self) -> None:
        """Talk until end of input or /quit."""
        self.print(
            "khoroo-bot chat — /quit to leave, a number presses a button, /photo sends a picture."
        )
        await self.say("/start")
        while True:
            line = await asyncio.to_thread(self.read)
            if not line or line.strip() in QUIT:
                self.print("👋")
                return
            await self.say(line.rstrip("\n"))

    async def say(self, line: str) -> None:
        """Send one line as the user and print what the bot answers."""
        incoming = self.incoming(line)
        for reply in await self.app.dispatcher.handle(incoming):
            self.show(reply)

    def incoming(self, line: str) -> Incoming:
        """Turn a typed line into an event: a number presses a button, /photo is a picture."""
        user: dict[str, Any] = {
            "user_id": self.user_id,
            "chat_id": self.user_id,
            "first_name": "Console",
        }
        stripped = line.strip()
        if stripped.isdigit() and int(stripped) in self.choices:
            data = self.choices[int(stripped)]
            return Incoming(
                kind=Kind.BUTTON,
                callback_id=f"console-{data}",
                callback_data=data,
                message_id=self.message_ids.get(data),
                **user,
            )
        if stripped in {"/photo", "/document", "/sticker", "/location"}:
            kind = stripped[1:]
            return Incoming(
                kind=Kind.ATTACHMENT,
                attachment=Attachment(kind=kind, file_id=f"console-{kind}", file_size=1024),
                **user,
            )
        update = {
            "message": {
                "message_id": 0,
                "chat": {"id": self.user_id, "type": "private"},
                "from": {"id": self.user_id, "first_name": "Console", "is_bot": False},
                "text": line,
            }
        }
        return to_incoming(update) or Incoming(kind=Kind.TEXT, text=line, **user)

    def show(self, reply: Reply) -> None:
        """Print one reply, numbering its buttons."""
        match reply:
            case SendText() | EditText():
                marker = "✎ " if isinstance(reply, EditText) else ""
                self.print()
                self.print(marker + plain(reply.text))
                self.number(reply.buttons, getattr(reply, "message_id", None))
            case AnswerButton(text=str() as text) if text:
                self.print(f"ℹ️  {plain(text)}")
            case SendPhoto() | SendDocument():
                self.save(reply)
            case SendAlbum():
                self.print(f"[{len(reply.photos)} photos] {plain(reply.caption)}")
            case SendPoll():
                self.print(f"[poll] {reply.question}: " + " / ".join(reply.options))
            case StopPoll():
                self.print("[poll closed]")
            case AnswerInline():
                for result in reply.results:
                    self.print(f"• {result.title}")

    def number(self, buttons: Keyboard, message_id: int | None) -> None:
        """Show buttons as numbered choices; numbering restarts with each new set."""
        if not buttons:
            return
        self.choices = {}
        message_id = message_id or len(self.message_ids) + 1
        for row in buttons:
            cells = []
            for button in row:
                cells.append(self.choice(button, message_id))
            self.print("   ".join(cells))

    def choice(self, button: Button, message_id: int) -> str:
        """Register one button under the next number and return how it is shown."""
        if button.data is None:
            return f"[{button.label}: {button.url or button.switch_inline or ''}]"
        number = len(self.choices) + 1
        self.choices[number] = button.data
        self.message_ids[button.data] = message_id
        return f"[{number}] {plain(button.label)}"

    def save(self, reply: SendPhoto | SendDocument) -> None:
        """Write a file the bot sent next to the user, and say where."""
        content = reply.photo if isinstance(reply, SendPhoto) else reply.document
        caption = plain(reply.caption)
        if isinstance(content, bytes):
            path = self.downloads / reply.filename
            path.write_bytes(content)
            self.print(f"[file saved: {path}] {caption}")
        else:
            self.print(f"[file {content}] {caption}")
