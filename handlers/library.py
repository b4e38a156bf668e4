"""The practice library as the conversations use it: look-alikes, and telling it of changes.

The library itself (``storage.library.PracticeLibrary``, in ``ctx.services.library``) owns
the search index; a change reaches the index only once the transaction has committed.
"""

from __future__ import annotations

from handlers.context import Context
from storage.models import Practice


def practice_changed(ctx: Context, practice: Practice) -> None:
    """Update the search index for a changed practice once this event's transaction commits."""
    ctx.after_commit(ctx.services.library.change(practice))


async def similar_practices(
    ctx: Context,
    title: str,
    *,
    limit: int = 3,
    exclude: int | None = None,
    min_coverage: float = 0.0,
) -> list[Practice]:
    """Return up to ``limit`` shared practices whose text looks like the title, best first."""
    return await ctx.services.library.similar(
        ctx.session, title, limit=limit, exclude=exclude, min_coverage=min_coverage
    )
