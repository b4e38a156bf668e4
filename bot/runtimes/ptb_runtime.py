"""The python-telegram-bot runtime: PTB's Bot API calls and long polling, nothing else."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputFile,
    InputMediaPhoto,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ContextTypes, TypeHandler
from telegram.warnings import PTBDeprecationWarning

from bot.runtimes.telegram import PostedPoll, Refusal, TelegramRuntime, TokenRefused
from bot.transport import Hooks
from bot.updates import ALLOWED_UPDATES
from bot.webhook import MalformedUpdate, Webhook
from handlers.messages import InlineResult, Keyboard, SendPoll

HTML = ParseMode.HTML
TELEGRAM_API = "https://api.telegram.org"
# What PTB's exceptions stand for, in Telegram's error codes. PTB reports 5xx answers and
# connection problems alike as NetworkError (BadRequest is one too, so it comes first).
_STATUS: tuple[tuple[type[TelegramError], int | None], ...] = (
    (BadRequest, 400),
    (InvalidToken, 401),
    (Forbidden, 403),
    (EndPointNotFound, 404),
    (Conflict, 409),
    (NetworkError, None),
)


def markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    """Translate the core's buttons to PTB's inline keyboard."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    b.label, callback_data=b.data, url=b.url, switch_inline_query=b.switch_inline
                )
                for b in row
            ]
            for row in buttons
            if row
        ]
    )


def _file(content: str | bytes, filename: str) -> str | InputFile:
    return InputFile(content, filename=filename) if isinstance(content, bytes) else content


class PtbRuntime(TelegramRuntime):
    """Serve the bot with python-telegram-bot."""

    def __init__(
        self,
        hooks: Hooks,
        token: str,
        *,
        api_url: str = TELEGRAM_API,
        webhook: Webhook | None = None,
    ) -> None:
        super().__init__(hooks, webhook=webhook)
        self.application = (
            Application.builder()
            .token(token)
            .base_url(f"{api_url}/bot")
            .base_file_url(f"{api_url}/file/bot")
            .concurrent_updates(True)  # our dispatcher keeps each user's updates in order
            .build()
        )
        self.application.add_handler(TypeHandler(Update, self._on_update))

    @property
    def bot(self) -> Bot:
        """Return PTB's bot."""
        return self.application.bot

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.process(update.to_dict())

    async def _get_username(self) -> str:
        try:
            await self.application.initialize()  # calls getMe
        except InvalidToken:
            raise TokenRefused from None
        return self.bot.username or ""

    async def _start_polling(self) -> asyncio.Future[Any] | None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        assert self.application.updater is not None
        await self.application.updater.start_polling(allowed_updates=list(ALLOWED_UPDATES))
        await self.application.start()
        return None  # PTB's updater retries by itself and never ends on its own

    async def _stop_polling(self) -> None:
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()  # handles the updates already fetched

    async def _close(self) -> None:
        await self.application.shutdown()

    def _check_update(self, update: dict[str, Any]) -> dict[str, Any]:
        try:
            checked = Update.de_json(update, self.bot)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise MalformedUpdate(f"not an update: {error!r}") from None
        return checked.to_dict()

    def _refusal(self, error: Exception) -> Refusal | None:
        if isinstance(error, RetryAfter):
            with warnings.catch_warnings():  # an int now, a timedelta later: both are read
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            return Refusal(429, error.message, seconds)
        if not isinstance(error, TelegramError):
            return None
        status = next((code for kind, code in _STATUS if isinstance(error, kind)), 0)
        return Refusal(status, error.message)

    async def _set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))

    async def _set_commands(
        self, commands: list[tuple[str, str]], language: str | None, *, chat_id: int | None = None
    ) -> None:
        await self.bot.set_my_commands(
            [BotCommand(c, d) for c, d in commands],
            scope=BotCommandScopeChat(chat_id) if chat_id is not None else None,
            language_code=language,
        )

    async def _send_message(self, chat_id: int, text: str, buttons: Keyboard) -> None:
        await self.bot.send_message(chat_id, text, parse_mode=HTML, reply_markup=markup(buttons))

    async def _edit_message_text(
        self, chat_id: int, message_id: int, text: str, buttons: Keyboard
    ) -> None:
        await self.bot.edit_message_text(
            text,
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
        media = [
            InputMediaPhoto(photo, caption=caption, parse_mode=HTML if caption else None)
            for photo, caption in photos
        ]
        await self.bot.send_media_group(chat_id, media)

    async def _send_poll(self, chat_id: int, poll: SendPoll) -> PostedPoll | None:
        message = await self.bot.send_poll(
            chat_id,
            poll.question,
            list(poll.options),
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
        await self.bot.answer_inline_query(
            query_id,
            [
                InlineQueryResultArticle(
                    r.id,
                    r.title,
                    InputTextMessageContent(r.text, parse_mode=HTML),
                    description=r.description or None,
                    reply_markup=markup(r.buttons),
                )
                for r in results
            ],
            next_offset=next_offset,
            cache_time=cache_time,
            is_personal=True,
        )
