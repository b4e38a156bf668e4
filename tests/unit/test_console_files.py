"""The console saves each file the bot sends under its own name: a chart never overwrites a QR."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.app import App
from tests.conftest import ADMIN_ID
from tests.support.chat import Chat, register
from tests.unit.test_console import Screen, after, console, press, served  # noqa: F401


def newest(label: str) -> Callable[[Screen], str]:
    """Press a button of the newest buttons shown, even if a file was printed after them."""

    def typed(screen: Screen) -> str:
        found = re.findall(r"\[(\d+)\] ([^\[\n]*)", screen.getvalue())
        return next(n for n, text in reversed(found) if label in text)

    return typed


async def test_a_vote_s_qr_code_and_chart_are_saved_apart(served: App, tmp_path):  # noqa: F811
    await register(Chat(served, ADMIN_ID, first_name="Сургагч"), grant="trainer")
    script = [
        "/newvote",
        "Аль туршлагыг нутагшуулах вэ?",
        "Ногоон хороо",
        "Цахим хороо",
        *(press(label) for label in ("Болсон", "Нэг сонголт", "Нэртэй", "Шууд харуулах")),
        press("Гараар хаана"),
        press("Эхлүүлэх"),
        after("-qr.png", newest("Хаах")),
        after("Дахин нээх", newest("График")),
        after("-chart.png", "/menu"),
    ]
    await console(served, ADMIN_ID, script, tmp_path).run()
    saved = sorted(tmp_path.glob("*.png"))
    assert [path.name.rsplit("-", 1)[-1] for path in saved] == ["chart.png", "qr.png"], saved
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in saved)
