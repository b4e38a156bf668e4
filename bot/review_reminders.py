"""Remind reviewers of practices that wait for a decision too long, once a day at most.

Each reviewer's last reminder is claimed in the database (``storage.queues``) in the same
transaction that finds the overdue practices, and the messages go out after the commit: a
restart or a second bot process does not remind again the same day. The clock is the
app's, so tests move time instead of sleeping.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.reminders import Nudges
from handlers.i18n import Catalogue
from handlers.messages import SendText
from handlers.permissions import own_practice
from handlers.queues import reminder
from storage.database import Database
from storage.models import utcnow
from storage.queues import ReviewQueue
from storage.users import Users

log = logging.getLogger(__name__)
EVERY = timedelta(days=1)


class ReviewReminders(Nudges):
    """Finds reviewers with overdue practices and reminds them through a runtime."""

    what = "review reminders"

    def __init__(
        self,
        database: Database,
        catalogue: Catalogue,
        *,
        after_days: float = 3.0,
        interval: float = 600.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.catalogue = catalogue
        self.after_days = after_days
        self.interval = interval
        self.clock = clock

    async def due(self) -> list[SendText]:
        """Claim each reviewer's reminder of the day and return the messages to send."""
        now = self.clock()
        messages: list[SendText] = []
        async with self.database.transaction() as session:
            queue, users = ReviewQueue(session), Users(session)
            overdue = await queue.overdue_by_reviewer(now - timedelta(days=self.after_days))
            for user_id, practices in overdue.items():
                user = await users.get(user_id)
                if user is None or user.blocked:
                    continue
                # Nobody decides on their own khoroo's practice: no reminder of it either.
                theirs = [p for p in practices if not own_practice(user, p)]
                if theirs and await queue.claim_reminder(user_id, now, EVERY):
                    messages.append(reminder(self.catalogue, user, theirs, self.after_days))
        return messages
