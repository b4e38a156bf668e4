"""The aiogram runtime: aiogram's Bot API calls and long polling, nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultUnion,
    InputMediaPhoto,
    InputPollOption,
    InputTextMessageContent,
    MediaUnion,
    Update,
)
from pydantic import ValidationError

from bot.runtimes.telegram import PostedPoll, Refusal, TelegramRuntime, TokenRefused
from bot.transport import Hooks
from bot.updates import ALLOWED_UPDATES
from bot.webhook import MalformedUpdate, Webhook
from handlers.messages import InlineResult, Keyboard, SendPoll

HTML = "HTML"
TELEGRAM_API = "https://api.telegram.org"
# What aiogram's exceptions stand for, in Telegram's error codes (its network errors, a 413
# among them, have none: like PTB's, they may work later).
_STATUS: tuple[tuple[type[TelegramAPIError], int], ...] = (
    (TelegramBadRequest, 400),
    (TelegramUnauthorizedError, 401),
    (TelegramForbiddenError, 403),
    (TelegramNotFound, 404),
    (TelegramConflictError, 409),
    (TelegramServerError, 500),
)


def markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    """Translate the core's buttons to aiogram's inline keyboard."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=b.label,
                    callback_data=b.data,
                    url=b.url,
                    switch_inline_query=b.switch_inline,
                )
                for b in row
            ]
            for row in buttons
            if row
        ]
    )


def _file(content: str | bytes, filename: str) -> str | BufferedInputFile:
    return BufferedInputFile(content, filename) if isinstance(content, bytes) else content


