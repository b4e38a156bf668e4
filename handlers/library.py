"""The practice library as the conversations see it: the search index hook and look-alikes.

The running bot may keep one in-memory ``SearchIndex`` in ``services.extras["practice_index"]``
(the composition root decides); everything here works without it too, by indexing the
shared practices from the database for the one question asked.
"""

from __future__ import annotations

from sqlalchemy import select

from handlers.context import Context, Services
from knowledge.search import Filters, SearchDocument, SearchIndex
from storage.models import Practice
from storage.practices import SHARED, Practices

INDEX = "practice_index"


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


def practice_changed(services: Services, practice: Practice) -> None:
    """Tell the search index that a practice changed: shared ones are found, others not."""
    index = services.extras.get(INDEX)
    if index is None:
        return
    if practice.status in SHARED:
        index.update(search_document(practice))
    else:
        index.remove(practice.id)


async def similar_practices(
    ctx: Context, title: str, *, limit: int = 3, exclude: int | None = None
) -> list[Practice]:
    """Return up to ``limit`` shared practices whose text looks like the title, best first."""
    if not title.strip():
        return []
    index: SearchIndex | None = ctx.services.extras.get(INDEX)
    if index is None:
        # No long-lived index in this process: build one for this question only.
        index = SearchIndex()
        result = await ctx.session.scalars(select(Practice).where(Practice.status.in_(SHARED)))
        for shared in result.all():
            index.add(search_document(shared))
    page = index.search(title, limit=limit + 1, filters=Filters(status=SHARED))
    repository = Practices(ctx.session)
    found: list[Practice] = []
    for hit in page.hits:
        practice = await repository.get(int(hit.id)) if hit.id != exclude else None
        if practice is not None and practice.status in SHARED:
            found.append(practice)
    return found[:limit]
