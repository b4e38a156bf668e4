"""Live vote results: the trainer's results message, projector pages, and auto-closing.

Handlers report a changed vote (after their transaction commits) with ``changed(vote_id)``;
this worker edits each changed vote's results message at most once per interval, so a burst
of ballots becomes one edit and Telegram's limit on edits of one message is respected.
Projector pages wait on ``watch(vote_id)`` and are woken at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.html import truncate
from handlers.i18n import Catalogue
from handlers.messages import EditText, StopPoll
from handlers.votes import digest, results_buttons, results_text
from storage.database import Database
from storage.models import User, VoteSession, utcnow
from storage.votes import OPEN, Votes

log = logging.getLogger(__name__)


class LiveResults:
    """Which votes changed, who watches them, and the workers that act on it."""

    def __init__(
        self,
        database: Database,
        catalogue: Catalogue,
        *,
        interval: float = 2.5,
        close_check: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.catalogue = catalogue
        self.interval = interval
        self.close_check = close_check
        self.clock = clock
        self._dirty: set[int] = set()
        self._wake = asyncio.Event()
        self._watchers: dict[int, set[asyncio.Event]] = {}

    def changed(self, vote_id: int) -> None:
        """Note that a vote's ballots or state changed (call after the change is committed)."""
        self._dirty.add(vote_id)
        self._wake.set()
        for watcher in self._watchers.get(vote_id, ()):
            watcher.set()

    @property
    def pending(self) -> frozenset[int]:
        """Return the votes whose results message is not up to date yet."""
        return frozenset(self._dirty)

    @contextmanager
    def watch(self, vote_id: int) -> Iterator[asyncio.Event]:
        """Give an event that is set whenever the vote changes (a projector page's stream)."""
        event = asyncio.Event()
        self._watchers.setdefault(vote_id, set()).add(event)
        try:
            yield event
        finally:
            watchers = self._watchers.get(vote_id, set())
            watchers.discard(event)
            if not watchers:
                self._watchers.pop(vote_id, None)

    async def flush(self, runtime: Any) -> int:
        """Edit every changed vote's results message once; return how many edits were sent.

        A closed vote's group poll is stopped here too, whichever way the vote was closed.
        """
        dirty, self._dirty = self._dirty, set()
        replies: list[EditText | StopPoll] = []
        async with self.database.transaction() as session:
            votes = Votes(session)
            for vote_id in sorted(dirty):
                vote = await votes.get(vote_id)
                if vote is None:
                    continue
                if vote.state != OPEN and vote.poll_message_id and vote.poll_chat_id:
                    replies.append(StopPoll(vote.poll_message_id, chat_id=vote.poll_chat_id))
                    votes.unlink_poll(vote)
                edit = await self._results_edit(session, vote)
                if edit is not None:
                    replies.append(edit)
        for reply in replies:
            await runtime.deliver(reply, reply.chat_id)
        return sum(isinstance(reply, EditText) for reply in replies)

    async def _results_edit(self, session: AsyncSession, vote: VoteSession) -> EditText | None:
        """Return the edit that brings the vote's results message up to date, if one is due."""
        if vote.results_message_id is None or not vote.results_chat_id:
            return None
        owner = await session.get(User, vote.owner_id)
        language = owner.language if owner is not None else self.catalogue.default
        result = await Votes(session).tally(vote)
        text = results_text(self.catalogue, language, vote, result)
        buttons = results_buttons(self.catalogue, language, vote)
        fingerprint = digest(text, buttons)
        if fingerprint == vote.results_digest:
            return None  # already shown (e.g. the trainer's own press edited it)
        vote.results_digest = fingerprint
        return EditText(
            int(vote.results_message_id), truncate(text), buttons, chat_id=vote.results_chat_id
        )

    async def run(self, runtime: Any) -> None:
        """Flush whenever something changed, then rest for the interval (bursts merge)."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush(runtime)
            except Exception:
                log.exception("updating live results failed")
            await asyncio.sleep(self.interval)

    async def close_due(self) -> list[int]:
        """Close the votes whose auto-close time has passed; return their ids."""
        async with self.database.transaction() as session:
            votes = Votes(session)
            due = await votes.due(self.clock())
            for vote in due:
                await votes.close(vote, vote.closes_at)
            closed = [vote.id for vote in due]
        for vote_id in closed:
            self.changed(vote_id)
        return closed

    async def auto_close(self, runtime: Any) -> None:
        """Check for votes to close every few seconds."""
        while True:
            try:
                await self.close_due()
            except Exception:
                log.exception("closing votes failed")
            await asyncio.sleep(self.close_check)