class AiogramRuntime(TelegramRuntime):
    """Serve the bot with aiogram 3."""

    def __init__(
        self,
        hooks: Hooks,
        token: str,
        *,
        api_url: str = TELEGRAM_API,
        webhook: Webhook | None = None,
    ) -> None:
        super().__init__(hooks, webhook=webhook)
        api = TelegramAPIServer.from_base(api_url)
        self.bot = Bot(token, session=AiohttpSession(api=api))
        self.dispatcher = Dispatcher()
        router = Router(name="khoroo-bot")
        for observer in (
            router.message,
            router.callback_query,
            router.inline_query,
            router.poll_answer,
        ):
            observer.register(self._on_event)
        self.dispatcher.include_router(router)
        # Told by aiogram itself when its polling runs, so stopping needs none of its insides.
        self._polling_runs = asyncio.Event()
        self.dispatcher.startup.register(self._polling_runs.set)
        self.dispatcher.shutdown.register(self._polling_runs.clear)
        self._polling: asyncio.Future[None] | None = None

    async def _on_event(self, event: Any, event_update: Update) -> None:
        await self.process(event_update.model_dump(mode="json", by_alias=True, exclude_none=True))

    async def _get_username(self) -> str:
        try:
            me = await self.bot.get_me()
        except TelegramUnauthorizedError:
            raise TokenRefused from None
        return me.username or ""

    async def _start_polling(self) -> asyncio.Future[Any] | None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._polling = asyncio.ensure_future(
            self.dispatcher.start_polling(
                self.bot,
                allowed_updates=list(ALLOWED_UPDATES),
                handle_signals=False,
                close_bot_session=False,
            )
        )
        runs = asyncio.ensure_future(self._polling_runs.wait())
        try:
            await asyncio.wait({self._polling, runs}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            runs.cancel()
        if self._polling.done():
            self._polling.result()  # it failed to start: say why
        return self._polling

    async def _stop_polling(self) -> None:
        polling = self._polling
        if polling is None:
            return
        # Cancelling start_polling from outside would leave its long poll running; aiogram
        # stops it the way it expects when asked.
        if self._polling_runs.is_set() and not polling.done():
            await self.dispatcher.stop_polling()
        await asyncio.gather(polling, return_exceptions=True)

    async def _close(self) -> None:
        await self.bot.session.close()

    def _check_update(self, update: dict[str, Any]) -> dict[str, Any]:
        try:
            checked = Update.model_validate(update, context={"bot": self.bot})
        except ValidationError as error:
            raise MalformedUpdate(f"not an update: {error.error_count()} problems") from None
        return checked.model_dump(mode="json", by_alias=True, exclude_none=True)

    def _refusal(self, error: Exception) -> Refusal | None:
        if isinstance(error, TelegramRetryAfter):
            return Refusal(429, error.message, float(error.retry_after))
        if isinstance(error, TelegramNetworkError):
            return Refusal(None, error.message)
        if not isinstance(error, TelegramAPIError):
            return None
        status = next((code for kind, code in _STATUS if isinstance(error, kind)), 0)
        return Refusal(status, error.message)

    async def _set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))

    async def _set_commands(
        self, commands: list[tuple[str, str]], language: str | None, *, chat_id: int | None = None
    ) -> None:
        await self.bot.set_my_commands(
            [BotCommand(command=c, description=d) for c, d in commands],
            scope=BotCommandScopeChat(chat_id=chat_id) if chat_id is not None else None,
            language_code=language,
        )

    async def _send_message(self, chat_id: int, text: str, buttons: Keyboard) -> None:
        await self.bot.send_message(chat_id, text, parse_mode=HTML, reply_markup=markup(buttons))

    async def _edit_message_text(
        self, chat_id: int, message_id: int, text: str, buttons: Keyboard
    ) -> None:
        await self.bot.edit_message_text(
            text=text,
            chat_id=chat_id,
            message_id=message_id,
            parse_mode=HTML,
            reply_markup=markup(buttons),
        )

    async def _answer_callback_query(self, callback_id: str, text: str | None, alert: bool) -> None:
        await self.bot.answer_callback_query(callback_id, text=text, show_alert=alert)

    async def _send_photo(
        self,
        chat_id: int,
        photo: str | bytes,
        filename: str,
        caption: str | None,
        buttons: Keyboard,
    ) -> None:
        await self.bot.send_photo(
            chat_id,
            _file(photo, filename),
            caption=caption,
            parse_mode=HTML,
            reply_markup=markup(buttons),
        )

    async def _send_document(
        self, chat_id: int, document: str | bytes, filename: str, caption: str | None
    ) -> None:
        await self.bot.send_document(
            chat_id, _file(document, filename), caption=caption, parse_mode=HTML
        )

    async def _send_media_group(
        self, chat_id: int, photos: Sequence[tuple[str, str | None]]
    ) -> None:
        media: list[MediaUnion] = [
            InputMediaPhoto(media=photo, caption=caption, parse_mode=HTML if caption else None)
            for photo, caption in photos
        ]
        await self.bot.send_media_group(chat_id, media=media)

    async def _send_poll(self, chat_id: int, poll: SendPoll) -> PostedPoll | None:
        message = await self.bot.send_poll(
            chat_id,
            poll.question,
            options=[InputPollOption(text=o) for o in poll.options],
            is_anonymous=poll.anonymous,
            allows_multiple_answers=poll.multiple,
            hide_results_until_closes=poll.hidden or None,
        )
        if message.poll is None:
            return None
        return PostedPoll(message.poll.id, message.message_id)

    async def _stop_poll(self, chat_id: int, message_id: int) -> None:
        await self.bot.stop_poll(chat_id, message_id)

    async def _answer_inline_query(
        self,
        query_id: str,
        results: Sequence[InlineResult],
        next_offset: str,
        cache_time: int,
    ) -> None:
        articles: list[InlineQueryResultUnion] = [
            InlineQueryResultArticle(
                id=r.id,
                title=r.title,
                description=r.description or None,
                input_message_content=InputTextMessageContent(message_text=r.text, parse_mode=HTML),
                reply_markup=markup(r.buttons),
            )
            for r in results
        ]
        await self.bot.answer_inline_query(
            query_id,
            results=articles,
            next_offset=next_offset,
            cache_time=cache_time,
            is_personal=True,
        )
