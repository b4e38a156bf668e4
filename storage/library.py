"""The practice library: the shared practices as peers find them.

One in-memory search index (``knowledge.search``) per process, built from the database at
start-up and kept current two ways: the changes this process commits (``change``, applied
after the commit) and a cheap look for what other processes committed (``sync``: a bot
process approving, ``khoroo-bot practices import``). Searching loads the practices found in
rank order; nothing else needs to query practices to find them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.search import Filters, SearchDocument, SearchIndex
from storage.models import Practice, utcnow
from storage.practices import SHARED, Practices

# Clocks of processes differ a little, and a transaction may commit a while after it
# stamped its rows: each look goes back this far (a practice seen unchanged is skipped).
OVERLAP = timedelta(minutes=2)
# Most looks compare only a count and the latest change; every so many looks compare every
# recent change, which also catches a late commit stamped before the latest change.
FULL_LOOK_EVERY = 12


def search_document(practice: Practice) -> SearchDocument:
    """Return what the search index keeps of a practice (its id is the database id)."""
    return SearchDocument(
        id=practice.id,
        title=practice.title,
        problem=practice.problem,
        solution=practice.solution,
        results=practice.results,
        tags=tuple(practice.tags or ()),
        district=practice.district.code if practice.district else None,
        category=practice.category,
        status=practice.status,
        year=practice.year,
        khoroo=practice.khoroo_number,
    )


@dataclass(frozen=True)
class Found:
    """A practice found, with its search score (higher ranks first) and query coverage."""

    practice: Practice
    score: float
    coverage: float = 1.0


@dataclass(frozen=True)
class Results:
    """One page of practices found, in rank order, and how many matched in all."""

    found: list[Found]
    total: int

    @property
    def practices(self) -> list[Practice]:
        """Return the practices of the page, best first."""
        return [f.practice for f in self.found]


@dataclass(frozen=True)
class IndexChange:
    """What a practice's change does to the index, taken when it changed, applied later."""

    index: SearchIndex
    practice_id: int
    document: SearchDocument | None  # None: no longer shared, so no longer found

    def __call__(self) -> None:
        """Apply the change."""
        if self.document is None:
            self.index.remove(self.practice_id)
        else:
            self.index.update(self.document)


class PracticeLibrary:
    """The search index of the shared practices, and finding practices with it."""

    def __init__(self, index: SearchIndex | None = None) -> None:
        self.index = index if index is not None else SearchIndex()
        self._since: datetime = utcnow()
        # What the last looks re-indexed, by practice: its updated_at then.
        self._seen: dict[int, datetime] = {}
        self._looks = 0

    async def load(self, session: AsyncSession) -> int:
        """Index every shared practice (at start-up); return how many."""
        started = utcnow()
        # The stamps first: a change committed between the two reads then looks new to the
        # next look (indexed twice, harmlessly) rather than seen (never indexed).
        stamps = await Practices(session).changed_since(started - OVERLAP)
        shared = await Practices(session).shared()
        for practice in shared:
            self.index.update(search_document(practice))
        self._since, self._seen = started, dict(stamps)
        return len(shared)

    def change(self, practice: Practice) -> IndexChange:
        """Return the index change the practice's current state calls for (apply it later)."""
        document = search_document(practice) if practice.status in SHARED else None
        return IndexChange(self.index, practice.id, document)

    def changed(self, practice: Practice) -> None:
        """Update the index for a practice now: shared ones are found, others not."""
        self.change(practice)()

    async def search(
        self,
        session: AsyncSession,
        query: str,
        *,
        limit: int,
        offset: int = 0,
        filters: Filters | None = None,
    ) -> Results:
        """Search the shared practices and load the ones found, in rank order."""
        page = self.index.search(
            query, limit=limit, offset=offset, filters=filters or Filters(status=SHARED)
        )
        ids = [int(hit.id) for hit in page.hits]
        # Another process may have withdrawn one since this index heard of it.
        loaded = {p.id: p for p in await Practices(session).by_ids(ids) if p.status in SHARED}
        found = [
            Found(loaded[int(h.id)], h.score, h.coverage) for h in page.hits if int(h.id) in loaded
        ]
        return Results(found, page.total)

    async def similar(
        self,
        session: AsyncSession,
        text: str,
        *,
        limit: int = 3,
        exclude: int | None = None,
        min_coverage: float = 0.0,
    ) -> list[Practice]:
        """Return up to ``limit`` shared practices that look like the text, best first.

        ``min_coverage`` is the share of the text's words a practice must match (see Hit).
        """
        if not text.strip():
            return []
        results = await self.search(session, text, limit=limit + 1)
        return [
            f.practice
            for f in results.found
            if f.practice.id != exclude and f.coverage >= min_coverage
        ][:limit]

    async def sync(self, session: AsyncSession) -> int:
        """Re-index what other processes changed since the last look; return how many.

        A look usually reads a count and a time, so it is cheap enough to repeat every few
        seconds; the practices themselves are loaded only when one changed.
        """
        started = utcnow()
        horizon = self._since - OVERLAP
        repository = Practices(session)
        self._looks += 1
        if self._looks % FULL_LOOK_EVERY:
            recent = [stamp for stamp in self._seen.values() if stamp >= horizon]
            if await repository.changes_since(horizon) == (len(recent), max(recent, default=None)):
                self._since = started
                return 0
        stamps = await repository.changed_since(horizon)
        fresh = [i for i, stamp in stamps if self._seen.get(i) != stamp]
        for practice in await repository.by_ids(fresh):
            self.changed(practice)
        self._seen = dict(stamps)
        self._since = started
        return len(fresh)
