"""A fake Telegram Bot API server for runtime tests: real HTTP on 127.0.0.1, scripted updates.

Start it, point a bot at it, script what users do, and check what the bot sent::

    async with FakeTelegram(token="123456:TEST-TOKEN") as fake:
        fake.base_url  # "http://127.0.0.1:PORT"; bots call f"{base_url}/bot{token}/{method}"
        fake.user_sends(1001, "/start")
        await fake.wait_for(lambda: fake.last_message(1001))
        assert not fake.rejected

aiogram::

    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    bot = Bot(fake.token, session=session)

python-telegram-bot::

    from telegram.ext import Application

    application = (
        Application.builder()
        .token(fake.token)
        .base_url(f"{fake.base_url}/bot")
        .base_file_url(f"{fake.base_url}/file/bot")
        .build()
    )
    # or a bare bot: telegram.Bot(fake.token, base_url=..., base_file_url=...)

The server accepts JSON, urlencoded and multipart bodies (files as parts, referenced by
parameter name or by attach://name), over POST or GET, with case-insensitive method names.
It validates every request against the Bot API spec (see spec.py) and answers like Telegram:
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": N, "description": ...}`.
With `strict=True` (the default) it also refuses unknown parameters and object fields, which
Telegram silently ignores, because they are bugs in the bot.

Records: `calls` (every request), `rejected` (refused because of the request: validation,
unknown message, wrong token, unknown method), `faulted` (answered by fault injection).

Scripting: `push_update`, `user_sends`, `user_presses`, `user_sends_photo`/`_document`/
`_sticker`/`_location`/`_contact`/`_voice`, `user_inline_query`, `user_answers_poll`; each
queues an update for getUpdates and returns it. Waiting: `wait_for(predicate)`,
`wait_for_all`, `wait_for_calls`, `wait_for_messages`, `polls_waiting` (a bot idle in a long
poll), all woken by requests and pushes, never by sleeping. Faults: `fail_next`,
`forbid_chats`, `rate_limit`; `hold` keeps a method's calls waiting (a slow Telegram, or
a reply in flight at shutdown).
Webhooks: `deliver_webhook` (performs a method call in the webhook's answer),
`webhook_answers`.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp
from aiohttp import web

from handlers import limits
from tests.fake_telegram.records import Button, Call, SentMessage, Upload, buttons_of
from tests.fake_telegram.spec import Problem, Spec, load_spec
from tests.fake_telegram.tghtml import HtmlError, parse_html, utf16_len

T = TypeVar("T")
Handler = Callable[[dict[str, Any], dict[str, bytes]], Awaitable[Any]]

# Methods that post into a chat: the ones Telegram throttles.
SEND_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendPoll",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendSticker",
        "sendLocation",
        "sendContact",
        "copyMessage",
        "forwardMessage",
    }
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Button fields that do not make a button do something; exactly one other field must be set.
_BUTTON_DECORATION = frozenset({"text", "icon_custom_emoji_id", "style"})
_BUTTON_ACTIONS_BUILTIN = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
# BotCommandScope's types; the chat ones need a chat_id (and chat_member a user_id).
_SCOPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}
_CHAT_SCOPES = {"chat", "chat_administrators", "chat_member"}
_PHOTO_SIZES = ((90, 90), (320, 320), (800, 800))
_MEDIA_KINDS = ("photo", "document", "video", "audio", "animation", "voice", "sticker", "poll")


class TelegramError(Exception):
    """An error answer: HTTP status = error_code, Telegram's description, optional parameters."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """Return the JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {description}")


@dataclass
class _Fault:
    method: str  # lower case
    error: TelegramError
    times: int
    chat_id: int | str | None


@dataclass
class _RateLimit:
    per_second: float | None
    per_chat: float | None
    methods: frozenset[str]
    window: deque[float] = field(default_factory=deque)
    chats: dict[Any, deque[float]] = field(default_factory=dict)


@dataclass
class _Pending:
    update: dict[str, Any]
    duplicate: bool
    delivered: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        return next((key for key in self.update if key != "update_id"), "")


@dataclass
class _Stored:
    message: dict[str, Any]
    by_bot: bool
    method: str
    raw_text: str | None = None
    parse_mode: str | None = None
    deleted: bool = False
    edits: int = 0
    reply_keyboard: list[list[str]] | None = None


