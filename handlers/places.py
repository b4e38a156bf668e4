"""Places typed as officers write them: «Баянзүрх 3, 5, 12-14; Сүхбаатар» (no numbers: all)."""

from __future__ import annotations

import re

from handlers.context import Context
from handlers.steps import Invalid
from storage.units import Units, unit_matcher

_RANGE = re.compile(r"(\d+)\s*[-–]\s*(\d+)|(\d+)")
_ALL = {"бүгд", "бүх", "all"}


def _numbers(text: str, largest: int) -> list[int] | None:
    """Read "3, 5, 12-14" as khoroo numbers; None when one is out of range."""
    found: list[int] = []
    for low, high, single in _RANGE.findall(text):
        start, end = (int(low), int(high)) if low else (int(single), int(single))
        if not 1 <= start <= end <= largest:
            return None
        found += range(start, end + 1)
    return found


async def read_places(
    ctx: Context, text: str, default: int | None = None
) -> list[list[int | None]]:
    """Return [district id, khoroo number or None for all] for each place, one district a line.

    A line of numbers alone («5, 12») is of the default district, when there is one (the
    district open in a picker).
    """
    districts = {d.code: d for d in await Units(ctx.session).districts()}
    matcher = unit_matcher(districts.values())
    places: list[list[int | None]] = []
    for line in re.split(r"[\n;]+", text):
        line = line.strip()
        if not line:
            continue
        head = _RANGE.split(line, maxsplit=1)[0]
        name = " ".join(w for w in head.replace(",", " ").split() if w.casefold() not in _ALL)
        match = matcher.match(name) if name else None
        district = districts[match.id] if match is not None else None
        if district is None and not name and default is not None:
            district = next((d for d in districts.values() if d.id == default), None)
        if district is None:
            raise Invalid("templates.unknown_district", line=line[:60])
        numbers = _numbers(line[len(head) :], len(district.khoroos))
        if numbers is None:
            raise Invalid(
                "templates.bad_khoroo",
                district=district.name(ctx.language),
                n=len(district.khoroos),
            )
        places += [[district.id, n] for n in numbers] if numbers else [[district.id, None]]
    if not places:
        raise Invalid("templates.unknown_district", line=text[:60])
    return places
