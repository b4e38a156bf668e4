"""The console is honest: it delivers announcements, labels what goes to others, serves pages.

The console runtime is driven in-process: its input is a script read on the console's own
reader thread, which may wait for what the console prints (an event, never a sleep).
"""

from __future__ import annotations

import io
import re
import threading
import urllib.request
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.runtimes.console import ConsoleRuntime
from bot.settings import Settings
from storage.models import Announcement, Delivery
from tests.conftest import ADMIN_ID
from tests.support.chat import Chat, register
from tests.support.ports import free_port
from tests.unit.test_votes import open_vote

WAIT = 60  # seconds a scripted line waits for the console's output before giving up


class Screen(io.StringIO):
    """The console's output; a waiter is woken whenever a new line is written."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = threading.Condition()

    def write(self, text: str) -> int:
        with self.changed:
            written = super().write(text)
            self.changed.notify_all()
        return written

    def wait_for(self, seen: str) -> None:
        """Block (on the reader thread) until the text has been printed."""
        with self.changed:
            assert self.changed.wait_for(lambda: seen in self.getvalue(), WAIT), seen

    def number(self, label: str) -> str:
        """Return the number that presses the button with that label on the last screen."""
        last = self.getvalue().rsplit("\n\n", 1)[-1]
        return next(n for n, text in re.findall(r"\[(\d+)\] ([^\[\n]*)", last) if label in text)


Line = str | Callable[[Screen], str]


def press(label: str) -> Callable[[Screen], str]:
    """A scripted line that presses a button by its label."""
    return lambda screen: screen.number(label)


def after(seen: str, line: Line) -> Callable[[Screen], str]:
    """A scripted line typed once the console has printed something."""

    def typed(screen: Screen) -> str:
        screen.wait_for(seen)
        return line(screen) if callable(line) else line

    return typed


def console(app: App, user_id: int, script: list[Line], tmp_path: Path) -> ConsoleRuntime:
    """Return a console with background work whose user types the script, then /quit."""
    screen = Screen()
    lines = iter([*script, "/quit"])

    def read() -> str:
        line = next(lines)
        return (line(screen) if callable(line) else line) + "\n"

    return ConsoleRuntime(
        app, user_id=user_id, read=read, out=screen, downloads=tmp_path, background=True
    )


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[App]:
    """The app as `khoroo-bot chat` builds it, with its projector on a free port."""
    port_settings = settings.model_copy(update={"projector_port": free_port(), "sender_idle": 0.05})
    application = await build_app(port_settings, migrate=False)
    yield application
    await application.close()


async def test_an_announcement_sent_from_the_console_is_delivered(served: App, tmp_path):
    await register(Chat(served, ADMIN_ID, first_name="Админ"))
    await register(Chat(served, 101, first_name="Бат"))
    runtime = console(
        served,
        ADMIN_ID,
        [
            "/announce",
            "Маргааш 10 цагт сургалт болно.",
            press("Алгасах"),
            press("Бүх хэрэглэгчид"),
            press("Одоо"),
            press("Батлах"),
            after("илгээж дууслаа", "/menu"),  # the sender's summary: every delivery is done
        ],
        tmp_path,
    )
    await runtime.run()
    output = runtime.out.getvalue()
    assert "→ to 101 (Бат): Маргааш 10 цагт сургалт болно." in output
    async with served.database.transaction() as session:
        [announcement] = (await session.scalars(select(Announcement))).all()
        deliveries = (await session.scalars(select(Delivery))).all()
    assert announcement.state == "done"
    assert {d.chat_id: d.state for d in deliveries} == {ADMIN_ID: "sent", 101: "sent"}


async def test_a_message_to_another_user_is_labelled_with_the_recipient(app, tmp_path):
    await register(Chat(app, ADMIN_ID, first_name="Админ"))
    await register(Chat(app, 101, first_name="Бат"))
    out = io.StringIO()
    runtime = ConsoleRuntime(app, user_id=ADMIN_ID, out=out, downloads=tmp_path)
    await runtime.say("/grant trainer 101")
    told = [line for line in out.getvalue().splitlines() if line.startswith("→ to 101 (Бат): ")]
    assert told and "сургагч багш" in told[0]


async def test_the_projector_link_answers(served: App, tmp_path):
    owner = Chat(served, ADMIN_ID, first_name="Сургагч")
    await register(owner, grant="trainer")
    _, replies = await open_vote(owner)
    shown = "\n".join(str(getattr(r, "caption", "") or getattr(r, "text", "")) for r in replies)
    [link] = set(re.findall(r"http://[^\s\"<>]+/votes/[^\s\"<>]+", shown))
    link = link.replace("&amp;", "&")
    statuses: list[int] = []

    def fetch(screen: Screen) -> str:
        with urllib.request.urlopen(link, timeout=WAIT) as response:
            statuses.append(response.status)
        return "/menu"

    await console(served, ADMIN_ID, [fetch], tmp_path).run()
    assert statuses == [200]


async def test_a_vote_opens_from_my_votes_in_every_console_session(app, tmp_path):
    owner = Chat(app, ADMIN_ID, first_name="Сургагч")
    await register(owner, grant="trainer")
    vote, _ = await open_vote(owner)
    for _session in range(2):  # message ids go on: the second session is not "unchanged"
        out = io.StringIO()
        runtime = ConsoleRuntime(app, user_id=ADMIN_ID, out=out, downloads=tmp_path)
        await runtime.say("/myvotes")
        await runtime.say("1")
        assert f"Код: {vote.code}" in out.getvalue()
