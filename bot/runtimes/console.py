"""The console runtime: the same flows in a terminal, with buttons shown as numbers.

With ``background`` (as ``khoroo-bot chat`` runs it) the console is a whole bot: it runs the
app's workers (the announcement sender, live results, reminders) and serves the projector
pages, and prints what the bot sends to other users, labelled with the recipient.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from bot.app import App
from bot.transport import Failure
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
    SetCommands,
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
        background: bool = False,
    ) -> None:
        self.app = app
        self.background = background
        self.user_id = user_id
        self.read = read or sys.stdin.readline
        self.out = out or sys.stdout
        self.downloads = downloads or Path.cwd()
        self.choices: dict[int, str] = {}
        self.message_ids: dict[str, int] = {}
        # Message ids go on from one session to the next, as Telegram's do: the bot keeps
        # ids it showed (a vote's results message), and a reused one would look unchanged.
        self._message_numbers = itertools.count(time.time_ns() // 1_000_000)

    def print(self, text: str = "") -> None:
        """Write a line to the console."""
        self.out.write(text + "\n")
        self.out.flush()

    async def run(self) -> None:
        """Talk until end of input or /quit (with the workers and projector, if background)."""
        self.print(
            "khoroo-bot chat — /quit to leave, a number presses a button, /photo sends a picture."
        )
        if not self.background:
            await self.talk()
            return
        from bot.projector import Projector  # aiohttp is imported only when it serves

        settings = self.app.settings
        projector = Projector(self.app)
        await projector.start(settings.projector_host, settings.projector_port)
        workers = [asyncio.ensure_future(worker(self)) for worker in self.app.workers]
        try:
            await self.talk()
        finally:
            for task in workers:
                task.cancel()
            for task in workers:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await projector.stop()

    async def talk(self) -> None:
        """Read lines until end of input or /quit."""
        await self.say("/start")
        while True:
            line = await asyncio.to_thread(self.read)
            if not line or line.strip() in QUIT:
                self.print("👋")
                return
            await self.say(line.rstrip("\n"))

    async def say(self, line: str) -> None:
        """Send one line as the user and print what the bot answers, to them or to others."""
        incoming = self.incoming(line)
        for reply in await self.app.dispatcher.handle(incoming):
            await self.deliver(reply, self.user_id)
        if self.app.sender is not None:
            self.app.sender.wake()  # "send now" is sent now, not after the sender's pause

    # -- the Transport the workers and the sender send with ---------------------------------

    async def deliver(self, reply: Reply, chat_id: int) -> None:
        """Show one reply: the user's own, or one to another user labelled with its recipient."""
        if isinstance(reply, SetCommands):
            return  # a Telegram command menu: the console has none to set
        await self.send(reply, getattr(reply, "chat_id", None) or chat_id)

    async def send(self, reply: Reply, chat_id: int) -> None:
        """Print a reply to this user as it is, and a reply to another chat with its label."""
        if chat_id == self.user_id:
            self.show(reply)
            return
        text = getattr(reply, "text", None) or getattr(reply, "caption", None) or ""
        label = type(reply).__name__ if not text else plain(text)
        marker = "✎ " if isinstance(reply, EditText) else ""
        self.print()
        self.print(f"→ to {chat_id} ({await self.name(chat_id)}): {marker}{label}")

    def classify(self, error: Exception) -> tuple[Failure, float]:
        """Say that a failure is not Telegram's: printing does not fail for a reason to retry."""
        return Failure.OTHER, 0

    async def name(self, chat_id: int) -> str:
        """Return how a recipient is known: first name and @username, or a group."""
        from storage.users import Users

        async with self.app.database.transaction() as session:
            user = await Users(session).get(chat_id)
        if user is None:
            return "group" if chat_id < 0 else "?"
        return " ".join(
            filter(None, (user.first_name, f"@{user.username}" if user.username else None))
        )

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
        message_id = message_id or next(self._message_numbers)
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
