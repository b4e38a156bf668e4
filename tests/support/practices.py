"""Helpers for practice tests: submit one through the real flow, grant a reviewer."""

from __future__ import annotations

from handlers.html import plain
from handlers.messages import Button, Reply, SendText
from storage.models import Practice
from storage.practices import Reviewers
from storage.units import Units
from tests.support.chat import Chat

TITLE = "Хог хаягдлыг эх үүсвэр дээр нь ангилах аян"
PROBLEM = "Орон сууцны хогийн цэгүүд дүүрч, хуванцар, цаас холилдож байв."
SOLUTION = "Орц бүрт гурван өнгийн ангилах сав байрлуулж, айл өрхөд заавар тараасан."
RESULTS = "Дахин боловсруулах хуванцар 4 тонн болж, хогийн ачаалал 30 хувиар буурсан."


async def submit(chat: Chat, *, title: str = TITLE, photos: int = 0) -> list[Reply]:
    """Submit a practice from the main menu with valid answers; return the confirm's replies."""
    await chat.send("/submit")
    await chat.send(title)
    await chat.press("Байгаль орчин")
    await chat.send(PROBLEM)
    await chat.send(SOLUTION)
    await chat.send(RESULTS)
    await chat.press("Алгасах")  # resources
    await chat.press("Алгасах")  # partners
    await chat.press("Хэвээр үлдээх")
    for _ in range(photos):
        await chat.attach("photo")
    await chat.press("Болсон" if photos else "Алгасах")
    return await chat.press("Илгээх")


async def grant(app, user_id: int, district_code: str | None) -> None:
    """Make a user a reviewer directly in the database."""
    async with app.database.transaction() as session:
        district_id = None
        if district_code is not None:
            districts = await Units(session).districts()
            district_id = next(d.id for d in districts if d.code == district_code)
        await Reviewers(session).grant(user_id, district_id, granted_by=0)


async def practice(app, practice_id: int = 1) -> Practice:
    """Load a practice with its attachments and reviews."""
    async with app.database.transaction() as session:
        found = await session.get(Practice, practice_id)
        assert found is not None
        return found


def sent_to(replies: list[Reply], chat_id: int) -> list[SendText]:
    """Return the texts sent to another chat."""
    return [r for r in replies if isinstance(r, SendText) and r.chat_id == chat_id]


def button(replies: list[Reply], label: str) -> Button:
    """Find a button by label among replies."""
    for reply in replies:
        for row in getattr(reply, "buttons", ()):
            for candidate in row:
                if label in plain(candidate.label):
                    return candidate
    raise AssertionError(f"no button {label!r}")
