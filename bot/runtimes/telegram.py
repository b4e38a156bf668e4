"""What both Telegram runtimes share: the lifecycle, updates in, replies out, failures classed.

A runtime is built with the core's `Hooks` and a way to receive updates (long polling, or a
`Webhook`), and has one lifecycle for both: `start()` checks the token, sets the command
menu, begins receiving and starts the workers; `run_until_stopped()` waits; `stop()` stops
receiving, lets the updates in progress send their replies, stops the workers and closes.
`serve()` is all three, with `stop()` on cancellation (SIGTERM).

Turning a `Reply` into Bot API calls, and deciding what a refused call means, happens here
once; a framework's subclass supplies only its calls (one method per Bot API method used),
its way of polling, and what its exceptions say as a `Refusal`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.logs import current_update
from bot.transport import Failure, Hooks
from bot.updates import to_incoming
from bot.webhook import MalformedUpdate, Webhook, WebhookServer
from handlers.messages import (
    AnswerButton,
    AnswerInline,
    EditText,
    Incoming,
    InlineResult,
    Keyboard,
    Reply,
    SendAlbum,
    SendDocument,
    SendPhoto,
    SendPoll,
    SendText,
    SetCommands,
    StopPoll,
)

log = logging.getLogger(__name__)


class TokenRefused(RuntimeError):
    """Telegram answered 401 to the token."""

    def __init__(self) -> None:
        super().__init__("Telegram refused the token (401 Unauthorized): check BOT_TOKEN.")


@dataclass(frozen=True)
class Refusal:
    """A failed Bot API call in the Bot API's own terms, whichever framework reported it."""

    status: int | None  # Telegram's error_code; None: no answer (network error, timeout)
    description: str = ""
    retry_after: float = 0.0


def classify(refusal: Refusal | None) -> tuple[Failure, float]:
    """Say how to treat a refused call, and how long to wait before sending again."""
    if refusal is None:
        return Failure.OTHER, 0
    text = refusal.description.lower()
    if refusal.status == 403:
        return Failure.UNREACHABLE, 0
    if refusal.status == 429:
        return Failure.RETRY_AFTER, refusal.retry_after
    if refusal.status == 400 and "not modified" in text:
        return Failure.NOT_MODIFIED, 0
    if refusal.status == 400 and any(
        words in text for words in ("chat not found", "user not found", "peer_id_invalid")
    ):
        return Failure.INVALID, 0
    if refusal.status is None or refusal.status >= 500:
        return Failure.TEMPORARY, 0
    return Failure.OTHER, 0


@dataclass(frozen=True)
class PostedPoll:
    """What Telegram said about a native poll the bot posted."""

    poll_id: str
    message_id: int


