"""PostgreSQL connections are not pinged before use (that costs three round trips per
update): a pooled connection found dead fails nothing the user sees; the update is applied
on a fresh one."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.app import App
from tests.conftest import POSTGRES_URL
from tests.support.chat import Chat

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")


async def test_an_update_is_applied_after_the_server_dropped_its_pooled_connection(
    app: App, caplog: pytest.LogCaptureFixture
):
    chat = Chat(app, 9301)
    await chat.send("/start")
    async with app.database.transaction() as session:
        pooled = await session.scalar(text("SELECT pg_backend_pid()"))
    assert POSTGRES_URL is not None
    dsn = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(False)
    server = await asyncpg.connect(dsn)
    try:  # as a restarted server would: every connection of the bot is gone
        assert await server.fetchval("SELECT pg_terminate_backend($1)", pooled)
    finally:
        await server.close()

    replies = await chat.send("/help")

    assert "database connection lost, retrying" in caplog.text
    assert any(t.startswith("ХСАЗ туслах бот") for t in chat.texts(replies)), chat.texts(replies)
