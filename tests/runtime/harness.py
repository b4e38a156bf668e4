"""Run the real aiogram or python-telegram-bot runtime against the fake Bot API server."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pydantic import SecretStr

from bot.app import App, build_app
from bot.runtimes import KINDS, telegram_runtime
from bot.runtimes.telegram import TelegramRuntime
from bot.settings import Settings
from tests.fake_telegram import FakeTelegram, SentMessage

RUNTIMES = KINDS


class LiveBot:
    """A running bot and the fake Telegram it talks to, driven as users would."""

    def __init__(
        self, fake: FakeTelegram, app: App, runtime: TelegramRuntime, serving: asyncio.Task[None]
    ) -> None:
        self.fake = fake
        self.app = app
        self.runtime = runtime
        self.serving = serving
        self.done: Counter[int] = Counter()
        runtime.observers.append(self._observe)

    def _observe(self, update_id: int) -> None:
        self.done[update_id] += 1
        self.fake.notify()  # wake anyone waiting on the fake, too

    async def settle(self, update: dict[str, Any], times: int = 1) -> None:
        """Wait until the bot has handled the update (and sent its replies)."""
        update_id = int(update["update_id"])
        serving = self.serving
        await self.fake.wait_for(
            lambda: self.done[update_id] >= times or serving.done(), timeout=10
        )
        if serving.done():
            serving.result()  # receiving updates stopped: show why
            raise AssertionError("the bot stopped serving")

    async def settle_all(self, updates: list[dict[str, Any]], timeout: float = 60) -> None:  # noqa: ASYNC109
        """Wait until the bot has handled every one of these updates (in any order)."""
        ids = [int(update["update_id"]) for update in updates]
        await self.fake.wait_for_all(ids, lambda update_id: self.done[update_id], timeout)

    async def say(self, user_id: int, text: str, **user: Any) -> list[SentMessage]:
        """Send a text as a user; return the bot's messages to that user since then."""
        before = len(self.fake.sent_messages(user_id))
        await self.settle(self.fake.user_sends(user_id, text, **user))
        return self.fake.sent_messages(user_id)[before:]

    async def press(self, user_id: int, label: str, message: SentMessage | None = None) -> None:
        """Press the newest button with this label in the user's chat."""
        if message is None:
            message = self.with_button(user_id, label)
        await self.settle(self.fake.user_presses(user_id, message, button=label))

    async def push(self, update: dict[str, Any], times: int = 1) -> None:
        """Wait for an update pushed with the fake's builders to be handled."""
        await self.settle(update, times)

    async def receives(self, user_id: int, needle: str) -> SentMessage:
        """Wait for a message to the user whose text or a button contains the needle.

        For what reaches a user through the outbox: the sender, woken by the event that
        filled it, sends it soon after, not within the event's own replies.
        """

        def found() -> SentMessage | None:
            for message in reversed(self.fake.sent_messages(user_id)):
                if needle in (message.text or "") or any(
                    needle in text for text in message.button_texts
                ):
                    return message
            return None

        await self.fake.wait_for(lambda: found() is not None, timeout=10)
        message = found()
        assert message is not None
        return message

    def with_button(self, user_id: int, label: str) -> SentMessage:
        """Return the newest message in the chat that has a button containing the label."""
        for message in reversed(self.fake.sent_messages(user_id)):
            if any(label in text for text in message.button_texts):
                return message
        last = self.fake.last_message(user_id)
        raise AssertionError(f"no button {label!r}; last: {last.button_texts if last else None}")

    def last_text(self, user_id: int) -> str:
        """Return what the user reads in the bot's newest message."""
        message = self.fake.last_message(user_id)
        assert message is not None and message.text is not None
        return message.text


def settings_for(settings: Settings, fake: FakeTelegram) -> Settings:
    """Point the test settings at the fake server."""
    return settings.model_copy(
        update={"telegram_api_url": fake.base_url, "bot_token": SecretStr(fake.token)}
    )


@asynccontextmanager
async def live_bot(
    kind: str, settings: Settings, fake: FakeTelegram, *, sender: bool = True
) -> AsyncIterator[LiveBot]:
    """Build the app, start the chosen runtime polling the fake server, and stop it after."""
    settings = settings_for(settings, fake)
    app = await build_app(settings, migrate=False, sender=sender)
    runtime = telegram_runtime(
        kind, app.hooks(), settings.token(), api_url=settings.telegram_api_url
    )
    serving: asyncio.Task[None] | None = None
    try:
        await runtime.start()
        serving = asyncio.create_task(runtime.run_until_stopped())
        serving.add_done_callback(lambda _: fake.notify())  # a bot that stops wakes the waiters
        yield LiveBot(fake, app, runtime, serving)
    finally:
        await runtime.stop()
        if serving is not None:
            await asyncio.gather(serving, return_exceptions=True)
        await app.close()
