"""The webhook, served by both runtimes on 127.0.0.1: only Telegram's secret opens it, and no
body, however malformed, large or deep, gets a 500 or stops the server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.app import build_app
from bot.cli import main
from bot.runtimes import telegram_runtime
from bot.runtimes.telegram import TelegramRuntime
from bot.settings import Settings
from bot.webhook import MAX_BODY, WEBHOOK_PATH, Webhook, WebhookServer
from tests.fake_telegram import FakeTelegram
from tests.runtime.harness import RUNTIMES, settings_for
from tests.support.ports import free_port

SECRET = "s3cret-token_for-tests"
USER = 42


class Hooked:
    """A runtime serving its webhook, and the update ids it has handled."""

    def __init__(self, runtime: TelegramRuntime, port: int) -> None:
        self.runtime = runtime
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.handled: list[int] = []
        runtime.observers.append(self.handled.append)

    async def post(
        self, body: bytes, secret: bytes | None = SECRET.encode(), *, chunked: bool = False
    ) -> int:
        """POST raw bytes to the webhook as Telegram would (or would not); return the status."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = [
            f"POST {WEBHOOK_PATH} HTTP/1.1".encode(),
            b"Host: 127.0.0.1",
            b"Content-Type: application/json",
            b"Connection: close",
        ]
        if secret is not None:
            head.append(b"X-Telegram-Bot-Api-Secret-Token: " + secret)
        if chunked:
            head.append(b"Transfer-Encoding: chunked")
            payload = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        else:
            head.append(b"Content-Length: %d" % len(body))
            payload = body
        try:
            writer.write(b"\r\n".join(head) + b"\r\n\r\n" + payload)
            await writer.drain()
            status_line = await reader.readline()
        finally:
            writer.close()
        return int(status_line.split()[1])

    async def post_headers_only(self, length: int) -> int:
        """Announce a body of this length, send none of it, and return the status."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(
                f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n".encode()
            )
            await writer.drain()
            status_line = await reader.readline()
        finally:
            writer.close()
        return int(status_line.split()[1])


@pytest.fixture(params=RUNTIMES)
async def hooked(request, settings: Settings, fake: FakeTelegram) -> AsyncIterator[Hooked]:
    port = free_port()
    configured = settings_for(settings, fake)
    app = await build_app(configured, migrate=False)
    webhook = Webhook(f"http://127.0.0.1:{port}", SECRET, "127.0.0.1", port)
    runtime = telegram_runtime(
        request.param, app.hooks(), configured.token(), api_url=fake.base_url, webhook=webhook
    )
    try:
        await runtime.start()
        yield Hooked(runtime, port)
    finally:
        await runtime.stop()
        await app.close()


async def test_the_webhook_is_registered_with_its_secret_and_serves_updates(
    hooked: Hooked, fake: FakeTelegram
):
    assert fake.webhook is not None and fake.webhook["url"] == hooked.base + WEBHOOK_PATH
    assert fake.webhook["secret_token"] == SECRET

    async with (
        aiohttp.ClientSession() as session,
        session.get(hooked.base + "/healthz") as reply,
    ):
        assert reply.status == 200 and (await reply.json()) == {"ok": True}

    update = fake.user_sends(USER, "/start")
    status, _ = await fake.deliver_webhook(None, update, secret="wrong")
    assert status == 401 and hooked.handled == []
    assert await hooked.post(json.dumps(update).encode(), secret=None) == 401
    assert hooked.handled == []

    status, _ = await fake.deliver_webhook(None, update)
    assert status == 200
    assert hooked.handled == [update["update_id"]]  # handled before the answer
    assert "Сайн байна уу" in (fake.sent_messages(USER)[0].text or "")


async def test_a_forged_update_with_a_non_ascii_secret_is_refused(
    hooked: Hooked, fake: FakeTelegram
):
    update = json.dumps(fake.user_sends(USER, "/start")).encode()
    for forged in ("сайн".encode(), SECRET.encode() + "é".encode(), SECRET.encode()[:-1]):
        assert await hooked.post(update, secret=forged) == 401
    assert hooked.handled == [] and fake.sent_messages(USER) == []


def deep(levels: int) -> bytes:
    return b'{"update_id": 1, "message": ' + b"[" * levels + b"]" * levels + b"}"


MALFORMED = {
    "empty": b"",
    "not JSON": b"update, please",
    "not UTF-8": b'{"update_id": 1, "message": "\xff\xfe"}',
    "an array": b"[1, 2, 3]",
    "a string": b'"hello"',
    "no update_id": b'{"message": {"text": "hi"}}',
    "update_id of the wrong type": b'{"update_id": "7"}',
    "a message without chat or sender": b'{"update_id": 8, "message": {"text": 5}}',
    "a callback without its sender": b'{"update_id": 9, "callback_query": {"id": "1"}}',
    "100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "100,000 deep in an update": deep(100_000),
    "deeper than any update": deep(200),
}


async def test_malformed_bodies_get_400_and_the_server_stays_up(hooked: Hooked, fake: FakeTelegram):
    statuses = {name: await hooked.post(body) for name, body in MALFORMED.items()}
    assert statuses == dict.fromkeys(MALFORMED, 400)
    assert hooked.handled == []

    update = fake.user_sends(USER, "/start")
    status, _ = await fake.deliver_webhook(None, update)
    assert status == 200 and hooked.handled == [update["update_id"]]


async def test_oversize_bodies_get_413_and_the_server_stays_up(hooked: Hooked, fake: FakeTelegram):
    assert await hooked.post_headers_only(MAX_BODY + 1) == 413
    padding = b" " * MAX_BODY
    assert await hooked.post(b'{"update_id": 3}' + padding, chunked=True) == 413
    assert hooked.handled == []

    update = fake.user_sends(USER, "/start")
    status, _ = await fake.deliver_webhook(None, update)
    assert status == 200 and hooked.handled == [update["update_id"]]


@pytest.mark.parametrize("secret", [None, "", "has spaces", "тайлбар", "x" * 257])
def test_run_webhook_refuses_to_start_without_a_usable_secret(
    secret: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123:TEST")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:9")  # nothing is asked of it
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    if secret is None:
        monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    else:
        monkeypatch.setenv("WEBHOOK_SECRET", secret)
    with pytest.raises(SystemExit, match="WEBHOOK_SECRET"):
        main(["run", "--webhook"])
    assert not (tmp_path / "khoroo-bot.db").exists()  # refused before anything started


def test_no_webhook_server_without_a_secret():
    async def feed(update: dict[str, object]) -> None:
        raise AssertionError("never fed")

    with pytest.raises(ValueError, match="secret"):
        WebhookServer(feed, "")
    with pytest.raises(ValueError, match="secret"):
        Webhook("https://bot.example.org", "")


async def test_a_press_is_answered_in_the_webhook_response(hooked: Hooked, fake: FakeTelegram):
    start = fake.user_sends(USER, "/start")
    status, _ = await fake.deliver_webhook(None, start)
    assert status == 200
    languages = fake.last_message(USER)
    assert languages is not None
    press = fake.user_presses(USER, languages, "registration:language:mn")
    hooked.runtime.observers.append(lambda _update_id: fake.notify())

    status, body = await fake.deliver_webhook(None, press)

    query_id = press["callback_query"]["id"]
    assert status == 200
    assert json.loads(body) == {"method": "answerCallbackQuery", "callback_query_id": query_id}
    answers = fake.calls("answerCallbackQuery")
    assert [(call.params["callback_query_id"], call.via_webhook, call.ok) for call in answers] == [
        (query_id, True, True)
    ]
    assert fake.webhook_answers == answers
    # The press's other reply (the next registration step) still goes out, on its own.
    await fake.wait_for(lambda: hooked.handled == [start["update_id"], press["update_id"]])
    last = fake.last_message(USER)
    assert last is not None and "дүүрэг" in (last.text or "")
    assert fake.rejected == []
