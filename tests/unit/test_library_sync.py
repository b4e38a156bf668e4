"""A practice approved in another process, or imported, reaches this process's search."""

from __future__ import annotations

from bot.app import build_app
from bot.library_sync import LibrarySync
from handlers.library import INDEX
from tests.support.chat import Chat, register
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
        index = here.services.extras[INDEX]
        assert index.search(TITLE).total == 0  # this process has not heard of it yet
        sync = LibrarySync(here.database, here.services, interval=30)
        assert await sync.sync_once() == 1
        assert index.search(TITLE).total == 1
        assert await sync.sync_once() == 1  # looking back a little re-indexes, harmlessly
    finally:
        await here.close()
        await elsewhere.close()
