"""Drive the conversation core as one user would, without any Telegram framework."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.app import App
from bot.updates import to_incoming
from handlers.html import plain
from handlers.messages import (
    AnswerButton,
    Attachment,
    Button,
    EditText,
    Incoming,
    Kind,
    Reply,
    SendText,
)
from storage.users import Users

_update_ids = itertools.count(1)


@dataclass
class Screen:
    """A message as the user sees it: its id, text and buttons."""

    message_id: int
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()

    def labels(self) -> list[str]:
        """Return every button label."""
        return [plain(b.label) for row in self.buttons for b in row]


@dataclass
class Chat:
    """One user's private chat with the bot."""

    app: App
    user_id: int
    first_name: str = "Болд"
    language_code: str | None = "mn"
    screens: dict[int, Screen] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Apply an event and keep what the user would see."""
        replies = await self.app.dispatcher.handle(incoming)
        for reply in replies:
            match reply:
                case SendText(chat_id=None | self.user_id):
                    number = next(self._message_ids)
                    self.screens[number] = Screen(number, reply.text, reply.buttons)
                case EditText(chat_id=None | self.user_id):
                    self.screens[reply.message_id] = Screen(
                        reply.message_id, reply.text, reply.buttons
                    )
                case AnswerButton(text=str() as text):
                    self.notices.append(text)
        return replies

    def _sender(self) -> dict[str, object]:
        return {
            "user_id": self.user_id,
            "chat_id": self.user_id,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }

    async def send(self, text: str, *, update_id: int | None = None) -> list[Reply]:
        """Type a message (a leading slash makes it a command)."""
        update = {
            "update_id": update_id if update_id is not None else next(_update_ids),
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": self.user_id, "type": "private"},
                "from": {
                    "id": self.user_id,
                    "is_bot": False,
                    "first_name": self.first_name,
                    "language_code": self.language_code,
                },
                "text": text,
            },
        }
        if text.startswith("/"):
            update["message"]["entities"] = [  # type: ignore[index]
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        incoming = to_incoming(update)
        assert incoming is not None
        return await self.handle(incoming)

    async def attach(self, kind: str, *, file_size: int = 1000) -> list[Reply]:
        """Send a non-text message: photo, document, sticker, location..."""
        attachment = Attachment(
            kind=kind, file_id=f"{kind}-{next(_update_ids)}", file_size=file_size
        )
        return await self.handle(
            Incoming(
                kind=Kind.ATTACHMENT,
                update_id=next(_update_ids),
                attachment=attachment,
                **self._sender(),  # type: ignore[arg-type]
            )
        )

    def last(self) -> Screen:
        """Return the newest message."""
        return self.screens[max(self.screens)]

    def find(self, label: str) -> tuple[Screen, Button]:
        """Find the newest message with a button whose label contains the text."""
        for number in sorted(self.screens, reverse=True):
            screen = self.screens[number]
            for row in screen.buttons:
                for button in row:
                    if label in plain(button.label):
                        return screen, button
        raise AssertionError(f"no button {label!r}; last: {self.last().labels()}")

    async def press(self, label: str, *, screen: Screen | None = None) -> list[Reply]:
        """Press the newest button with this label (or one on the given message)."""
        if screen is None:
            screen, button = self.find(label)
        else:
            button = next(b for row in screen.buttons for b in row if label in plain(b.label))
        return await self.press_data(button.data or "", screen.message_id)

    async def press_data(self, data: str, message_id: int | None = None) -> list[Reply]:
        """Press a button with arbitrary callback data (forged or from an old message)."""
        return await self.handle(
            Incoming(
                kind=Kind.BUTTON,
                update_id=next(_update_ids),
                callback_id=f"cb-{next(_update_ids)}",
                callback_data=data,
                message_id=message_id or self.last().message_id,
                **self._sender(),  # type: ignore[arg-type]
            )
        )

    def texts(self, replies: Iterable[Reply]) -> list[str]:
        """Return the plain texts of sent or edited messages."""
        return [plain(r.text) for r in replies if isinstance(r, SendText | EditText)]


async def register(
    chat: Chat,
    *,
    district: str = "Баянгол",
    khoroo: str = "5",
    position: str = "Хорооны ажилтан",
    grant: str | None = None,
) -> None:
    """Register the user through the real flow (Mongolian); ``grant`` gives them a role
    as an admin would (the position chosen grants nothing)."""
    await chat.send("/start")
    await chat.press("Монгол")
    await chat.press(district)
    await chat.send(khoroo)
    await chat.press(position)
    if grant is not None:
        await grant_role(chat.app, chat.user_id, grant)


async def grant_role(app: App, user_id: int, role: str, district_id: int | None = None) -> None:
    """Grant a role the way an admin's /grant does (the tests of /grant are in test_roles)."""
    async with app.database.transaction() as session:
        await Users(session).grant(user_id, role, district_id, granted_by=None)
