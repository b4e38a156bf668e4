"""Two webhook processes on one PostgreSQL database serve one bot: every update has one effect.

A burst of recorded updates from many users is delivered to both processes: each user's
updates in order, some delivered twice (to both processes at once, as a retried webhook
would be). Then both processes get SIGTERM and must shut down cleanly.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.database import Database
from storage.models import ProcessedUpdate, User
from tests.conftest import POSTGRES_URL
from tests.fake_telegram import FakeTelegram
from tests.support.ports import free_port

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
ROOT = Path(__file__).resolve().parents[2]
SECRET = "scale-out-secret"
USERS = range(8001, 8021)


@asynccontextmanager
async def bot_process(fake: FakeTelegram, database_url: str) -> AsyncIterator[str]:
    """Start `khoroo-bot run --webhook` in a second process; yield its base URL."""
    port = free_port()
    environment = {
        **os.environ,
        "BOT_TOKEN": fake.token,
        "DATABASE_URL": database_url,
        "TELEGRAM_API_URL": fake.base_url,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET": SECRET,
        "PROJECTOR_PORT": str(free_port()),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--webhook",
        cwd=ROOT, env=environment, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    try:
        async with asyncio.timeout(60):  # start-up: read its log until it listens
            while b"webhook listening" not in (line := await process.stderr.readline()):
                assert line, "the bot process ended during start-up"
        yield f"http://127.0.0.1:{port}/telegram/webhook"
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        rest = await process.stderr.read()
        code = await process.wait()
        errors = [json.loads(r) for r in rest.splitlines() if b'"level": "ERROR"' in r]
        assert code == 0 and errors == [], (code, errors)


def conversation(fake: FakeTelegram, user_id: int) -> list[dict]:
    """Record one user's registration and a help request, as Telegram would deliver them."""
    fake.user(user_id, first_name=f"Officer{user_id}", language_code="mn")
    texts = ["/start", "mn", "Баянгол", "5"]
    updates = [fake.user_sends(user_id, text) for text in texts]
    press = {"message_id": 1, "date": 0, "chat": {"id": user_id, "type": "private"}}
    updates.append(fake.user_presses(user_id, press, "registration:position:officer", check=False))
    updates.append(fake.user_sends(user_id, "/help"))
    return updates


async def test_two_processes_share_one_database(database_url):
    async with FakeTelegram() as fake:
        bursts = {user: conversation(fake, user) for user in USERS}
        async with (
            bot_process(fake, database_url) as first,
            bot_process(fake, database_url) as second,
        ):

            async def replay(user: int, updates: list[dict]) -> None:
                for number, update in enumerate(updates):
                    targets = [first, second][(user + number) % 2 :][:1]
                    if number % 3 == 0:  # delivered twice, to both processes at once
                        targets = [first, second]
                    statuses = await asyncio.gather(
                        *(fake.deliver_webhook(url, update, SECRET) for url in targets)
                    )
                    assert all(status == 200 for status, _ in statuses)

            await asyncio.gather(*(replay(user, updates) for user, updates in bursts.items()))

        database = Database(database_url)
        try:
            async with database.transaction() as session:
                users = (await session.scalars(select(User).where(User.id.in_(USERS)))).all()
                claimed = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
        finally:
            await database.dispose()
        assert len(users) == len(USERS)
        assert all(
            (u.registered, u.khoroo_number, u.position) == (True, 5, "officer") for u in users
        )
        assert claimed == sum(len(updates) for updates in bursts.values())
        for user in USERS:
            texts = [m.text or "" for m in fake.sent_messages(user)]
            assert sum("Бүртгэл амжилттай" in t for t in texts) == 1, texts
            assert sum(t.startswith("ХСАЗ туслах бот") for t in texts) == 1, texts
        assert fake.rejected == []
