"""`khoroo-bot run --no-sender` answers users and leaves announcements to `khoroo-bot sender`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storage.database import Database
from storage.models import Announcement, User
from tests.fake_telegram import FakeTelegram
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
OFFICER, SUBSCRIBER = 6101, 6102
TEXT = "Уралдааны шинэ шат эхэллээ"


async def stop(process: asyncio.subprocess.Process) -> list[dict[str, Any]]:
    """SIGTERM the process, wait for it, and return its log lines."""
    assert process.stderr is not None
    try:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        if process.returncode is None:
            process.kill()
    return [json.loads(line) for line in (await process.stderr.read()).splitlines()]


async def test_run_no_sender_sends_no_announcement_and_the_sender_process_does(database_url):
    database = Database(database_url)
    async with database.transaction() as session:
        session.add(User(id=SUBSCRIBER, first_name="U", registered=True, language="mn"))
        session.add(Announcement(text=TEXT, audience={"kind": "all"}))  # due now

    async with FakeTelegram() as fake:
        environment = {
            **os.environ,
            "BOT_TOKEN": fake.token,
            "DATABASE_URL": database_url,
            "TELEGRAM_API_URL": fake.base_url,
            "PROJECTOR_PORT": str(free_port()),
            "SENDER_IDLE": "0.05",
        }

        def khoroo_bot(*arguments: str) -> Any:
            return asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *arguments,
                cwd=ROOT, env=environment, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip

        bot = await khoroo_bot("run", "--no-sender")
        try:
            await fake.wait_for(lambda: fake.polls_waiting > 0, timeout=60)
            fake.user_sends(OFFICER, "/help")
            await fake.wait_for(lambda: fake.sent_messages(OFFICER), timeout=10)
            await fake.wait_for(lambda: fake.polls_waiting > 0, timeout=10)  # idle again
        finally:
            bot_logs = await stop(bot)
        assert fake.sent_messages(SUBSCRIBER) == []
        async with database.transaction() as session:
            announcement = await session.scalar(select(Announcement))
            assert announcement is not None and announcement.state == "scheduled"

        sender = await khoroo_bot("sender")
        try:
            await fake.wait_for(lambda: fake.sent_messages(SUBSCRIBER), timeout=60)
        finally:
            sender_logs = await stop(sender)
    await database.dispose()

    assert [m.text for m in fake.sent_messages(SUBSCRIBER)] == [TEXT]
    problems = [e for e in bot_logs + sender_logs if e["level"] in ("WARNING", "ERROR")]
    assert problems == []
