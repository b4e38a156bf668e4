"""What start-up loads from the database: the units on first start, and the FAQ with what
trainers taught it.

Kept apart from the composition root, so read-only commands load them without the bot.
"""

from __future__ import annotations

import logging

from knowledge.faq import FaqBase
from storage.database import Database
from storage.faq import FaqRecords
from storage.units import Units, read_units

log = logging.getLogger(__name__)


async def load_faq(database: Database) -> FaqBase:
    """Load the knowledge base and what trainers taught it since."""
    # Imported here: the FAQ flow brings the contest and the dispatcher, which
    # `practices search` does not need.
    from handlers.faq import teach

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
            change = await units.replace(read_units(), audit=False)
            log.info("seeded %d districts", change.added)
