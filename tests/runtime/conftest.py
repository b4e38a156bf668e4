"""Fixtures for runtime tests: the fake Bot API server and a live bot on each runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.settings import Settings
from tests.fake_telegram import FakeTelegram, check_against_spec
from tests.runtime.harness import RUNTIMES, LiveBot, live_bot


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """Start the fake Telegram; after the test, nothing the bot sent may have been refused."""
    async with FakeTelegram() as server:
        yield server
        assert server.rejected == [], server.rejected
        assert check_against_spec(server.calls) == []


@pytest.fixture(params=RUNTIMES)
async def live(request, settings: Settings, fake: FakeTelegram) -> AsyncIterator[LiveBot]:
    """Run the bot on aiogram, then on python-telegram-bot."""
    async with live_bot(request.param, settings, fake) as bot:
        yield bot
