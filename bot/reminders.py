"""Remind adopting khoroos to report progress and to evaluate, once each.

The worker claims due reminders and marks them sent in one transaction (a conditional
UPDATE in ``storage.adoptions``), then sends them after the commit: a restart or a second
bot process never sends a reminder twice. A crash between the commit and the send loses
that one reminder, which is the better failure for a nudge. The clock is injectable, so
tests move time instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from handlers.adoption import reminder
from handlers.i18n import Catalogue
from handlers.messages import SendText
from storage.adoptions import Adoptions
from storage.database import Database
from storage.models import utcnow
from storage.users import Users

log = logging.getLogger(__name__)


class Nudges:
    """Sends the messages a subclass finds due, every ``interval`` seconds, until cancelled."""

    interval: float
    what = "reminders"  # for the log

    async def due(self) -> list[SendText]:
        """Claim what is due and return the messages to send."""
        raise NotImplementedError

    async def send_due(self, runtime: Any) -> int:
        """Send the due reminders through a runtime; return how many were sent."""
        messages = await self.due()
        for message in messages:
            assert message.chat_id is not None
            await runtime.deliver(message, message.chat_id)
        return len(messages)

    async def run(self, runtime: Any) -> None:
        """Send due reminders now and then, until cancelled."""
        while True:
            try:
                await self.send_due(runtime)
            except Exception:
                # A database hiccup must not stop the reminders for good: try again later.
                log.exception("%s failed", self.what)
            await asyncio.sleep(self.interval)


class Reminders(Nudges):
    """Finds due adoption reminders and sends them through a runtime."""

    what = "adoption reminders"

    def __init__(
        self,
        database: Database,
        catalogue: Catalogue,
        *,
        report_after: timedelta = timedelta(days=30),
        evaluate_after: timedelta = timedelta(days=90),
        interval: float = 600.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.catalogue = catalogue
        self.report_after = report_after
        self.evaluate_after = evaluate_after
        self.interval = interval
        self.clock = clock

    async def due(self) -> list[SendText]:
        """Claim every due reminder, mark it sent, and return the messages to send."""
        now = self.clock()
        messages: list[SendText] = []
        async with self.database.transaction() as session:
            adoptions, users = Adoptions(session), Users(session)
            reports = await adoptions.claim_report_reminders(now, self.report_after)
            evaluations = await adoptions.claim_evaluation_reminders(now, self.evaluate_after)
            claimed = [("report", a) for a in reports] + [("evaluate", a) for a in evaluations]
            for kind, adoption in claimed:
                user = await users.get(adoption.user_id or 0)
                if user is not None and not user.blocked:
                    messages.append(reminder(self.catalogue, user, adoption, kind))
        return messages
