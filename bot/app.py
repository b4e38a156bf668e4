"""The composition root: build the database, the catalogue and the dispatcher."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot import contest_notices
from bot.library_sync import LibrarySync
from bot.live_results import LiveResults
from bot.loading import load_faq, seed_units
from bot.reminders import Reminders
from bot.review_reminders import ReviewReminders
from bot.sender import Sender, SenderConfig
from bot.settings import Settings
from bot.transport import Hooks
from bot.vote_reminders import VoteReminders
from handlers.context import Services
from handlers.dispatcher import Dispatcher
from handlers.flood import FloodGuard
from handlers.i18n import LANGUAGES, Catalogue
from handlers.messages import SendPoll
from handlers.routes import build_router, command_menu
from handlers.vote_admin import poll_sent as vote_poll_sent
from storage.database import Database
from storage.library import PracticeLibrary
from storage.users import Users

log = logging.getLogger(__name__)


@dataclass
class App:
    """Everything a runtime needs to serve users."""

    settings: Settings
    database: Database
    services: Services
    dispatcher: Dispatcher
    sender: Sender | None  # None: announcements wait for a separate `khoroo-bot sender`
    live_results: LiveResults
    reminders: Reminders
    library_sync: LibrarySync
    review_reminders: ReviewReminders
    # Background work started by a Telegram runtime next to update handling; each worker
    # gets the runtime (to send with) and runs until cancelled.
    workers: list[Callable[[Any], Awaitable[None]]] = field(default_factory=list)
    vote_reminders: VoteReminders | None = None

    def hooks(self) -> Hooks:
        """Give a runtime what it serves and the callbacks it calls, so it never calls up here."""
        catalogue = self.services.catalogue
        menus: dict[str | None, list[tuple[str, str]]] = {
            None: command_menu(catalogue, catalogue.default)
        }
        menus.update((language, command_menu(catalogue, language)) for language in LANGUAGES)
        return Hooks(
            handle=self.dispatcher.handle,
            command_menus=menus,
            mark_unreachable=self.mark_unreachable,
            poll_sent=self.poll_sent,
            named=self.named,
            workers=tuple(self.workers),
        )

    def named(self, username: str) -> None:
        """Remember the bot's @username (for links the handlers build)."""
        self.services.bot_username = username

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


async def build_app(settings: Settings, *, migrate: bool = True, sender: bool = True) -> App:
    """Open and migrate the database, seed the units on first start, and wire the core.

    Without the sender, announcements and contest notices wait for a `khoroo-bot sender`.
    """
    database = Database(settings.database_url)
    if migrate:
        await database.upgrade()
    await seed_units(database)
    catalogue = Catalogue.load(default=settings.default_language)
    library = PracticeLibrary()
    async with database.transaction() as session:
        await library.load(session)
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
    outbox = Sender(database, catalogue, SenderConfig.from_settings(settings)) if sender else None
    services = Services(
        catalogue=catalogue,
        faq=await load_faq(database),
        library=library,
        live_results=live,
        projector_url=settings.projector_base(),
        contest=contest_notices,
        admin_ids=settings.admin_ids,
        outbox_ready=outbox.wake if outbox is not None else lambda: None,
    )
    flood = FloodGuard(settings.flood_limit, settings.flood_window, settings.flood_pause)
    dispatcher = Dispatcher(database, services, build_router(), flood)
    sync = LibrarySync(database, library, settings.library_sync)
    review_reminders = ReviewReminders(
        database,
        catalogue,
        after_days=settings.review_remind_days,
        interval=settings.reminder_check,
        clock=lambda: services.clock(),  # the handlers' clock: tests move it forward
    )
    app = App(
        settings, database, services, dispatcher, outbox, live, reminders, sync, review_reminders
    )
    # Live vote results and auto-close, adoption reminders, practices changed by other
    # processes, and the announcement sender (with the contest notices), beside updates.
    app.workers += [sync.run, live.run, live.auto_close, reminders.run, review_reminders.run]
    if outbox is not None:
        app.workers.append(outbox.run)
    app.vote_reminders = VoteReminders(
        database,
        catalogue,
        before=timedelta(minutes=settings.vote_remind_before),
        interval=settings.vote_remind_check,
        username=lambda: services.bot_username,
        clock=lambda: services.clock(),  # the handlers' clock: tests move it forward
    )
    app.workers.append(app.vote_reminders.run)  # the deadline reminders of targeted votes
    return app
