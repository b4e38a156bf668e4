"""The composition root: build the database, the catalogue and the dispatcher."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.library_sync import LibrarySync
from bot.live_results import LiveResults
from bot.reminders import Reminders
from bot.settings import Settings
from handlers.context import Services
from handlers.dispatcher import Dispatcher
from handlers.faq import teach
from handlers.flood import FloodGuard
from handlers.i18n import Catalogue
from handlers.library import INDEX, search_document
from handlers.messages import SendPoll
from handlers.routes import build_router
from handlers.vote_admin import poll_sent as vote_poll_sent
from knowledge.faq import FaqBase
from knowledge.search import SearchIndex
from storage.database import Database
from storage.faq import FaqRecords
from storage.practices import Practices
from storage.units import Units, read_units
from storage.users import Users

log = logging.getLogger(__name__)


@dataclass
class App:
    """Everything a runtime needs to serve users."""

    settings: Settings
    database: Database
    services: Services
    dispatcher: Dispatcher
    # Background work started by a Telegram runtime next to update handling; each worker
    # gets the runtime (to send with) and runs until cancelled.
    workers: list[Callable[[Any], Awaitable[None]]] = field(default_factory=list)

    async def mark_unreachable(self, chat_id: int) -> None:
        """Remember that a user blocked the bot, so broadcasts skip them."""
        async with self.database.transaction() as session:
            await Users(session).mark_blocked(chat_id)

    async def poll_sent(self, poll: SendPoll, poll_id: str, chat_id: int, message_id: int) -> None:
        """Link a native poll the bot posted to the record it belongs to."""
        handler = self.services.extras.get("poll_sent")
        if handler is not None:
            async with self.database.transaction() as session:
                await handler(session, poll, poll_id, chat_id, message_id)

    async def close(self) -> None:
        """Release the database."""
        await self.database.dispose()


async def build_app(settings: Settings, *, migrate: bool = True) -> App:
    """Open and migrate the database, seed the units on first start, and wire the core."""
    database = Database(settings.database_url)
    if migrate:
        await database.upgrade()
    await seed_units(database)
    catalogue = Catalogue.load(default=settings.default_language)
    services = Services(
        catalogue=catalogue, faq=await load_faq(database), admin_ids=settings.admin_ids
    )
    flood = FloodGuard(settings.flood_limit, settings.flood_window, settings.flood_pause)
    dispatcher = Dispatcher(database, services, build_router(), flood)
    app = App(settings, database, services, dispatcher)
    services.extras[INDEX] = await load_practice_index(database)
    app.workers.append(LibrarySync(database, services, settings.library_sync).run)
    wire_votes(app)
    wire_sender(app)
    wire_reminders(app)
    return app


def wire_sender(app: App) -> None:
    """Run the announcement sender (and the contest notices) beside update handling."""
    # Imported here: the sender uses the runtimes' Failure, and the runtimes import App.
    from bot.sender import Sender, SenderConfig

    sender = Sender(app.database, app.services.catalogue, SenderConfig.from_settings(app.settings))
    app.services.extras["sender"] = sender
    app.workers.append(sender.run)


def wire_votes(app: App) -> None:
    """Give quick votes their live results, poll linking and auto-close workers."""
    settings = app.settings
    live = LiveResults(
        app.database,
        app.services.catalogue,
        interval=settings.live_results_interval,
        close_check=settings.vote_close_check,
        clock=lambda: app.services.clock(),  # one clock for the handlers and the worker
    )
    app.services.extras.update(
        live_results=live, poll_sent=vote_poll_sent, projector_url=settings.projector_base()
    )
    app.workers += [live.run, live.auto_close]


def wire_reminders(app: App) -> None:
    """Remind adopting khoroos to report and to evaluate after the configured days."""
    settings = app.settings
    reminders = Reminders(
        app.database,
        app.services.catalogue,
        report_after=timedelta(days=settings.adoption_report_days),
        evaluate_after=timedelta(days=settings.adoption_evaluate_days),
        interval=settings.reminder_check,
    )
    app.services.extras["reminders"] = reminders
    app.workers.append(reminders.run)


async def load_practice_index(database: Database) -> SearchIndex:
    """Index every shared practice once; the handlers keep it current as practices change."""
    index = SearchIndex()
    async with database.transaction() as session:
        for practice in await Practices(session).shared():
            index.add(search_document(practice))
    return index


async def load_faq(database: Database) -> FaqBase:
    """Load the knowledge base and what trainers taught it since (withdrawn lessons left out)."""
    faq = FaqBase.load()
    async with database.transaction() as session:
        for lesson in await FaqRecords(session).lessons(include_withdrawn=False):
            teach(faq, lesson)
    return faq


async def seed_units(database: Database) -> None:
    """Load Ulaanbaatar's districts when the database has none yet."""
    async with database.transaction() as session:
        units = Units(session)
        if await units.count() == 0:
            change = await units.replace(read_units())
            log.info("seeded %d districts", change.added)
