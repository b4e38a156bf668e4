"""`khoroo-bot run` as a process of its own: long polling, and SIGTERM mid-reply.

SIGTERM must stop taking updates at once, yet let the update in progress send its reply
before the process closes its connections and exits cleanly.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fake_telegram import FakeTelegram
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
USER = 6001


@pytest.mark.parametrize("runtime", ["aiogram", "ptb"])
async def test_sigterm_lets_the_reply_in_flight_arrive(runtime, database_url):
    async with FakeTelegram() as fake:
        environment = {
            **os.environ,
            "BOT_TOKEN": fake.token,
            "DATABASE_URL": database_url,
            "TELEGRAM_API_URL": fake.base_url,
            "PROJECTOR_PORT": str(free_port()),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--runtime", runtime,
            cwd=ROOT, env=environment, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stderr is not None
        try:
            await fake.wait_for(lambda: fake.polls_waiting > 0, timeout=60)
            gate = fake.hold("sendMessage")  # Telegram is slow to take the reply
            fake.user_sends(USER, "/help")
            await fake.wait_for(lambda: fake.held, timeout=10)
            process.send_signal(signal.SIGTERM)
            # It stops asking for updates while the reply is still on its way...
            await fake.wait_for(lambda: fake.polls_waiting == 0, timeout=10)
            assert process.returncode is None
            gate.set()  # ...and exits once the reply has arrived.
            code = await asyncio.wait_for(process.wait(), timeout=30)
        finally:
            if process.returncode is None:
                process.kill()
        logs = [json.loads(line) for line in (await process.stderr.read()).splitlines()]
    problems = [entry for entry in logs if entry["level"] in ("WARNING", "ERROR")]
    assert (code, problems) == (0, [])
    assert [call.ok for call in fake.calls("sendMessage")] == [True]
    assert (fake.last_message(USER).text or "").startswith("ХСАЗ туслах бот")
