"""A practice approved in another process, or imported, reaches this process's search."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import timedelta

from bot.app import build_app
from storage.library import FULL_LOOK_EVERY
from storage.models import utcnow
from storage.practices import Practices
from tests.support.chat import Chat, register
from tests.support.library import share
from tests.support.practices import TITLE, button, grant, sent_to, submit


async def test_a_practice_approved_elsewhere_becomes_searchable(settings):
    here = await build_app(settings, migrate=False)
    elsewhere = await build_app(settings, migrate=False)  # a second process on the database
    try:
        author, reviewer = Chat(elsewhere, 61), Chat(elsewhere, 62)
        await register(author)
        await register(reviewer, khoroo="8")
        await grant(elsewhere, 62, "bayangol")
        replies = await submit(author)
        await reviewer.press_data(button(sent_to(replies, 62), "Батлах").data or "")
        index = here.services.library.index
        assert index.search(TITLE).total == 0  # this process has not heard of it yet
        assert elsewhere.services.library.index.search(TITLE).total == 1  # committed there
        assert await here.library_sync.sync_once() == 1
        assert index.search(TITLE).total == 1
        assert await here.library_sync.sync_once() == 0  # seen unchanged: not indexed again
    finally:
        await here.close()
        await elsewhere.close()


async def test_a_practice_imported_by_the_command_line_is_found_at_the_next_look(
    settings, tmp_path
):
    bot = await build_app(settings, migrate=False)
    try:
        record = {
            "id": "imp-1",
            "title": "Хогийн цэгийг цэцэрлэг болгосон",
            "district": "bayangol",
            "khoroo": 5,
            "category": "environment",
            "problem": "Хороонд хог хаягдал ихсэж, иргэд гомдол гаргадаг байв.",
            "solution": "Иргэдтэй хамтран хогийн цэгийг цэвэрлэж цэцэрлэг байгуулсан.",
            "results": "Гомдол 40 хувиар буурсан.",
            "year": 2024,
            "status": "approved",
        }
        source = tmp_path / "practices.jsonl"
        source.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
        command = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "practices",
            "import",
            str(source),
            env={**os.environ, "DATABASE_URL": settings.database_url},
            stdout=asyncio.subprocess.DEVNULL,
        )
        assert await command.wait() == 0
        assert bot.services.library.index.search("цэцэрлэг").total == 0
        assert await bot.library_sync.sync_once() == 1
        async with bot.database.transaction() as session:
            found = await bot.services.library.search(session, "цэцэрлэг", limit=5)
        assert [p.external_id for p in found.practices] == ["imp-1"]
        assert bot.settings.library_sync <= 5  # so the bot finds it within a few seconds
    finally:
        await bot.close()


async def test_the_quick_look_matches_the_full_one_and_a_late_commit_is_caught(app):
    first = await share(app, "Хогийн цэгийг цэцэрлэг болгосон")
    second = await share(app, "Иргэдийн оролцоотой төсөв")
    library, sync = app.services.library, app.library_sync
    horizon = utcnow() - timedelta(minutes=5)
    async with app.database.transaction() as session:
        stamps = dict(await Practices(session).changed_since(horizon))
        # The quick look's summary compares equal to what the full look read.
        assert await Practices(session).changes_since(horizon) == (2, max(stamps.values()))
    assert await sync.sync_once() == 2  # both were shared after the app was built
    # Another process commits late a change stamped before the latest one: neither the
    # count nor the latest change moves, so only the periodic full look can see it.
    async with app.database.transaction() as session:
        practice = await Practices(session).get(first)
        assert practice is not None
        practice.title = "Ногоон байгууламж"
        await session.flush()
        practice.updated_at = stamps[second] - timedelta(milliseconds=1)
    looks = [await sync.sync_once() for _ in range(FULL_LOOK_EVERY)]
    assert looks[0] == 0 and sum(looks) == 1  # missed by a quick look, caught by a full one
    assert library.index.search("байгууламж").total == 1