class TelegramRuntime(ABC):
    """Serve the core over one Telegram framework, by long polling or a webhook."""

    def __init__(self, hooks: Hooks, *, webhook: Webhook | None = None) -> None:
        self.hooks = hooks
        self.webhook = webhook
        self.bot_username = ""
        # Told each update id once its replies went out (metrics, tests waiting on the bot).
        self.observers: list[Callable[[int], None]] = []
        self._workers: list[asyncio.Future[None]] = []
        self._server: WebhookServer | None = None
        # What receives updates, when it can end by itself (a polling loop that failed).
        self._receiving: asyncio.Future[Any] | None = None
        self._stopping = asyncio.Event()
        self._stopped: asyncio.Future[None] | None = None
        self._in_flight = 0
        # Updates whose webhook request was answered while their other replies go out.
        self._background: set[asyncio.Future[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    # -- the lifecycle ----------------------------------------------------------------------

    async def connect(self) -> None:
        """Check the token and learn the bot's username (raise TokenRefused on a 401)."""
        self.bot_username = await self._get_username()
        self.hooks.named(self.bot_username)

    async def start(self) -> None:
        """Connect, set the command menu, begin receiving updates and start the workers."""
        await self.connect()
        for language, commands in self.hooks.command_menus.items():
            await self._set_commands(list(commands), language)
        if self.webhook is None:
            self._receiving = await self._start_polling()
        else:
            # Listen first, so the updates Telegram sends once the hook is set are taken.
            self._server = WebhookServer(self._take_update, self.webhook.secret)
            await self._server.start(self.webhook.host, self.webhook.port)
            await self._set_webhook(self.webhook.endpoint, self.webhook.secret)
        for worker in self.hooks.workers:
            self._workers.append(asyncio.ensure_future(worker(self)))

    async def run_until_stopped(self) -> None:
        """Wait until stop() is called; raise if receiving updates ended by itself."""
        stopping = asyncio.ensure_future(self._stopping.wait())
        waits: set[asyncio.Future[Any]] = {stopping}
        if self._receiving is not None:
            waits.add(self._receiving)
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not self._stopping.is_set() and self._receiving is not None:
            self._receiving.result()  # raises what ended it
            raise RuntimeError("receiving updates stopped by itself")

    async def serve(self) -> None:
        """Start, serve until stopped or cancelled, then stop gracefully."""
        try:
            await self.start()
            await self.run_until_stopped()
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Stop receiving, let the replies in progress go out, stop the workers and close.

        Safe to call before start() or more than once: later calls wait for the first.
        """
        if self._stopped is None:
            self._stopping.set()
            self._stopped = asyncio.ensure_future(self._shut_down())
        await asyncio.shield(self._stopped)

    async def _shut_down(self) -> None:
        try:
            if self._server is not None:
                await self._server.stop()
            await self._stop_polling()
            await self.finish_updates()
        finally:  # whatever failed above, the workers stop and the connections close
            for task in self._workers:
                task.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
            self._workers.clear()
            await self._close()

    async def finish_updates(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait (at shutdown) until the updates being handled have sent their replies."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._idle.wait()

    # -- updates in -------------------------------------------------------------------------

    async def process(self, update: dict[str, Any]) -> None:
        """Handle one update from Telegram (the Bot API's JSON) and send the replies."""
        await self._handle(update, to_incoming(update, self.bot_username))

    async def _take_update(self, update: dict[str, Any]) -> dict[str, Any] | None:
        """Handle an update the webhook received: the framework checks it first.

        A button's answer goes back in the webhook's answer (Telegram performs a method call
        given there), saving a request while the user's button still spins: it is returned
        as soon as the update is committed, and the other replies go out meanwhile.
        """
        checked = self._check_update(update)
        try:
            incoming = to_incoming(checked, self.bot_username)
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise MalformedUpdate(f"the update cannot be read: {error!r}") from None
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        handling = asyncio.ensure_future(self._handle(checked, incoming, answer))
        waits: set[asyncio.Future[Any]] = {handling, answer}
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        if not handling.done():  # the rest of the replies are still going out
            self._background.add(handling)
            handling.add_done_callback(self._background.discard)
            return answer.result()
        answer.cancel()
        handling.result()
        return None

    async def _handle(
        self,
        update: dict[str, Any],
        incoming: Incoming | None,
        answer: asyncio.Future[dict[str, Any]] | None = None,
    ) -> None:
        marker = current_update.set(update.get("update_id"))
        self._in_flight += 1
        self._idle.clear()
        try:
            if incoming is None:
                return
            replies = list(await self.hooks.handle(incoming))
            if answer is not None:
                replies = self._answer_in_response(replies, incoming, answer)
            for reply in replies:
                await self.deliver(reply, incoming.chat_id, update_id=incoming.update_id)
        finally:
            current_update.reset(marker)
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
            for observer in self.observers:
                observer(int(update.get("update_id", 0)))

    @staticmethod
    def _answer_in_response(
        replies: list[Reply], incoming: Incoming, answer: asyncio.Future[dict[str, Any]]
    ) -> list[Reply]:
        """Give the press's answer to the webhook's response; return the replies left to send."""
        for index, reply in enumerate(replies):
            if isinstance(reply, AnswerButton) and reply.callback_id == incoming.callback_id:
                call: dict[str, Any] = {
                    "method": "answerCallbackQuery",
                    "callback_query_id": reply.callback_id,
                }
                if reply.text:
                    call["text"] = reply.text
                if reply.alert:
                    call["show_alert"] = True
                if not answer.done():
                    answer.set_result(call)
                return replies[:index] + replies[index + 1 :]
        return replies

    # -- replies out ------------------------------------------------------------------------

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
                    await self.hooks.mark_unreachable(target)
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

    async def send(self, reply: Reply, chat_id: int) -> None:
        """Perform one reply in the given chat: texts and captions are HTML."""
        match reply:
            case SendText():
                await self._send_message(chat_id, reply.text, reply.buttons)
            case EditText():
                await self._edit_message_text(chat_id, reply.message_id, reply.text, reply.buttons)
            case AnswerButton():
                await self._answer_callback_query(reply.callback_id, reply.text, reply.alert)
            case SendPhoto():
                await self._send_photo(
                    chat_id, reply.photo, reply.filename, reply.caption or None, reply.buttons
                )
            case SendDocument():
                await self._send_document(
                    chat_id, reply.document, reply.filename, reply.caption or None
                )
            case SendAlbum():
                # An album's caption is the first photo's.
                album = [
                    (photo, (reply.caption or None) if i == 0 else None)
                    for i, photo in enumerate(reply.photos)
                ]
                await self._send_media_group(chat_id, album)
            case SendPoll():
                posted = await self._send_poll(chat_id, reply)
                if posted is not None:
                    await self.hooks.poll_sent(reply, posted.poll_id, chat_id, posted.message_id)
            case StopPoll():
                await self._stop_poll(chat_id, reply.message_id)
            case AnswerInline():
                await self._answer_inline_query(
                    reply.inline_query_id, reply.results, reply.next_offset, reply.cache_time
                )
            case SetCommands():
                await self._set_commands(list(reply.commands), reply.language, chat_id=chat_id)

    def classify(self, error: Exception) -> tuple[Failure, float]:
        """Say what kind of failure an exception is, and how long to wait for a 429."""
        if isinstance(error, TimeoutError):
            return Failure.TEMPORARY, 0
        return classify(self._refusal(error))

    # -- what each framework supplies -------------------------------------------------------

    @abstractmethod
    async def _get_username(self) -> str:
        """Call getMe (and whatever the framework needs first); raise TokenRefused on a 401."""

    @abstractmethod
    async def _start_polling(self) -> asyncio.Future[Any] | None:
        """Delete any webhook and begin long polling; return the polling task if there is one."""

    @abstractmethod
    async def _stop_polling(self) -> None:
        """Stop long polling if it runs (the updates already taken are still handled)."""

    @abstractmethod
    async def _close(self) -> None:
        """Release the framework's connections."""

    @abstractmethod
    def _check_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Validate a webhook update with the framework; raise MalformedUpdate if it is not one."""

    @abstractmethod
    def _refusal(self, error: Exception) -> Refusal | None:
        """Say what Telegram answered, if the exception is the framework's report of it."""

    @abstractmethod
    async def _set_webhook(self, url: str, secret: str) -> None:
        """Call setWebhook with the secret and the updates the bot handles."""

    @abstractmethod
    async def _set_commands(
        self, commands: list[tuple[str, str]], language: str | None, *, chat_id: int | None = None
    ) -> None:
        """Call setMyCommands: for everyone, or (a chat id) for that chat's scope only."""

    @abstractmethod
    async def _send_message(self, chat_id: int, text: str, buttons: Keyboard) -> None:
        """Call sendMessage."""

    @abstractmethod
    async def _edit_message_text(
        self, chat_id: int, message_id: int, text: str, buttons: Keyboard
    ) -> None:
        """Call editMessageText."""

    @abstractmethod
    async def _answer_callback_query(self, callback_id: str, text: str | None, alert: bool) -> None:
        """Call answerCallbackQuery."""

    @abstractmethod
    async def _send_photo(
        self,
        chat_id: int,
        photo: str | bytes,
        filename: str,
        caption: str | None,
        buttons: Keyboard,
    ) -> None:
        """Call sendPhoto with a file id or the file's bytes."""

    @abstractmethod
    async def _send_document(
        self, chat_id: int, document: str | bytes, filename: str, caption: str | None
    ) -> None:
        """Call sendDocument with a file id or the file's bytes."""

    @abstractmethod
    async def _send_media_group(
        self, chat_id: int, photos: Sequence[tuple[str, str | None]]
    ) -> None:
        """Call sendMediaGroup with photos by file id, each with its caption or None."""

    @abstractmethod
    async def _send_poll(self, chat_id: int, poll: SendPoll) -> PostedPoll | None:
        """Call sendPoll; return the poll's id and message id."""

    @abstractmethod
    async def _stop_poll(self, chat_id: int, message_id: int) -> None:
        """Call stopPoll."""

    @abstractmethod
    async def _answer_inline_query(
        self,
        query_id: str,
        results: Sequence[InlineResult],
        next_offset: str,
        cache_time: int,
    ) -> None:
        """Call answerInlineQuery with articles whose text is HTML, personal to the asker."""
