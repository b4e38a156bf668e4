"""The python-telegram-bot runtime: long polling; it only translates."""

from __future__ import annotations

from datetime import timedelta

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputFile,
    InputMediaPhoto,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, ContextTypes, TypeHandler

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

HTML = ParseMode.HTML


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

    def __init__(self, app: App, token: str) -> None:
        super().__init__(app)
        api = app.settings.telegram_api_url
        self.application = (
            Application.builder()
            .token(token)
            .base_url(f"{api}/bot")
            .base_file_url(f"{api}/file/bot")
            .concurrent_updates(True)  # our dispatcher keeps each user's updates in order
            .build()
        )
        self.application.add_handler(TypeHandler(Update, self._on_update))

    @property
    def bot(self):  # type: ignore[no-untyped-def]
        """Return PTB's bot."""
        return self.application.bot

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.process(update.to_dict())

    async def start(self) -> None:
        """Check the token, set the command menu and start long polling."""
        try:
            await self.application.initialize()
        except InvalidToken:
            raise TokenRefused from None
        self.bot_username = self.bot.username or ""
        self.app.services.bot_username = self.bot_username
        await self.set_commands()
        await self.bot.delete_webhook(drop_pending_updates=False)
        assert self.application.updater is not None
        await self.application.updater.start_polling(allowed_updates=list(ALLOWED_UPDATES))
        await self.application.start()
        self.start_workers()

    async def stop(self) -> None:
        """Stop the workers and polling, and shut the application down."""
        await self.stop_workers()
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def set_command_menu(self, commands: list[tuple[str, str]], language: str | None) -> None:
        """Call setMyCommands."""
        await self.bot.set_my_commands(
            [BotCommand(c, d) for c, d in commands], language_code=language
        )

    def classify(self, error: Exception) -> tuple[Failure, float]:
        """Map PTB's exceptions to failure kinds."""
        if isinstance(error, Forbidden):
            return Failure.UNREACHABLE, 0
        if isinstance(error, RetryAfter):
            wait = error.retry_after
            return Failure.RETRY_AFTER, (
                wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            )
        if isinstance(error, BadRequest) and "not modified" in str(error).lower():
            return Failure.NOT_MODIFIED, 0
        if isinstance(error, BadRequest):
            text = str(error).lower()
            if "chat not found" in text or "user not found" in text or "peer_id_invalid" in text:
                return Failure.INVALID, 0
            return Failure.OTHER, 0
        # PTB raises NetworkError (TimedOut is one) for 5xx answers and connection problems.
        if isinstance(error, NetworkError | TimeoutError):
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
                    reply.text,
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
                media = [
                    InputMediaPhoto(
                        photo,
                        caption=reply.caption if i == 0 and reply.caption else None,
                        parse_mode=HTML if i == 0 and reply.caption else None,
                    )
                    for i, photo in enumerate(reply.photos)
                ]
                await bot.send_media_group(chat_id, media)
            case SendPoll():
                message = await bot.send_poll(
                    chat_id,
                    reply.question,
                    list(reply.options),
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
                    [
                        InlineQueryResultArticle(
                            r.id,
                            r.title,
                            InputTextMessageContent(r.text, parse_mode=HTML),
                            description=r.description or None,
                            reply_markup=markup(r.buttons),
                        )
                        for r in reply.results
                    ],
                    next_offset=reply.next_offset,
                    cache_time=reply.cache_time,
                    is_personal=True,
                )
