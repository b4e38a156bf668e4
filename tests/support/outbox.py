"""Send what the outbox holds, as the sender would, and return it instead of calling Telegram."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta

from bot.app import App
from bot.sender import Sender, SenderConfig
from bot.transport import Failure
from handlers.messages import Reply, SendText


class _Recorder:
    """A transport that keeps every message with the chat it was sent to."""

    def __init__(self) -> None:
        self.sent: list[Reply] = []

    async def send(self, reply: Reply, chat_id: int) -> None:
        self.sent.append(dataclasses.replace(reply, chat_id=chat_id))  # type: ignore[type-var]

    def classify(self, error: Exception) -> tuple[Failure, float]:
        return Failure.OTHER, 0


async def delivered(app: App) -> list[SendText]:
    """Run a sender over the outbox until it is empty; return the texts it sent, addressed.

    The sender's pauses pass on a clock of its own (starting at the app's), so pacing costs
    no waiting.
    """
    moment = app.services.clock()

    def now() -> datetime:
        return moment

    async def sleep(seconds: float) -> None:
        nonlocal moment
        moment += timedelta(seconds=max(seconds, 0))
        await asyncio.sleep(0)

    recorder = _Recorder()
    sender = Sender(
        app.database,
        app.services.catalogue,
        SenderConfig(contest_check=3600, progress=0),
        now=now,
        sleep=sleep,
    )
    await sender.run_until_idle(recorder)
    return [reply for reply in recorder.sent if isinstance(reply, SendText)]