@dataclass
class _File:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    kind: str

    def as_file(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


class FakeTelegram:
    """A Bot API server on 127.0.0.1 that serves scripted updates and records every call."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        username: str = "khoroo_test_bot",
        first_name: str = "Khoroo Test Bot",
        bot_id: int | None = None,
        strict: bool = True,
        spec: Spec | None = None,
        use_spec_file: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.strict = strict
        self.spec = spec or (load_spec() if use_spec_file else None) or Spec.minimal()
        prefix = token.split(":", 1)[0]
        self.bot_user: dict[str, Any] = {
            "id": bot_id if bot_id is not None else (int(prefix) if prefix.isdigit() else 1),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        # A list of every call; fake.calls("sendMessage") filters by method.
        self.calls = _Calls()
        self.rejected: list[Call] = []
        self.faulted: list[Call] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.base_url = ""
        # Long polls now held open: a bot waiting here has handled everything before.
        self.polls_waiting = 0
        self._clock = clock
        self._event = asyncio.Event()
        self._pending: list[_Pending] = []
        self._seen_update_ids: set[int] = set()
        self._next_update_id = 100_000_001
        self._allowed_updates: set[str] | None = None
        self._poll_generation = 0
        self._closing = False
        self._messages: dict[tuple[Any, int], _Stored] = {}
        self._bot_messages: list[tuple[Any, int]] = []
        self._bot_messages_by_chat: dict[Any, list[tuple[Any, int]]] = {}
        self._last_message_id: dict[Any, int] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[Any, dict[str, Any]] = {}
        self._files: dict[str, _File] = {}
        self._files_by_path: dict[str, _File] = {}
        self._ids = itertools.count(1)
        self._open_callbacks: set[str] = set()
        self._holds: dict[str, asyncio.Event] = {}
        self.held = 0  # requests waiting at a hold
        self._open_inline_queries: set[str] = set()
        self._faults: list[_Fault] = []
        self._forbidden: set[Any] = set()
        self._rate: _RateLimit | None = None
        self._runner: web.AppRunner | None = None
        # Webhook deliveries: connections kept open, at most this many at once (Telegram's
        # max_connections defaults to 40).
        self.webhook_connections = 40
        self._webhook_session: aiohttp.ClientSession | None = None
        self._handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendMediaGroup": self._send_media_group,
            "sendPoll": self._send_poll,
            "stopPoll": self._stop_poll,
            "answerInlineQuery": self._answer_inline_query,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "getChat": self._get_chat,
        }

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._download)
        # Cancel a long poll whose client went away, so shutdown never waits for it.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    async def stop(self) -> None:
        """Answer pending long polls and shut the server down."""
        self._closing = True
        self._changed()
        if self._webhook_session is not None:
            await self._webhook_session.close()
            self._webhook_session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def file_base_url(self) -> str:
        """Return the base for file downloads (PTB's base_file_url)."""
        return f"{self.base_url}/file/bot"

    # -- waiting ----------------------------------------------------------------------------

    def notify(self) -> None:
        """Re-check wait_for conditions now (e.g. when a bot task ends without a request)."""
        self._changed()

    def _changed(self) -> None:
        """Wake everything waiting for a request or an update."""
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def _until(self, ready: Callable[[], Any]) -> Any:
        while not (value := ready()):
            await self._event.wait()
        return value

    # A timeout parameter (ASYNC109) keeps test code short: await fake.wait_for(cond, 2).
    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:  # noqa: ASYNC109
        """Wait until predicate() is truthy (checked after every request and update)."""
        try:
            async with asyncio.timeout(timeout):
                return await self._until(predicate)
        except TimeoutError:
            recent = "\n  ".join(repr(call) for call in self.calls[-10:])
            raise AssertionError(
                f"condition not met within {timeout}s; last calls:\n  {recent}"
            ) from None

    async def wait_for_all(
        self,
        items: list[Any],
        check: Callable[[Any], Any],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until check(item) holds for every item (a burst of updates, of users)."""
        position = 0

        def done() -> bool:  # resumes where it stopped: a burst costs O(n), not O(n²)
            nonlocal position
            while position < len(items) and check(items[position]):
                position += 1
            return position == len(items)

        await self.wait_for(done, timeout)

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[Call]:
        """Wait until the bot has made `count` calls of a method; return them."""
        await self.wait_for(lambda: len(self.calls(method)) >= count, timeout)
        return self.calls(method)

    async def wait_for_messages(
        self,
        chat_id: int | str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        """Wait until the bot has sent `count` messages to a chat; return them."""
        await self.wait_for(lambda: len(self.sent_messages(chat_id)) >= count, timeout)
        return self.sent_messages(chat_id)

    # -- inspection -------------------------------------------------------------------------

    def sent_messages(
        self, chat_id: int | str | None = None, *, include_deleted: bool = False
    ) -> list[SentMessage]:
        """Return the bot's messages in the order sent, as they are now (after edits)."""
        return [_sent(key[0], self._messages[key]) for key in self._shown(chat_id, include_deleted)]

    def _shown(self, chat_id: int | str | None, include_deleted: bool) -> list[tuple[Any, int]]:
        keys = (
            self._bot_messages if chat_id is None else self._bot_messages_by_chat.get(chat_id, [])
        )
        return [key for key in keys if include_deleted or not self._messages[key].deleted]

    def last_message(self, chat_id: int | str) -> SentMessage | None:
        """Return the bot's latest message to a chat, or None."""
        keys = self._shown(chat_id, include_deleted=False)
        return _sent(chat_id, self._messages[keys[-1]]) if keys else None

    def message(self, chat_id: int | str, message_id: int) -> dict[str, Any] | None:
        """Return any stored message (the bot's or a user's) as a Message object."""
        stored = self._messages.get((chat_id, message_id))
        return stored.message if stored else None

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Return the updates not yet confirmed by the bot."""
        return [entry.update for entry in self._pending]

    def is_confirmed(self, update: dict[str, Any]) -> bool:
        """Tell whether the bot has confirmed an update (getUpdates with a higher offset)."""
        return all(entry.update_id != update["update_id"] for entry in self._pending)

    def file_bytes(self, file_id: str) -> bytes:
        """Return the content of a file the fake knows (uploaded by the bot or a user)."""
        return self._files[file_id].data

    # -- fault injection --------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """Answer the next `times` calls of a method (optionally to one chat) with an error."""
        parameters: dict[str, Any] | None = None
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            parameters = {"retry_after": retry_after}
        text = description or DEFAULT_DESCRIPTIONS.get(status, "Internal Server Error")
        error = TelegramError(status, text.format(retry_after=retry_after), parameters)
        self._faults.append(_Fault(method.lower(), error, times, chat_id))

    def hold(self, method: str) -> asyncio.Event:
        """Keep the bot's calls of a method waiting until the returned event is set."""
        gate = asyncio.Event()
        self._holds[method.lower()] = gate
        return gate

    async def _wait_if_held(self, method: str) -> None:
        gate = self._holds.get(method.lower())
        if gate is None or gate.is_set():
            return
        self.held += 1
        self._changed()
        try:
            await gate.wait()
        finally:
            self.held -= 1

    def forbid_chats(self, chat_ids: Iterable[int | str]) -> None:
        """Answer 403 "bot was blocked by the user" to everything sent to these chats."""
        self._forbidden.update(chat_ids)

    def rate_limit(
        self,
        per_second: float | None = 30,
        *,
        per_chat: float | None = None,
        methods: Iterable[str] = SEND_METHODS,
    ) -> None:
        """Answer 429 with retry_after when sends exceed a rate (sliding 1-second window).

        `per_second` counts all chats together, `per_chat` each chat; None disables either,
        and rate_limit(None) switches rate limiting off.
        """
        if per_second is None and per_chat is None:
            self._rate = None
            return
        self._rate = _RateLimit(per_second, per_chat, frozenset(methods))

    def _injected(self, method: str, params: dict[str, Any]) -> TelegramError | None:
        chat_id = params.get("chat_id")
        for fault in self._faults:
            if fault.method == method.lower() and fault.chat_id in (None, chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault.error
        if chat_id is not None and chat_id in self._forbidden and method != "getChat":
            return TelegramError(403, DEFAULT_DESCRIPTIONS[403])
        if self._rate is not None and method in self._rate.methods:
            return self._throttle(self._rate, chat_id)
        return None

    def _throttle(self, rate: _RateLimit, chat_id: Any) -> TelegramError | None:
        now = self._clock()
        windows: list[tuple[deque[float], float]] = []
        if rate.per_second is not None:
            windows.append((rate.window, rate.per_second))
        if rate.per_chat is not None:
            windows.append((rate.chats.setdefault(chat_id, deque()), rate.per_chat))
        for window, allowed in windows:
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= allowed:
                retry_after = max(1, round(window[0] + 1.0 - now + 0.5))
                description = f"Too Many Requests: retry after {retry_after}"
                return TelegramError(429, description, {"retry_after": retry_after})
        for window, _ in windows:
            window.append(now)
        return None

    # -- HTTP -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        raw_method = request.match_info["method"]
        try:
            raw, parts = await _read_body(request)
        except TelegramError as error:
            raw, parts = {}, {}
            status, body = error.status, error.body()
            self._record(Call(raw_method, raw, {}, body, time.time(), status, request.method))
            return web.json_response(body, status=status)
        call = await self._perform(
            raw_method, raw, parts, token=request.match_info["token"], http_method=request.method
        )
        return web.json_response(call.response, status=call.status)

    async def _perform(
        self,
        raw_method: str,
        raw: dict[str, Any],
        parts: dict[str, Upload],
        *,
        token: str,
        http_method: str = "POST",
        via_webhook: bool = False,
    ) -> Call:
        """Check and serve one Bot API call (a request, or a webhook's answer); record it."""
        params: dict[str, Any] = dict(raw)
        files: dict[str, bytes] = {}
        method = raw_method
        injected = False
        try:
            if token != self.token:
                raise TelegramError(401, "Unauthorized")
            canonical = self.spec.canonical(raw_method)
            if canonical is None:
                raise TelegramError(404, "Not Found")
            method = canonical
            params = self.spec.decode(method, raw)
            files = self._take_files(method, params, parts)
            await self._wait_if_held(method)
            error = self._injected(method, params)
            if error is not None:
                injected = True
                raise error
            self._check_markups(method, params)
            self.spec.validate(method, params, strict=self.strict)
            handler = self._handlers.get(method) or self._generic(method)
            body: dict[str, Any] = {"ok": True, "result": await handler(params, files)}
            status = 200
        except Problem as problem:
            status, body = 400, _bad(problem.description).body()
        except TelegramError as error:
            status, body = error.status, error.body()
        call = Call(
            method, params, files, body, time.time(), status, http_method, injected, via_webhook
        )
        self._record(call)
        return call

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        if call.injected:
            self.faulted.append(call)
        elif not call.ok:
            self.rejected.append(call)
        self._changed()

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(TelegramError(401, "Unauthorized").body(), status=401)
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response(TelegramError(404, "Not Found").body(), status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    def _take_files(
        self, method: str, params: dict[str, Any], parts: dict[str, Upload]
    ) -> dict[str, bytes]:
        """Put uploads where their parameters are: by name, or via a top-level attach://."""
        spec = self.spec.methods[method]
        files: dict[str, bytes] = {}
        parts = dict(parts)
        for name, value in list(params.items()):
            spec_field = spec.fields.get(name)
            if (
                isinstance(value, str)
                and value.startswith("attach://")
                and spec_field is not None
                and "InputFile" in spec_field.types
            ):
                part = parts.pop(value.removeprefix("attach://"), None)
                if part is None:
                    raise _bad(f"can't find the attached file {value}")
                params[name] = part
                files[name] = part.data
        for name, part in list(parts.items()):
            spec_field = spec.fields.get(name)
            if spec_field is not None and "InputFile" in spec_field.types:
                params[name] = part
                files[name] = part.data
                del parts[name]
        # The rest is referenced from inside JSON parameters (media groups).
        files.update({name: part.data for name, part in parts.items()})
        return files

    def _generic(self, method: str) -> Handler:
        """Serve a spec method the fake does not model: True if it returns a Boolean."""
        returns = self.spec.methods[method].returns

        async def serve(params: dict[str, Any], files: dict[str, bytes]) -> Any:
            if set(returns) & {"Boolean", "True"}:
                return True
            raise _bad(f"method {method} is not served by the fake Telegram server")

        return serve

    # -- checks Telegram makes beyond the spec's types --------------------------------------

    def _check_markups(self, method: str, params: dict[str, Any]) -> None:
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            self._check_inline_keyboard(markup["inline_keyboard"])
        for result in params.get("results", []) if method == "answerInlineQuery" else []:
            inner = result.get("reply_markup") if isinstance(result, dict) else None
            if isinstance(inner, dict) and "inline_keyboard" in inner:
                self._check_inline_keyboard(inner["inline_keyboard"])

    def _check_inline_keyboard(self, keyboard: Any) -> None:
        if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
            raise _bad(
                'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        button_spec = self.spec.types.get("InlineKeyboardButton")
        actions = (
            frozenset(button_spec.fields) - _BUTTON_DECORATION
            if button_spec
            else _BUTTON_ACTIONS_BUILTIN
        )
        limit = self.spec.range("InlineKeyboardButton", "callback_data") or limits.CALLBACK_DATA
        count = 0
        for row in keyboard:
            for button in row:
                count += 1
                if not isinstance(button, dict):
                    raise _bad("can't parse inline keyboard button: object expected")
                text = button.get("text")
                if not isinstance(text, str) or not text.strip():
                    raise _bad("BUTTON_TEXT_EMPTY")
                used = [name for name in button if name in actions]
                if not used:
                    raise _bad(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                if len(used) > 1:
                    raise _bad(
                        "can't parse inline keyboard button: exactly one of the optional "
                        f"fields must be used, got {', '.join(used)}"
                    )
                data = button.get("callback_data")
                if isinstance(data, str) and not (
                    limit.minimum <= len(data.encode("utf-8")) <= limit.maximum
                ):
                    raise _bad("BUTTON_DATA_INVALID")
        if count > 100:
            raise _bad("reply markup is too long")

    # -- messages ---------------------------------------------------------------------------

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        if chat_id in self._chats:
            return self._chats[chat_id]
        if isinstance(chat_id, int) and chat_id > 0:
            user = self._users.get(chat_id, {})
            chat = {"id": chat_id, "type": "private", "first_name": user.get("first_name", "User")}
            for key in ("last_name", "username"):
                if key in user:
                    chat[key] = user[key]
        elif isinstance(chat_id, int):
            kind = "supergroup" if str(chat_id).startswith("-100") else "group"
            chat = {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}
        else:
            username = str(chat_id).lstrip("@")
            chat = {
                "id": -1_000_000_000_000 - len(self._chats),
                "type": "channel",
                "title": username,
                "username": username,
            }
        self._chats[chat_id] = chat
        return chat

    def _store(
        self,
        chat_id: Any,
        content: dict[str, Any],
        *,
        sender: dict[str, Any],
        method: str,
        raw_text: str | None = None,
        parse_mode: str | None = None,
    ) -> dict[str, Any]:
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        message = {
            "message_id": message_id,
            "from": sender,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        by_bot = sender is self.bot_user
        self._messages[chat_id, message_id] = _Stored(message, by_bot, method, raw_text, parse_mode)
        if by_bot:
            self._bot_messages.append((chat_id, message_id))
            self._bot_messages_by_chat.setdefault(chat_id, []).append((chat_id, message_id))
        return message

    def _bot_message(
        self,
        params: dict[str, Any],
        method: str,
        content: dict[str, Any],
        raw_text: str | None = None,
    ) -> dict[str, Any]:
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            content["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        message = self._store(
            params["chat_id"],
            content,
            sender=self.bot_user,
            method=method,
            raw_text=raw_text,
            parse_mode=params.get("parse_mode"),
        )
        if isinstance(markup, dict) and isinstance(markup.get("keyboard"), list):
            stored = self._messages[params["chat_id"], message["message_id"]]
            stored.reply_keyboard = [
                [b.get("text", "") if isinstance(b, dict) else str(b) for b in row]
                for row in markup["keyboard"]
            ]
        return message

    def _stored_for_edit(self, params: dict[str, Any], verb: str = "edit") -> _Stored | None:
        """Return the message an edit targets, or None for an inline message."""
        if params.get("inline_message_id"):
            return None
        if "chat_id" not in params or "message_id" not in params:
            raise _bad("message identifier is not specified")
        stored = self._messages.get((params["chat_id"], params["message_id"]))
        if stored is None or stored.deleted:
            raise _bad(f"message to {verb} not found")
        if not stored.by_bot:
            raise _bad(
                f"message can't be {verb}ed" if verb == "edit" else "message can't be deleted"
            )
        return stored

    def _edited(
        self, stored: _Stored, changes: dict[str, Any], params: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply an edit, refusing one that changes nothing as Telegram does."""
        markup = params.get("reply_markup")
        new = {key: value for key, value in changes.items() if value is not None}
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            new["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        message = stored.message
        # Omitting reply_markup in an edit removes the keyboard, as in Telegram.
        keys = set(changes) | {"reply_markup"}
        if all(message.get(key) == new.get(key) for key in keys):
            raise TelegramError(400, NOT_MODIFIED)
        for key in keys:
            if key in new:
                message[key] = new[key]
            else:
                message.pop(key, None)
        message["edit_date"] = int(time.time())
        stored.edits += 1
        return message

    # -- files ------------------------------------------------------------------------------

    def register_file(
        self, data: bytes, kind: str = "document", *, file_name: str | None = None
    ) -> str:
        """Make a file known to the fake (as if uploaded earlier); return its file_id."""
        number = next(self._ids)
        prefixes = {"photo": "AgAC", "document": "BQAC", "voice": "AwAC", "sticker": "CAAC"}
        file_id = f"{prefixes.get(kind, 'BAAC')}FakeFile{number:06d}"
        suffix = (file_name or "").rpartition(".")[2] or {"photo": "jpg", "voice": "oga"}.get(
            kind, "bin"
        )
        stored = _File(file_id, f"AQAD{number:06d}", data, f"{kind}s/file_{number}.{suffix}", kind)
        self._files[file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return file_id

    def _input_file(self, value: Any, kind: str) -> _File:
        """Resolve an upload, a known file_id or a URL to a stored file."""
        if isinstance(value, Upload):
            return self._files[self.register_file(value.data, kind, file_name=value.filename)]
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            # Telegram would download it; the fake does not go on the network.
            return self._files[self.register_file(b"", kind, file_name=value.rpartition("/")[2])]
        raise _bad("wrong file identifier/HTTP URL specified")

    def _photo_sizes(self, stored: _File) -> list[dict[str, Any]]:
        sizes = []
        for width, height in _PHOTO_SIZES[:-1]:
            smaller = self._files[self.register_file(stored.data, "photo")]
            sizes.append(_photo_size(smaller, width, height))
        width, height = _PHOTO_SIZES[-1]
        return [*sizes, _photo_size(stored, width, height)]

    def _media_content(self, kind: str, value: Any, filename: str | None = None) -> dict[str, Any]:
        stored = self._input_file(value, kind)
        if kind == "photo":
            return {"photo": self._photo_sizes(stored)}
        name = filename or stored.file_path.rpartition("/")[2]
        media: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if kind in {"document", "audio", "video", "animation"}:
            media["file_name"] = name
            media["mime_type"] = "application/octet-stream"
        if kind in {"video", "animation"}:
            media.update(width=640, height=480, duration=1)
        if kind in {"audio", "voice"}:
            media["duration"] = 1
        return {kind: media}

    # -- method handlers --------------------------------------------------------------------

    async def _true(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return self.bot_user

    async def _get_updates(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise TelegramError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in params:
            self._allowed_updates = set(params["allowed_updates"]) or None
        self._confirm(params.get("offset"))
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = max(float(params.get("timeout", 0)), 0.0)
        self._poll_generation += 1
        generation = self._poll_generation
        self._changed()  # an older poll still waiting is now terminated

        def ready() -> bool:
            return self._closing or generation != self._poll_generation or bool(self._deliverable())

        if timeout > 0 and not ready():
            self.polls_waiting += 1
            self._changed()
            try:
                async with asyncio.timeout(timeout):
                    await self._until(ready)
            except TimeoutError:
                pass
            finally:
                self.polls_waiting -= 1
                self._changed()  # a bot that stopped polling is news too
        if generation != self._poll_generation:
            raise TelegramError(409, DEFAULT_DESCRIPTIONS[409])
        batch = self._deliverable()[:limit]
        for entry in batch:
            entry.delivered = True
        return [copy.deepcopy(entry.update) for entry in batch]

    def _confirm(self, offset: int | None) -> None:
        """Forget updates the bot confirmed (update_id < offset), as Telegram does."""
        if offset is None:
            return
        if offset < 0:
            self._pending = self._pending[offset:]
            return
        self._pending = [
            entry
            for entry in self._pending
            # A re-pushed duplicate is delivered once even if the offset already passed it.
            if not (entry.update_id < offset and (entry.delivered or not entry.duplicate))
        ]

    def _deliverable(self) -> list[_Pending]:
        allowed = self._allowed_updates
        return [entry for entry in self._pending if allowed is None or entry.kind in allowed]

    async def _set_webhook(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        if not params["url"]:
            self.webhook = None
            return True
        self.webhook = {
            "url": params["url"],
            "secret_token": params.get("secret_token"),
            "allowed_updates": params.get("allowed_updates"),
        }
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _delete_webhook(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _get_webhook_info(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook and self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code") or ""

    async def _set_my_commands(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self._check_scope(params.get("scope"))
        commands = params["commands"]
        if len(commands) > 100:
            raise _bad("too many commands")
        for command in commands:
            name = command.get("command", "")
            if not _COMMAND.fullmatch(name):
                raise _bad("BOT_COMMAND_INVALID")
            if not command.get("description", "").strip():
                raise _bad("command description is empty")
        self.commands[self._commands_key(params)] = commands
        return True

    @staticmethod
    def _check_scope(scope: Any) -> None:
        """Refuse a BotCommandScope the spec does not define, or a chat scope with no chat_id."""
        if scope is None:
            return
        kind = scope.get("type") if isinstance(scope, dict) else None
        if kind not in _SCOPES:
            raise _bad("unsupported scope type")
        if kind in _CHAT_SCOPES and not isinstance(scope.get("chat_id"), int | str):
            raise _bad("chat_id is required for this scope")
        if kind == "chat_member" and not isinstance(scope.get("user_id"), int):
            raise _bad("user_id is required for this scope")

    async def _get_my_commands(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> list[dict[str, Any]]:
        return self.commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _formatted(
        self, text: str, parse_mode: Any, entities: Any, key: str = "text"
    ) -> dict[str, Any]:
        """Return the text as Telegram stores it: markup parsed into entities."""
        if isinstance(parse_mode, str) and parse_mode.upper() == "HTML":
            try:
                plain, parsed = parse_html(text)
            except HtmlError as error:
                raise _bad(f"can't parse entities: {error}") from None
        else:
            # Markdown is not parsed: the text is kept as sent and only its raw length counts.
            plain, parsed = text, entities or []
        content: dict[str, Any] = {key: plain}
        if parsed:
            content["entities" if key == "text" else "caption_entities"] = parsed
        return content

    async def _send_message(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        text = params["text"]
        content = self._formatted(text, params.get("parse_mode"), params.get("entities"))
        return self._bot_message(params, "sendMessage", content, raw_text=text)

    async def _edit_message_text(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any] | bool:
        if "text" not in params:
            raise _bad("message text is empty")
        stored = self._stored_for_edit(params)
        if stored is None:
            return True
        if "text" not in stored.message:
            raise _bad("there is no text in the message to edit")
        content = self._formatted(params["text"], params.get("parse_mode"), params.get("entities"))
        content.setdefault("entities", None)
        message = self._edited(stored, content, params)
        stored.raw_text, stored.parse_mode = params["text"], params.get("parse_mode")
        return message

    async def _edit_message_caption(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any] | bool:
        stored = self._stored_for_edit(params)
        if stored is None:
            return True
        if not any(kind in stored.message for kind in _MEDIA_KINDS[:-1]):
            raise _bad("there is no caption in the message to edit")
        caption = params.get("caption", "")
        content = self._formatted(
            caption, params.get("parse_mode"), params.get("caption_entities"), key="caption"
        )
        content.setdefault("caption_entities", None)
        if not caption:
            content["caption"] = None
        message = self._edited(stored, content, params)
        stored.raw_text, stored.parse_mode = caption, params.get("parse_mode")
        return message

    async def _edit_message_reply_markup(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any] | bool:
        stored = self._stored_for_edit(params)
        if stored is None:
            return True
        return self._edited(stored, {}, params)

    async def _delete_message(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        stored = self._messages.get((params["chat_id"], params["message_id"]))
        if stored is None or stored.deleted:
            raise _bad("message to delete not found")
        stored.deleted = True
        return True

    async def _answer_callback_query(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        query_id = params["callback_query_id"]
        if query_id not in self._open_callbacks:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self._open_callbacks.discard(query_id)
        return True

    def _caption(self, params: dict[str, Any]) -> dict[str, Any]:
        caption = params.get("caption")
        if not caption:
            return {}
        return self._formatted(
            caption, params.get("parse_mode"), params.get("caption_entities"), key="caption"
        )

    async def _send_photo(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        content = {**self._media_content("photo", params["photo"]), **self._caption(params)}
        return self._bot_message(params, "sendPhoto", content, raw_text=params.get("caption"))

    async def _send_document(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        document = params["document"]
        filename = document.filename if isinstance(document, Upload) else None
        content = {
            **self._media_content("document", document, filename),
            **self._caption(params),
        }
        return self._bot_message(params, "sendDocument", content, raw_text=params.get("caption"))

    async def _send_media_group(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> list[dict[str, Any]]:
        media = params["media"]
        limit = self.spec.range("sendMediaGroup", "media") or limits.MEDIA_GROUP
        if not limit.minimum <= len(media) <= limit.maximum:
            raise _bad("wrong number of media in the group: must include 2-10 items")
        kinds = {item.get("type") for item in media}
        if len(kinds) > 1 and kinds & {"audio", "document"}:
            raise _bad("audio and document media can't be mixed with other media types")
        contents = []
        for item in media:
            value: Any = item.get("media")
            if isinstance(value, str) and value.startswith("attach://"):
                name = value.removeprefix("attach://")
                if name not in files:
                    raise _bad(f"can't find the attached file {value}")
                value = Upload(files[name], name)
            kind = str(item.get("type"))
            content = {**self._media_content(kind, value), **self._caption(item)}
            contents.append((content, item.get("caption")))
        group_id = str(10**17 + next(self._ids))
        return [
            self._bot_message(
                {**params, "parse_mode": item.get("parse_mode")},
                "sendMediaGroup",
                {**content, "media_group_id": group_id},
                raw_text=caption,
            )
            for (content, caption), item in zip(contents, media, strict=True)
        ]

    async def _send_poll(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        options = params["options"]
        count = self.spec.range("sendPoll", "options") or limits.POLL_OPTIONS
        if not count.minimum <= len(options) <= count.maximum:
            raise _bad("POLL_ANSWERS_INVALID")
        texts = [option["text"] if isinstance(option, dict) else option for option in options]
        length = self.spec.range("InputPollOption", "text") or limits.POLL_OPTION_TEXT
        if any(not length.minimum <= utf16_len(str(text)) <= length.maximum for text in texts):
            raise _bad("POLL_ANSWER_INVALID")
        if len(set(texts)) != len(texts):
            raise _bad("POLL_OPTION_DUPLICATE")
        question = params["question"]
        size = self.spec.range("sendPoll", "question") or limits.POLL_QUESTION
        if not size.minimum <= utf16_len(question) <= size.maximum:
            raise _bad("POLL_QUESTION_INVALID")
        number = next(self._ids)
        poll = {
            "id": str(5_000_000_000_000_000_000 + number),
            "question": question,
            "options": [
                {"persistent_id": f"{number}-{index}", "text": text, "voter_count": 0}
                for index, text in enumerate(texts)
            ],
            "total_voter_count": 0,
            "is_closed": bool(params.get("is_closed", False)),
            "is_anonymous": bool(params.get("is_anonymous", True)),
            "type": params.get("type", "regular"),
            "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
            "allows_revoting": bool(params.get("allows_revoting", True)),
            "members_only": bool(params.get("members_only", False)),
        }
        return self._bot_message(params, "sendPoll", {"poll": poll}, raw_text=question)

    async def _stop_poll(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        stored = self._messages.get((params["chat_id"], params["message_id"]))
        if stored is None or stored.deleted:
            raise _bad("message with poll to stop not found")
        poll = stored.message.get("poll")
        if poll is None:
            raise _bad("message is not a poll")
        if poll["is_closed"]:
            raise _bad("poll has already been closed")
        poll["is_closed"] = True
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            stored.message["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        else:
            stored.message.pop("reply_markup", None)
        return copy.deepcopy(poll)

    async def _answer_inline_query(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        results = params["results"]
        limit = self.spec.range("answerInlineQuery", "results") or limits.INLINE_RESULTS
        if len(results) > limit.maximum:
            raise _bad("RESULTS_TOO_MUCH")
        ids = [result.get("id") for result in results]
        if len(set(ids)) != len(ids):
            raise _bad("RESULT_ID_DUPLICATE")
        query_id = params["inline_query_id"]
        if query_id not in self._open_inline_queries:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self._open_inline_queries.discard(query_id)
        return True

    async def _send_chat_action(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        if params["action"] not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    async def _get_file(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        stored = self._files.get(params["file_id"])
        if stored is None:
            raise _bad("invalid file_id")
        if len(stored.data) > limits.MAX_DOWNLOAD_BYTES:
            raise _bad("file is too big")
        return stored.as_file()

    async def _get_chat(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = params["chat_id"]
        if chat_id not in self._chats:
            raise _bad("chat not found")
        return {
            **self._chats[chat_id],
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    # -- scripting updates ------------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; give it the next update_id unless it has one.

        Pushing an update that was pushed before (same update_id) delivers it again, even
        if the bot already confirmed it: that is how a test provokes a duplicate delivery.
        """
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        update_id = int(update["update_id"])
        self._next_update_id = max(self._next_update_id, update_id + 1)
        duplicate = update_id in self._seen_update_ids
        self._seen_update_ids.add(update_id)
        self._pending.append(_Pending(copy.deepcopy(update), duplicate))
        self._changed()
        return update

    def user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """Return (and remember) a User; details given once are kept for later updates."""
        user = self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        )
        given = {
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
        }
        user.update({key: value for key, value in given.items() if value is not None})
        if user_id in self._chats:
            self._chats[user_id].update(
                {k: user[k] for k in ("first_name", "last_name", "username") if k in user}
            )
        return dict(user)

    def _user_message(
        self, user_id: int, content: dict[str, Any], chat_id: int | None, **user: Any
    ) -> dict[str, Any]:
        sender = self.user(user_id, **user)
        target = user_id if chat_id is None else chat_id
        message = self._store(target, content, sender=sender, method="user")
        return self.push_update({"message": copy.deepcopy(message)})

    def user_sends(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """Queue a text message from a user ("/cmd args" gets a bot_command entity)."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        return self._user_message(
            user_id,
            content,
            chat_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )

    def user_presses(
        self,
        user_id: int,
        message: SentMessage | dict[str, Any],
        callback_data: str | None = None,
        *,
        button: str | None = None,
        check: bool = True,
    ) -> dict[str, Any]:
        """Queue a press on an inline button of a bot message (by callback_data or label).

        With check=True the data must be on the message's keyboard, as only real buttons
        can be pressed.
        """
        if isinstance(message, SentMessage):
            current = self.message(message.chat_id, message.message_id) or message.message
        else:
            current = message
        if button is not None:
            callback_data = _sent_like(current).button(button).callback_data
        if callback_data is None:
            raise ValueError("give callback_data or button")
        available = [b.callback_data for row in buttons_of(current) for b in row]
        if check and callback_data not in available:
            raise ValueError(f"{callback_data!r} is not on the message's keyboard: {available}")
        query_id = str(4_000_000_000_000_000_000 + next(self._ids))
        self._open_callbacks.add(query_id)
        chat = current["chat"]
        return self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user(user_id),
                    "message": copy.deepcopy(current),
                    "chat_instance": str(10**18 + abs(int(chat["id"]))),
                    "data": callback_data,
                }
            }
        )

    def user_sends_photo(
        self,
        user_id: int,
        data: bytes = b"\xff\xd8\xff\xe0fake-jpeg",
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a photo from a user; the bot can getFile and download it."""
        stored = self._files[self.register_file(data, "photo")]
        content: dict[str, Any] = {"photo": self._photo_sizes(stored)}
        if caption is not None:
            content["caption"] = caption
        return self._user_message(user_id, content, chat_id)

    def user_sends_document(
        self,
        user_id: int,
        data: bytes = b"%PDF-1.4 fake",
        *,
        file_name: str = "file.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a document from a user."""
        stored = self._files[self.register_file(data, "document", file_name=file_name)]
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(data),
        }
        content: dict[str, Any] = {"document": document}
        if caption is not None:
            content["caption"] = caption
        return self._user_message(user_id, content, chat_id)

    def user_sends_sticker(
        self, user_id: int, emoji: str = "👍", *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """Queue a sticker from a user."""
        stored = self._files[self.register_file(b"RIFFfake-webp", "sticker")]
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._user_message(user_id, {"sticker": sticker}, chat_id)

    def user_sends_location(
        self, user_id: int, latitude: float, longitude: float, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """Queue a location from a user."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._user_message(user_id, {"location": location}, chat_id)

    def user_sends_contact(
        self,
        user_id: int,
        phone_number: str,
        *,
        first_name: str | None = None,
        contact_user_id: int | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a shared contact (the user's own unless contact_user_id says otherwise)."""
        contact = {
            "phone_number": phone_number,
            "first_name": first_name or self.user(user_id)["first_name"],
            "user_id": user_id if contact_user_id is None else contact_user_id,
        }
        return self._user_message(user_id, {"contact": contact}, chat_id)

    def user_sends_voice(
        self,
        user_id: int,
        data: bytes = b"OggSfake-voice",
        *,
        duration: int = 1,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a voice note from a user."""
        stored = self._files[self.register_file(data, "voice")]
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(data),
        }
        return self._user_message(user_id, {"voice": voice}, chat_id)

    def user_inline_query(
        self, user_id: int, query: str, *, offset: str = "", chat_type: str = "sender"
    ) -> dict[str, Any]:
        """Queue an inline query; the bot may answer it once."""
        query_id = str(3_000_000_000_000_000_000 + next(self._ids))
        self._open_inline_queries.add(query_id)
        inline = {
            "id": query_id,
            "from": self.user(user_id),
            "query": query,
            "offset": offset,
            "chat_type": chat_type,
        }
        return self.push_update({"inline_query": inline})

    def user_answers_poll(
        self, user_id: int, poll: SentMessage | dict[str, Any] | str, option_ids: list[int]
    ) -> dict[str, Any]:
        """Queue a poll_answer (only non-anonymous polls produce them); update the counts."""
        if isinstance(poll, SentMessage):
            poll = self.message(poll.chat_id, poll.message_id) or poll.message
        if isinstance(poll, dict) and "poll" in poll:
            poll = poll["poll"]
        poll_id = poll["id"] if isinstance(poll, dict) else poll
        current = next(
            (
                stored.message["poll"]
                for stored in self._messages.values()
                if stored.message.get("poll", {}).get("id") == poll_id
            ),
            None,
        )
        persistent: list[str] = []
        if current is not None:
            if current["is_anonymous"]:
                raise ValueError("Telegram sends poll_answer only for non-anonymous polls")
            for index in option_ids:
                current["options"][index]["voter_count"] += 1
                persistent.append(current["options"][index]["persistent_id"])
            current["total_voter_count"] += 1
        return self.push_update(
            {
                "poll_answer": {
                    "poll_id": poll_id,
                    "user": self.user(user_id),
                    "option_ids": list(option_ids),
                    "option_persistent_ids": persistent,
                }
            }
        )

    # -- webhooks ---------------------------------------------------------------------------

    async def deliver_webhook(
        self, url: str | None, update: dict[str, Any], secret: str | None = None
    ) -> tuple[int, str]:
        """POST an update to a webhook like Telegram; return the status and body.

        `url` and `secret` default to what the bot passed to setWebhook. A 2xx answer takes
        the update off the pending queue, and a method call in it (JSON or form data, as
        Telegram allows a webhook to answer) is performed and recorded with via_webhook.
        Connections are kept open between deliveries, as Telegram keeps them.
        """
        registered = self.webhook or {}
        target = url or registered.get("url")
        if not target:
            raise ValueError("no webhook URL given or set")
        token = secret if secret is not None else registered.get("secret_token")
        headers = {"X-Telegram-Bot-Api-Secret-Token": token} if token else {}
        if "update_id" not in update:
            self.push_update(update)
        if self._webhook_session is None or self._webhook_session.closed:
            connector = aiohttp.TCPConnector(limit=self.webhook_connections)
            self._webhook_session = aiohttp.ClientSession(connector=connector)
        async with self._webhook_session.post(target, json=update, headers=headers) as response:
            answer = await _read_answer(response)
            body = "" if answer is None else json.dumps(answer[0], default=repr)
            if answer is None:
                body = await response.text()
        if 200 <= response.status < 300:
            self._take_pending(int(update["update_id"]))
            if answer is not None and isinstance(answer[0].get("method"), str):
                raw = {k: v for k, v in answer[0].items() if k != "method"}
                await self._perform(
                    answer[0]["method"], raw, answer[1], token=self.token, via_webhook=True
                )
            self._changed()
        return response.status, body

    def _take_pending(self, update_id: int) -> None:
        """Drop a delivered update from the queue (usually at its front: a burst is O(n))."""
        for index, entry in enumerate(self._pending):
            if entry.update_id == update_id:
                del self._pending[index]
                return

    @property
    def webhook_answers(self) -> list[Call]:
        """Return the calls a webhook made in its answers to deliveries."""
        return [call for call in self.calls if call.via_webhook]


async def _read_answer(
    response: aiohttp.ClientResponse,
) -> tuple[dict[str, Any], dict[str, Upload]] | None:
    """Read a webhook's answer as parameters: a JSON object or form data, else None."""
    if response.content_type == "application/json":
        try:
            body = await response.json()
        except ValueError:
            return None
        return (body, {}) if isinstance(body, dict) else None
    if response.content_type != "multipart/form-data":
        return None
    params: dict[str, Any] = {}
    parts: dict[str, Upload] = {}
    reader = aiohttp.MultipartReader.from_response(response)
    while (part := await reader.next()) is not None:
        if not isinstance(part, aiohttp.BodyPartReader) or not part.name:
            continue
        if part.filename:
            parts[part.name] = Upload(await part.read(), part.filename)
        else:
            params[part.name] = await part.text()
    return params, parts


async def _read_body(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Read parameters from the query string and a JSON, urlencoded or multipart body."""
    params: dict[str, Any] = dict(request.query)
    parts: dict[str, Upload] = {}
    if not request.body_exists:
        return params, parts
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise _bad("can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise _bad("JSON request body must be an object")
        params.update(body)
        return params, parts
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            parts[name] = Upload(value.file.read(), value.filename, value.content_type)
        else:
            params[name] = value
    return params, parts


class _Calls(list[Call]):
    """The recorded calls; calling it filters by method name (case-insensitive)."""

    def __call__(self, method: str | None = None) -> list[Call]:
        if method is None:
            return list(self)
        return [call for call in self if call.method.lower() == method.lower()]


def _photo_size(stored: _File, width: int, height: int) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": width,
        "height": height,
        "file_size": len(stored.data),
    }


def _kind(message: dict[str, Any]) -> str:
    if "text" in message:
        return "text"
    return next((kind for kind in _MEDIA_KINDS if kind in message), "other")


def _sent_like(message: dict[str, Any]) -> SentMessage:
    """View any Message object as a SentMessage (for button lookups)."""
    text = message.get("text", message.get("caption"))
    return SentMessage(
        chat_id=message["chat"]["id"],
        message_id=message["message_id"],
        kind=_kind(message),
        text=text,
        raw_text=text,
        parse_mode=None,
        buttons=buttons_of(message),
        message=message,
        method="",
    )


def _sent(chat_id: Any, stored: _Stored) -> SentMessage:
    message = copy.deepcopy(stored.message)
    text = message.get("text", message.get("caption"))
    if "poll" in message:
        text = message["poll"]["question"]
    return SentMessage(
        chat_id=chat_id,
        message_id=message["message_id"],
        kind=_kind(message),
        text=text,
        raw_text=stored.raw_text,
        parse_mode=stored.parse_mode,
        buttons=buttons_of(message),
        message=message,
        method=stored.method,
        deleted=stored.deleted,
        edits=stored.edits,
        reply_keyboard=stored.reply_keyboard,
    )


__all__ = ["SEND_METHODS", "Button", "Call", "FakeTelegram", "SentMessage", "TelegramError"]
