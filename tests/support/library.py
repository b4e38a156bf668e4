"""Helpers for library tests: put shared practices straight into the database and the index."""

from __future__ import annotations

from typing import Any

from bot.app import App
from storage.models import Practice
from storage.practices import Practices
from storage.units import Units

PROBLEM = "Хороонд хог хаягдал ихсэж, иргэд гомдол гаргадаг байв."
SOLUTION = "Хорооны ажлын алба иргэдтэй хамтран ажлын төлөвлөгөө гаргаж хэрэгжүүлсэн."
RESULTS = "Нэг жилийн дотор гомдол 40 хувиар буурсан."


async def share(
    app: App,
    title: str,
    *,
    district: str = "songinokhairkhan",
    khoroo: int = 30,
    category: str = "environment",
    status: str = "approved",
    year: int | None = 2022,
    submitter: int | None = None,
    **fields: Any,
) -> int:
    """Store a shared practice, index it as the bot does, and return its id."""
    async with app.database.transaction() as session:
        districts = {d.code: d for d in await Units(session).districts()}
        practice = Practice(
            title=title,
            district=districts[district],
            khoroo_number=khoroo,
            category=category,
            problem=fields.pop("problem", PROBLEM),
            solution=fields.pop("solution", SOLUTION),
            results=fields.pop("results", RESULTS),
            year=year,
            status=status,
            stage="share",
            submitter_id=submitter,
            **fields,
        )
        await Practices(session).add(practice)
        indexed = app.services.library.change(practice)
    indexed()  # committed: now it may be found
    return practice.id
