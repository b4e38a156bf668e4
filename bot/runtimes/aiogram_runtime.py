"""The aiogram runtime: long polling or a webhook on aiohttp; it only translates."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputMediaPhoto,
    InputPollOption,
    InputTextMessageContent,
    MediaUnion,
    Update,
)
from aiohttp import web

from bot.app import App
from bot.runtimes.telegram import Failure, TelegramRuntime, TokenRefused
from bot.updates import ALLOWED_UPDATES
from handlers.messages import (
    AnswerButton,
    AnswerInline,
    EditText,
    Keyboard,
    Reply,
    SendAlbum,
    SendDocument,
    SendPhoto,
    SendPoll,
    SendText,
    StopPoll,
)

log = logging.getLogger(__name__)
HTML = "HTML"
WEBHOOK_PATH = "/telegram/webhook"


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

    def __init__(self, app: App, token: str) -> None:
        super().__init__(app)
        api = TelegramAPIServer.from_base(app.settings.telegram_api_url)
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

    async def _on_event(self, event: Any, event_update: Update) -> None:
        await self.process(event_update.model_dump(mode="json", by_alias=True, exclude_none=True))

    async def prepare(self) -> None:
        """Check the token, learn the bot's username, and set the command menu."""
        try:
            me = await self.bot.get_me()
        except TelegramUnauthorizedError:
            raise TokenRefused from None
        self.bot_username = me.username or ""
        self.app.services.bot_username = self.bot_username
        await self.set_commands()

    async def run_polling(self) -> None:
        """Long-poll until stopped."""
        await self.prepare()
        await self.bot.delete_webhook(drop_pending_updates=False)
        self.start_workers()
        polling = asyncio.ensure_future(
            self.dispatcher.start_polling(
                self.bot,
                allowed_updates=list(ALLOWED_UPDATES),
                handle_signals=False,
                close_bot_session=False,
            )
        )
        try:
            await asyncio.shield(polling)
        except asyncio.CancelledError:
            # Cancelled (SIGTERM): aiogram leaves its long poll running when cancelled from
            # outside, so ask it to stop the way it expects, and wait until it has.
            if self.dispatcher._running_lock.locked():
                await self.dispatcher.stop_polling()
            await asyncio.gather(polling, return_exceptions=True)
            raise

    async def stop(self) -> None:
        """Stop polling, let the updates in progress finish, stop the workers, and close."""
        if self.dispatcher._running_lock.locked():
            await self.dispatcher.stop_polling()
        await self.finish_updates()
        await self.stop_workers()
        await self.bot.session.close()

    def webhook_app(self, secret: str | None) -> web.Application:
        """Build the aiohttp app that receives Telegram's webhook and answers /healthz."""
        from aiogram.webhook.aiohttp_server import SimpleRequestHandler

        application = web.Application()
        SimpleRequestHandler(
            dispatcher=self.dispatcher,
            bot=self.bot,
            secret_token=secret,
            handle_in_background=False,
        ).register(application, path=WEBHOOK_PATH)
        application.router.add_get("/healthz", _healthz)
        return application

    async def serve_webhook(self, url: str, secret: str | None, host: str, port: int) -> None:
        """Listen first, then register the webhook with Telegram, and serve until cancelled."""
        await self.prepare()
        runner = web.AppRunner(self.webhook_app(secret))
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            await self.bot.set_webhook(
                url.rstrip("/") + WEBHOOK_PATH,
                secret_token=secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
            log.info("webhook listening on %s:%s", host, port)
            self.start_workers()
            await asyncio.Event().wait()
        finally:
            # Stop taking updates, let the ones in progress finish, then close.
            await runner.cleanup()

    async def set_command_menu(self, commands: list[tuple[str, str]], language: str | None) -> None:
        """Call setMyCommands."""
        await self.bot.set_my_commands(
            [BotCommand(command=c, description=d) for c, d in commands], language_code=language
        )

    def classify(self, error: Exception) -> tuple[Failure, float]:
        """Map aiogram's exceptions to failure kinds."""
        if isinstance(error, TelegramForbiddenError):
            return Failure.UNREACHABLE, 0
        if isinstance(error, TelegramRetryAfter):
            return Failure.RETRY_AFTER, float(error.retry_after)
        if isinstance(error, TelegramBadRequest) and "not modified" in str(error):
            return Failure.NOT_MODIFIED, 0
        if isinstance(error, TelegramBadRequest) and _no_such_chat(str(error)):
            return Failure.INVALID, 0
        if isinstance(error, TelegramServerError | TelegramNetworkError | TimeoutError):
            return Failure.TEMPORARY, 0
        return Failure.OTHER, 0

    async def send(self, reply: Reply, chat_id: int) -> None:
        """Perform one reply in the given chat."""
        bot = self.bot
        match reply:
            case SendText():
                await bot.send_message(
                    chat_id, reply.text, parse_mode=HTML, reply_markup=markup(reply.buttons)
                )
            case EditText():
                await bot.edit_message_text(
                    text=reply.text,
                    chat_id=chat_id,
                    message_id=reply.message_id,
                    parse_mode=HTML,
                    reply_markup=markup(reply.buttons),
                )
            case AnswerButton():
                await bot.answer_callback_query(
                    reply.callback_id, text=reply.text, show_alert=reply.alert
                )
            case SendPhoto():
                await bot.send_photo(
                    chat_id,
                    _file(reply.photo, reply.filename),
                    caption=reply.caption or None,
                    parse_mode=HTML,
                    reply_markup=markup(reply.buttons),
                )
            case SendDocument():
                await bot.send_document(
                    chat_id,
                    _file(reply.document, reply.filename),
                    caption=reply.caption or None,
                    parse_mode=HTML,
                )
            case SendAlbum():
                media: list[MediaUnion] = [
                    InputMediaPhoto(
                        media=photo,
                        caption=reply.caption if i == 0 and reply.caption else None,
                        parse_mode=HTML if i == 0 and reply.caption else None,
                    )
                    for i, photo in enumerate(reply.photos)
                ]
                await bot.send_media_group(chat_id, media=media)
            case SendPoll():
                message = await bot.send_poll(
                    chat_id,
                    reply.question,
                    options=[InputPollOption(text=o) for o in reply.options],
                    is_anonymous=reply.anonymous,
                    allows_multiple_answers=reply.multiple,
                )
                if message.poll is not None:
                    await self.app.poll_sent(reply, message.poll.id, chat_id, message.message_id)
            case StopPoll():
                await bot.stop_poll(chat_id, reply.message_id)
            case AnswerInline():
                await bot.answer_inline_query(
                    reply.inline_query_id,
                    results=[
                        InlineQueryResultArticle(
                            id=r.id,
                            title=r.title,
                            description=r.description or None,
                            input_message_content=InputTextMessageContent(
                                message_text=r.text, parse_mode=HTML
                            ),
                            reply_markup=markup(r.buttons),
                        )
                        for r in reply.results
                    ],
                    next_offset=reply.next_offset,
                    cache_time=reply.cache_time,
                    is_personal=True,
                )


def _no_such_chat(description: str) -> bool:
    text = description.lower()
    return "chat not found" in text or "user not found" in text or "peer_id_invalid" in text


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})
