"""A round's results as files: an XLSX workbook and a PNG chart of the totals.

Every text cell goes through storage.csv_safe.neutralise, so a practice title or a juror's
comment starting with "=" is never run as a formula by a spreadsheet.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


async def round_workbook(session: AsyncSession, round_id: int, language: str = "mn") -> bytes:
    """Return a round's XLSX: totals (weighted, per criterion, peer, rank), jurors, chain head."""
    raise NotImplementedError


async def round_chart(session: AsyncSession, round_id: int, language: str = "mn") -> bytes:
    """Return a PNG bar chart of a round's totals, best first."""
    raise NotImplementedError
