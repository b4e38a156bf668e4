"""A user who floods the bot is told once and ignored briefly; others are not slowed."""

from __future__ import annotations

from handlers.flood import FloodGuard, Verdict
from handlers.html import plain
from handlers.messages import AnswerButton, SendText
from tests.support.chat import Chat, register


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_guard_warns_once_then_drops_until_the_pause_ends():
    clock = Clock()
    guard = FloodGuard(limit=3, window=10, pause=20, clock=clock)
    assert [guard.check(1) for _ in range(3)] == [Verdict.ALLOW] * 3
    assert guard.check(1) is Verdict.WARN
    assert guard.check(1) is Verdict.DROP
    assert guard.check(2) is Verdict.ALLOW  # another user is not affected
    clock.now += 21
    assert guard.check(1) is Verdict.ALLOW


def test_a_steady_pace_is_never_limited():
    clock = Clock()
    guard = FloodGuard(limit=3, window=10, pause=20, clock=clock)
    for _ in range(50):
        clock.now += 4
        assert guard.check(1) is Verdict.ALLOW


async def test_flooding_through_the_dispatcher(app):
    clock = Clock()
    app.dispatcher.flood = FloodGuard(limit=5, window=10, pause=20, clock=clock)
    flooder, other = Chat(app, 1), Chat(app, 2)
    await flooder.send("/start")
    for _ in range(4):
        await flooder.send("/help")
    warned = await flooder.send("/help")
    assert [plain(r.text) for r in warned if isinstance(r, SendText)] == [
        "Та хэт олон мессеж илгээж байна. Түр хүлээгээд дахин оролдоно уу."
    ]
    assert await flooder.send("/help") == []
    pressed = await flooder.press_data("menu:settings")
    assert pressed == [AnswerButton(pressed[0].callback_id, None)]  # spinner stopped, no text
    await register(other)  # the other user registers while the flooder waits
    assert "Үндсэн цэс" in plain(other.last().text)
    clock.now += 21
    assert await flooder.send("/help")
