"""Administrative units (districts and their khoroos), kept as data an admin can replace."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import District, Khoroo


@dataclass(frozen=True)
class UnitSpec:
    """A district as given in a units file: code, names, and how many khoroos it has."""

    code: str
    name_mn: str
    name_en: str
    khoroos: int


DEFAULT_UNITS = Path(__file__).with_name("seed") / "units.yaml"


class UnitsFileError(ValueError):
    """A units file is malformed; the message names the entry."""


def read_units(path: Path = DEFAULT_UNITS) -> list[UnitSpec]:
    """Read districts from a YAML or JSON list of {code, name_mn, name_en, khoroos}."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(entries, list) or not entries:
        raise UnitsFileError(f"{path}: expected a non-empty list of districts")
    specs = []
    for number, entry in enumerate(entries, start=1):
        try:
            spec = UnitSpec(
                code=str(entry["code"]).strip(),
                name_mn=str(entry["name_mn"]).strip(),
                name_en=str(entry["name_en"]).strip(),
                khoroos=int(entry["khoroos"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise UnitsFileError(f"{path}: entry {number}: {error!r}") from error
        if not spec.code or not spec.name_mn or not 1 <= spec.khoroos <= 500:
            raise UnitsFileError(f"{path}: entry {number}: code, names and 1-500 khoroos needed")
        specs.append(spec)
    if len({s.code for s in specs}) != len(specs):
        raise UnitsFileError(f"{path}: district codes repeat")
    return specs


@dataclass(frozen=True)
class UnitsChange:
    """What an import of units did."""

    added: int
    updated: int
    removed: int


class Units:
    """Repository of districts and khoroos."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def districts(self) -> Sequence[District]:
        """Return every district in display order, with its khoroos loaded."""
        result = await self.session.scalars(
            select(District).options(selectinload(District.khoroos)).order_by(District.position)
        )
        return result.all()

    async def district(self, district_id: int) -> District | None:
        """Return one district with its khoroos."""
        result = await self.session.scalars(
            select(District)
            .options(selectinload(District.khoroos))
            .where(District.id == district_id)
        )
        return result.first()

    async def count(self) -> int:
        """Return how many districts there are."""
        return int(await self.session.scalar(select(func.count(District.id))) or 0)

    async def replace(self, specs: Iterable[UnitSpec]) -> UnitsChange:
        """Make the stored units equal to the given list, keeping ids of districts that stay."""
        specs = list(specs)
        existing = {d.code: d for d in await self.districts()}
        added = updated = 0
        for position, spec in enumerate(specs):
            district = existing.pop(spec.code, None)
            if district is None:
                district = District(code=spec.code, name_mn=spec.name_mn, name_en=spec.name_en)
                district.khoroos = []
                self.session.add(district)
                added += 1
            elif (district.name_mn, district.name_en, len(district.khoroos)) != (
                spec.name_mn,
                spec.name_en,
                spec.khoroos,
            ):
                updated += 1
            district.name_mn, district.name_en, district.position = (
                spec.name_mn,
                spec.name_en,
                position,
            )
            have = {k.number for k in district.khoroos}
            district.khoroos = [k for k in district.khoroos if k.number <= spec.khoroos]
            district.khoroos.extend(
                Khoroo(number=n) for n in range(1, spec.khoroos + 1) if n not in have
            )
        for gone in existing.values():
            await self.session.execute(delete(District).where(District.id == gone.id))
        await self.session.flush()
        return UnitsChange(added=added, updated=updated, removed=len(existing))
