"""Keep this process's practice search index in step with the database.

The handlers update the index of the process that approves a practice; a practice changed by
another bot process, or imported from the command line, reaches this index here: every
LIBRARY_SYNC seconds the practices changed since the last look are re-indexed.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from handlers.context import Services
from handlers.library import practice_changed
from storage.database import Database
from storage.models import Practice, utcnow

# Clocks of processes differ a little, and a transaction may commit a while after it
# stamped its rows: look back this far each time (re-indexing twice is harmless).
OVERLAP = timedelta(minutes=2)


class LibrarySync:
    """Re-index practices changed since the last look."""

    def __init__(self, database: Database, services: Services, interval: float) -> None:
        self.database = database
        self.services = services
        self.interval = interval
        self.since: datetime = utcnow()

    async def sync_once(self) -> int:
        """Re-index what changed since the last look; return how many practices."""
        started = utcnow()
        async with self.database.transaction() as session:
            changed = (
                await session.scalars(
                    select(Practice)
                    .options(selectinload(Practice.district))
                    .where(Practice.updated_at >= self.since - OVERLAP)
                )
            ).all()
            for practice in changed:
                practice_changed(self.services, practice)
        self.since = started
        return len(changed)

    async def run(self, runtime: Any) -> None:
        """Look every interval until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            await self.sync_once()
