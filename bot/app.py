"""The composition root: build the database, the catalogue and the dispatcher."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.library_sync import LibrarySync
from bot.live_results import LiveResults
from bot.reminders import Reminders
from bot.settings import Settings
from handlers.context import Services
from handlers.dispatcher import Dispatcher
from handlers.faq import teach
from handlers.flood import FloodGuard
from handlers.i18n import Catalogue
from handlers.messages import SendPoll
from handlers.routes import build_router
from handlers.vote_admin import poll_sent as vote_poll_sent
from knowledge.faq import FaqBase
from storage.database import Database
from storage.faq import FaqRecords
from storage.library import PracticeLibrary
from storage.units import Units, read_units
from storage.users import Users

if TYPE_CHECKING:
    from bot.sender import Sender

log = logging.getLogger(__name__)


@dataclass
class App:
    """Everything a runtime needs to serve users."""

    settings: Settings
    database: Database
    services: Services
    dispatcher: Dispatcher
    sender: Sender
    live_results: LiveResults
    reminders: Reminders
    library_sync: LibrarySync
    # Background work started by a Telegram runtime next to update handling; each worker
    # gets the runtime (to send with) and runs until cancelled.
    workers: list[Callable[[Any], Awaitable[None]]] = field(default_factory=list)

    async def mark_unreachable(self, chat_id: int) -> None:
        """Remember that a user blocked the bot, so broadcasts skip them."""
        async with self.database.transaction() as session:
            await Users(session).mark_blocked(chat_id)

    async def poll_sent(self, poll: SendPoll, poll_id: str, chat_id: int, message_id: int) -> None:
        """Link a native poll the bot posted to the record it belongs to."""
        async with self.database.transaction() as session:
            await vote_poll_sent(session, poll, poll_id, chat_id, message_id)

    async def close(self) -> None:
        """Release the database."""
        await self.database.dispose()


async def build_app(settings: Settings, *, migrate: bool = True) -> App:
    """Open and migrate the database, seed the units on first start, and wire the core."""
    # Imported here: the sender uses the runtimes' Failure, and the runtimes import App.
    from bot.sender import Sender, SenderConfig

    database = Database(settings.database_url)
    if migrate:
        await database.upgrade()
    await seed_units(database)
    catalogue = Catalogue.load(default=settings.default_language)
    library = PracticeLibrary()
    async with database.transaction() as session:
        await library.load(session)
    sender = Sender(database, catalogue, SenderConfig.from_settings(settings))
    live = LiveResults(
        database,
        catalogue,
        interval=settings.live_results_interval,
        close_check=settings.vote_close_check,
        clock=lambda: services.clock(),  # one clock for the handlers and the worker
    )
    reminders = Reminders(
        database,
        catalogue,
        report_after=timedelta(days=settings.adoption_report_days),
        evaluate_after=timedelta(days=settings.adoption_evaluate_days),
        interval=settings.reminder_check,
    )
    services = Services(
        catalogue=catalogue,
        faq=await load_faq(database),
        library=library,
        live_results=live,
        projector_url=settings.projector_base(),
        admin_ids=settings.admin_ids,
    )
    flood = FloodGuard(settings.flood_limit, settings.flood_window, settings.flood_pause)
    dispatcher = Dispatcher(database, services, build_router(), flood)
    sync = LibrarySync(database, library, settings.library_sync)
    app = App(settings, database, services, dispatcher, sender, live, reminders, sync)
    # The announcement sender (and the contest notices), live vote results and auto-close,
    # adoption reminders, and practices changed by other processes, beside update handling.
    app.workers += [sync.run, live.run, live.auto_close, sender.run, reminders.run]
    return app


async def load_faq(database: Database) -> FaqBase:
    """Load the knowledge base and what trainers taught it since."""
    faq = FaqBase.load()
    async with database.transaction() as session:
        for lesson in await FaqRecords(session).lessons():
            teach(faq, lesson)
    return faq


async def seed_units(database: Database) -> None:
    """Load Ulaanbaatar's districts when the database has none yet."""
    async with database.transaction() as session:
        units = Units(session)
        if await units.count() == 0:
            change = await units.replace(read_units(), audit=False)
            log.info("seeded %d districts", change.added)
