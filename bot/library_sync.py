"""Keep this process's practice library in step with the database.

A practice this process approves reaches its search index when the transaction commits; one
changed by another bot process, or imported from the command line, reaches it here: every
LIBRARY_SYNC seconds (5 by default) the library looks at which practices changed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from storage.database import Database
from storage.library import PracticeLibrary


class LibrarySync:
    """Re-index practices changed by other processes, every interval."""

    def __init__(self, database: Database, library: PracticeLibrary, interval: float) -> None:
        self.database = database
        self.library = library
        self.interval = interval

    async def sync_once(self) -> int:
        """Re-index what changed since the last look; return how many practices."""
        async with self.database.transaction() as session:
            return await self.library.sync(session)

    async def run(self, runtime: Any) -> None:
        """Look every interval until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            await self.sync_once()
