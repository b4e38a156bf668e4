"""Remind the officers of a vote's targeted khoroos who have not voted, once, before it closes.

A vote with a closing time and targeted khoroos is due once it closes within
VOTE_REMIND_BEFORE minutes. Each officer's reminder is claimed by inserting a row unique per
vote and user (``storage.templates``), and put in the outbox in the same transaction: the
sender delivers it in the officer's language at its pace, a crash after the commit leaves it
to send, not lost, and a restart or a second bot process finds it claimed, never doubled.
The clock is the app's, so tests move time instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.reminders import Nudges
from handlers.i18n import LANGUAGES, TIMEZONE, Catalogue
from storage.announcements import Announcements
from storage.database import Database
from storage.models import utcnow
from storage.templates import Templates, deadline_item

KEY = "nudges.deadline_reminder"
KIND = "deadline"  # the outbox announcement kind of a vote's deadline reminder


class VoteReminders(Nudges):
    """Finds targeted votes about to close and reminds their officers who have not voted."""

    what = "vote deadline reminders"

    def __init__(
        self,
        database: Database,
        catalogue: Catalogue,
        *,
        before: timedelta = timedelta(minutes=30),
        interval: float = 60.0,
        username: Callable[[], str | None] = lambda: None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.catalogue = catalogue
        self.before = before
        self.interval = interval
        self.username = username
        self.clock = clock

    async def queue(self) -> int:
        """Claim each due officer's reminder and put it in the outbox; return how many."""
        now = self.clock()
        queued = 0
        async with self.database.transaction() as session:
            templates, outbox = Templates(session), Announcements(session)
            for vote in await templates.closing_soon(now, self.before):
                officers = [u.id for u in await templates.officers_not_voted(vote)]
                claimed = await templates.claim(deadline_item(vote), officers, now)
                if not claimed:
                    continue
                assert vote.closes_at is not None
                values = {
                    "question": vote.question,
                    "code": vote.code,
                    "link": f"https://t.me/{self.username() or 'bot'}?start=vote_{vote.code}",
                    "time": f"{vote.closes_at.astimezone(TIMEZONE):%H:%M}",
                    "n": max(1, round((vote.closes_at - now).total_seconds() / 60)),
                }
                texts: dict[str, str] = {
                    language: self.catalogue.text(language, KEY, **values) for language in LANGUAGES
                }
                sent = await outbox.to_users(KIND, texts, claimed, now, author_id=vote.owner_id)
                queued += sent.recipients if sent is not None else 0
        # No wake-up call: the sender looks at the outbox every few seconds anyway, and a
        # reminder due minutes before the close does not need the moment.
        return queued

    async def send_due(self, runtime: Any) -> int:
        """Put the due reminders in the outbox; return how many (the sender delivers them)."""
        return await self.queue()
