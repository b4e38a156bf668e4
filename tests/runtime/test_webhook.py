"""The aiogram runtime's webhook: Telegram's secret header is checked, /healthz answers."""

from __future__ import annotations

import asyncio

import aiohttp
from pydantic import SecretStr

from bot.app import build_app
from bot.runtimes.aiogram_runtime import WEBHOOK_PATH, AiogramRuntime
from tests.fake_telegram import FakeTelegram
from tests.runtime.harness import settings_for
from tests.support.ports import free_port

SECRET = "s3cret-token_for-tests"


async def test_webhook_checks_the_secret_and_serves_updates(settings, fake: FakeTelegram):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    configured = settings_for(settings, fake).model_copy(
        update={"webhook_url": base, "webhook_secret": SecretStr(SECRET), "webhook_port": port}
    )
    app = await build_app(configured, migrate=False)
    runtime = AiogramRuntime(app, configured.token())
    handled: list[int] = []
    runtime.observers.append(handled.append)
    serving = asyncio.create_task(
        runtime.serve_webhook(base, SECRET, configured.webhook_host, port)
    )
    try:
        await fake.wait_for(lambda: fake.webhook is not None or serving.done())
        assert fake.webhook is not None and fake.webhook["url"] == base + WEBHOOK_PATH
        assert fake.webhook["secret_token"] == SECRET

        async with aiohttp.ClientSession() as session, session.get(base + "/healthz") as reply:
            assert reply.status == 200 and (await reply.json()) == {"ok": True}

        update = fake.user_sends(42, "/start")
        status, _ = await fake.deliver_webhook(None, update, secret="wrong")
        assert status == 401 and handled == []

        status, _ = await fake.deliver_webhook(None, update)
        assert status == 200
        assert handled == [update["update_id"]]  # handled before the answer (not in background)
        assert "Сайн байна уу" in (fake.sent_messages(42)[0].text or "")
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        await runtime.stop()
        await app.close()
