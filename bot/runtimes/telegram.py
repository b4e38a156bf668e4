"""What both Telegram runtimes share: update in, replies out, and how send errors are handled."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from enum import Enum
from typing import Any

from bot.app import App
from bot.logs import current_update
from bot.updates import to_incoming
from handlers.i18n import LANGUAGES
from handlers.messages import Reply
from handlers.routes import command_menu

log = logging.getLogger(__name__)


class TokenRefused(RuntimeError):
    """Telegram answered 401 to the token."""

    def __init__(self) -> None:
        super().__init__("Telegram refused the token (401 Unauthorized): check BOT_TOKEN.")


class Failure(Enum):
    """How a failed Bot API call should be treated."""

    UNREACHABLE = "unreachable"  # 403: blocked, deactivated, kicked
    NOT_MODIFIED = "not_modified"  # editing to the same content: nothing to do
    RETRY_AFTER = "retry_after"  # 429: wait and send again
    INVALID = "invalid"  # 400 chat not found: the chat does not exist for the bot
    TEMPORARY = "temporary"  # 5xx, network error, timeout: may work later
    OTHER = "other"


class TelegramRuntime(ABC):
    """Serve the core over one Telegram framework."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.bot_username = ""
        self._workers: list[asyncio.Future[None]] = []
        # Told each update id once its replies went out (metrics, tests waiting on the bot).
        self.observers: list[Callable[[int], None]] = []
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def start_workers(self) -> None:
        """Start the app's background workers (live results, announcements) on this runtime."""
        for worker in self.app.workers:
            running = asyncio.ensure_future(worker(self))
            self._workers.append(running)

    async def stop_workers(self) -> None:
        """Cancel the background workers and wait for them to finish."""
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()

    async def process(self, update: dict[str, Any]) -> None:
        """Handle one update from Telegram and send the replies."""
        marker = current_update.set(update.get("update_id"))
        self._in_flight += 1
        self._idle.clear()
        try:
            incoming = to_incoming(update, self.bot_username)
            if incoming is None:
                return
            replies = await self.app.dispatcher.handle(incoming)
            for reply in replies:
                await self.deliver(reply, incoming.chat_id, update_id=incoming.update_id)
        finally:
            current_update.reset(marker)
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
            for observer in self.observers:
                observer(int(update.get("update_id", 0)))

    async def finish_updates(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait (at shutdown) until the updates being handled have sent their replies."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._idle.wait()

    async def deliver(
        self, reply: Reply, chat_id: int, *, update_id: int | None = None, attempts: int = 3
    ) -> None:
        """Send one reply (to its own chat, or this one); mark blockers, wait out a 429."""
        target = getattr(reply, "chat_id", None) or chat_id
        for _ in range(attempts):
            try:
                await self.send(reply, target)
                return
            except Exception as error:
                failure, retry_after = self.classify(error)
                if failure is Failure.NOT_MODIFIED:
                    return
                if failure is Failure.UNREACHABLE:
                    await self.app.mark_unreachable(target)
                    return
                if failure is Failure.RETRY_AFTER:
                    await asyncio.sleep(retry_after)
                    continue
                log.warning(
                    "sending %s failed: %s",
                    type(reply).__name__,
                    error,
                    extra={"update_id": update_id},
                )
                return

    async def set_commands(self) -> None:
        """Set the command menu for each language, and the default one."""
        catalogue = self.app.services.catalogue
        await self.set_command_menu(command_menu(catalogue, catalogue.default), None)
        for language in LANGUAGES:
            await self.set_command_menu(command_menu(catalogue, language), language)

    @abstractmethod
    async def send(self, reply: Reply, chat_id: int) -> None:
        """Perform one reply with the framework, in the given chat."""

    @abstractmethod
    def classify(self, error: Exception) -> tuple[Failure, float]:
        """Say what kind of failure an exception is, and how long to wait for a 429."""

    @abstractmethod
    async def set_command_menu(self, commands: list[tuple[str, str]], language: str | None) -> None:
        """Call setMyCommands."""
