"""Fixtures: a migrated database (SQLite, or PostgreSQL from TEST_DATABASE_URL) and the app."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text

from bot.app import App, build_app
from bot.settings import Settings
from storage.database import Database, upgrade
from storage.models import Base

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
ADMIN_ID = 900

# Property tests explore the same examples on every run, so a run passes or fails for the
# code's sake, not by chance; `HYPOTHESIS_PROFILE=long` is a developer's longer random hunt.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile(
    "long", derandomize=False, deadline=None, max_examples=2000, print_blob=True
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per run: a SQLite file to copy, or the PostgreSQL database itself."""
    if POSTGRES_URL:
        asyncio.run(_empty_schema(POSTGRES_URL))
        upgrade(POSTGRES_URL)
        return POSTGRES_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


async def _empty_schema(url: str) -> None:
    # Start from nothing, so a schema left by an older branch cannot confuse the migrations.
    database = Database(url)
    async with database.transaction() as session:
        await session.execute(text("DROP SCHEMA public CASCADE"))
        await session.execute(text("CREATE SCHEMA public"))
    await database.dispose()


@pytest.fixture
async def database_url(template_database: str, tmp_path: Path) -> str:
    """Return the URL of an empty, migrated database for one test."""
    if POSTGRES_URL:
        database = Database(POSTGRES_URL)
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        async with database.transaction() as session:
            await session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await database.dispose()
        return POSTGRES_URL
    path = tmp_path / "bot.db"
    shutil.copyfile(template_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Return settings for a test: its own database, one admin, a dummy token."""
    return Settings(
        _env_file=None,
        database_url=database_url,
        bot_token="123456:TEST-TOKEN",
        admin_ids=frozenset({ADMIN_ID}),
        default_language="mn",
        flood_limit=100_000,  # scripted users type faster than people; tests/unit/test_flood.py
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[App]:
    """Build the app exactly as the program does (migrations already applied)."""
    application = await build_app(settings, migrate=False)
    yield application
    await application.close()
