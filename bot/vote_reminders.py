"""Remind the officers of a vote's targeted khoroos who have not voted, once, before it closes.

A vote with a closing time and targeted khoroos is due once it closes within
VOTE_REMIND_BEFORE minutes. Each officer's reminder is claimed by inserting a row unique per
vote and user (``storage.templates``) in the transaction that finds them, and the messages
go out after the commit: a restart or a second bot process never reminds anyone twice. The
clock is the app's, so tests move time instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.reminders import Nudges
from handlers.i18n import TIMEZONE, Catalogue
from handlers.messages import SendText
from storage.database import Database
from storage.models import utcnow
from storage.templates import Templates, deadline_item

KEY = "nudges.deadline_reminder"


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

    async def due(self) -> list[SendText]:
        """Claim each due officer's reminder and return the messages to send."""
        now = self.clock()
        messages: list[SendText] = []
        async with self.database.transaction() as session:
            templates = Templates(session)
            for vote in await templates.closing_soon(now, self.before):
                officers = {u.id: u for u in await templates.officers_not_voted(vote)}
                claimed = await templates.claim(deadline_item(vote), list(officers), now)
                assert vote.closes_at is not None
                link = f"https://t.me/{self.username() or 'bot'}?start=vote_{vote.code}"
                for user_id in claimed:
                    user = officers[user_id]
                    text = self.catalogue.text(
                        user.language,
                        KEY,
                        question=vote.question,
                        code=vote.code,
                        link=link,
                        time=f"{vote.closes_at.astimezone(TIMEZONE):%H:%M}",
                        minutes=max(1, round((vote.closes_at - now).total_seconds() / 60)),
                    )
                    messages.append(SendText(text, chat_id=user.id))
        return messages
