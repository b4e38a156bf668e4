"""Administrative units (districts and khoroos, or aimags and soums), kept as data.

A units file says its kind and lists the upper units, each with how many khoroos it has
(numbered 1..N) or the names of its soums. Replacing the units never orphans anyone: a
district or khoroo that users, practices, adoptions, announcements or reviewer grants point
to is only removed when a mapping moves them elsewhere (:class:`Move`), and every change is
audit-logged.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from knowledge.labels import LabelMatcher
from storage.audit import AuditLog
from storage.models import Adoption, Announcement, District, Khoroo, Practice, RoleGrant, User

# The kinds of upper units, and what their units are called in files.
KINDS = ("district", "aimag")
LOWER = {"district": "khoroos", "aimag": "soums"}
# Words people add to a unit's name ("Баянзүрх дүүрэг", "Bayan-Ölgii aimag").
UNIT_WORDS = ("дүүрэг", "district", "аймаг", "aimag", "хороо", "khoroo", "сум", "soum", "sum")


@dataclass(frozen=True)
class UnitSpec:
    """An upper unit as given in a units file: code, names, and its khoroos or soums."""

    code: str
    name_mn: str
    name_en: str
    khoroos: int
    kind: str = "district"
    aliases: tuple[str, ...] = ()
    # The soums' (Mongolian, English) names in number order; empty for numbered khoroos.
    names: tuple[tuple[str, str], ...] = ()


DEFAULT_UNITS = Path(__file__).with_name("seed") / "units.yaml"


class UnitsFileError(ValueError):
    """A units file (or a mapping) is malformed, or would orphan something; the message says."""


class UnitsInUse(UnitsFileError):
    """The new units would remove units that others point to and no mapping moves them."""


def read_units(path: Path = DEFAULT_UNITS) -> list[UnitSpec]:
    """Read a units file: {kind, units: [...]}, or a bare list of districts."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    kind = "district"
    entries = document
    if isinstance(document, dict):
        kind = str(document.get("kind", "district")).strip().lower()
        entries = document.get("units")
        if kind not in KINDS:
            raise UnitsFileError(f"{path}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if not isinstance(entries, list) or not entries:
        raise UnitsFileError(f"{path}: expected a non-empty list of units")
    specs = []
    for number, entry in enumerate(entries, start=1):
        try:
            spec = _spec(entry, kind)
        except (KeyError, TypeError, ValueError) as error:
            raise UnitsFileError(f"{path}: entry {number}: {error!r}") from error
        if not spec.code or not spec.name_mn or not 1 <= spec.khoroos <= 500:
            raise UnitsFileError(f"{path}: entry {number}: code, names and 1-500 khoroos needed")
        specs.append(spec)
    if len({s.code for s in specs}) != len(specs):
        raise UnitsFileError(f"{path}: codes repeat")
    return specs


def _spec(entry: Any, kind: str) -> UnitSpec:
    lower = entry.get("khoroos", entry.get("soums"))
    if lower is None:
        raise KeyError(LOWER[kind])
    names: tuple[tuple[str, str], ...] = ()
    if isinstance(lower, list):
        names = tuple(_soum_name(item) for item in lower)
        count = len(names)
    else:
        count = int(lower)
    return UnitSpec(
        code=str(entry["code"]).strip(),
        name_mn=str(entry["name_mn"]).strip(),
        name_en=str(entry["name_en"]).strip(),
        khoroos=count,
        kind=kind,
        aliases=tuple(str(a).strip() for a in entry.get("aliases") or () if str(a).strip()),
        names=names,
    )


def _soum_name(item: Any) -> tuple[str, str]:
    if isinstance(item, dict):
        mn = str(item["mn"]).strip()
        return mn, str(item.get("en") or mn).strip()
    return str(item).strip(), str(item).strip()


def unit_matcher(districts: Iterable[District | UnitSpec]) -> LabelMatcher:
    """Match a typed district (or aimag) to its code: by code, names or aliases, loosely."""
    return LabelMatcher(
        {d.code: (d.code, d.name_mn, d.name_en, *d.aliases) for d in districts},
        noise=UNIT_WORDS,
        prefixes=True,
    )


def khoroo_number(district: District, typed: str) -> int | None:
    """Return the khoroo a typed text names: a number in range, or a soum's name."""
    typed = re.sub(r"(?<=\d)\.0+\b", "", typed)  # a spreadsheet's 8.0
    digits = re.findall(r"\d+", typed)
    if len(digits) == 1 and 1 <= int(digits[0]) <= len(district.khoroos):
        return int(digits[0])
    named = {str(k.number): [n for n in (k.name_mn, k.name_en) if n] for k in district.khoroos}
    if not digits and any(named.values()):
        match = LabelMatcher(named, noise=UNIT_WORDS).match(typed)
        return int(match.id) if match else None
    return None


# --- moving what points to units -------------------------------------------------------


Place = tuple[str, int | None]  # (district code, khoroo number or None for the whole district)


@dataclass(frozen=True)
class Move:
    """Move what points to one khoroo (or a whole district) to another."""

    source: Place
    target: Place

    def __str__(self) -> str:
        return f"{_place(self.source)}={_place(self.target)}"


def _place(place: Place) -> str:
    return place[0] if place[1] is None else f"{place[0]}:{place[1]}"


def parse_move(text: str) -> tuple[str, str]:
    """Split "OLD=NEW" (e.g. "bayanzurkh:12=bayanzurkh:13", or two districts)."""
    old, sep, new = text.partition("=")
    if not sep or not old.strip() or not new.strip():
        raise UnitsFileError(f"mapping {text!r}: write OLD=NEW, e.g. bayanzurkh:12=bayanzurkh:13")
    return old.strip(), new.strip()


def read_mapping(path: Path) -> list[tuple[str, str]]:
    """Read a mapping file: CSV rows (old, new), or YAML {old: new} or a list of "old=new"."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        delimiter = (
            ";" if text.partition("\n")[0].count(";") > text.partition("\n")[0].count(",") else ","
        )
        pairs: list[tuple[str, str]] = []
        for cells in csv.reader(io.StringIO(text), delimiter=delimiter):
            cells = [c.strip() for c in cells if c.strip()]
            if len(cells) >= 2 and (pairs or any(ch.isdigit() for ch in cells[0] + cells[1])):
                pairs.append((cells[0], cells[1]))
        return pairs
    document = yaml.safe_load(text)
    if isinstance(document, dict):
        return [(str(k).strip(), str(v).strip()) for k, v in document.items()]
    if isinstance(document, list):
        pairs = []
        for item in document:
            if isinstance(item, dict) and {"old", "new"} <= set(item):
                pairs.append((str(item["old"]).strip(), str(item["new"]).strip()))
            else:
                pairs.append(parse_move(str(item)))
        return pairs
    raise UnitsFileError(f"{path}: expected OLD: NEW lines, a list of OLD=NEW, or CSV rows")


@dataclass
class Dependants:
    """How many rows point to one unit, by what kind of row."""

    users: int = 0
    practices: int = 0
    adoptions: int = 0
    announcements: int = 0
    reviewers: int = 0

    def total(self) -> int:
        """Return how many rows in all."""
        return self.users + self.practices + self.adoptions + self.announcements + self.reviewers

    def __str__(self) -> str:
        parts = [
            f"{count} {name}"
            for name, count in (
                ("users", self.users),
                ("practices", self.practices),
                ("adoptions", self.adoptions),
                ("announcements", self.announcements),
                ("reviewer grants", self.reviewers),
            )
            if count
        ]
        return ", ".join(parts)


@dataclass
class UnitsChange:
    """What an import of units did (or would do)."""

    added: int
    updated: int
    removed: int
    khoroos_added: int = 0
    khoroos_removed: int = 0
    moved: list[tuple[str, Dependants]] = field(default_factory=list)


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

    async def district_by_code(self, code: str) -> District | None:
        """Return one district, by its code, with its khoroos."""
        result = await self.session.scalars(
            select(District).options(selectinload(District.khoroos)).where(District.code == code)
        )
        return result.first()

    async def count(self) -> int:
        """Return how many districts there are."""
        return int(await self.session.scalar(select(func.count(District.id))) or 0)

    async def dependants(self) -> dict[tuple[int, int | None], Dependants]:
        """Count what points to each (district id, khoroo number or None)."""
        counts: dict[tuple[int, int | None], Dependants] = {}

        def at(district_id: int, number: int | None) -> Dependants:
            return counts.setdefault((district_id, number), Dependants())

        for model, name in ((User, "users"), (Practice, "practices"), (Adoption, "adoptions")):
            query = (
                select(model.district_id, model.khoroo_number, func.count())
                .where(model.district_id.is_not(None))
                .group_by(model.district_id, model.khoroo_number)
            )
            for district_id, number, count in await self.session.execute(query):
                entry = at(district_id or 0, number)
                setattr(entry, name, getattr(entry, name) + count)
        grants = select(RoleGrant.district_id, func.count()).where(
            RoleGrant.district_id.is_not(None)
        )
        for district_id, count in await self.session.execute(
            grants.group_by(RoleGrant.district_id)
        ):
            at(district_id or 0, None).reviewers += count
        for announcement in await self.session.scalars(select(Announcement)):
            for district_id, number in _audience_places(announcement.audience):
                at(district_id, number).announcements += 1
        return counts

    async def replace(
        self,
        specs: Iterable[UnitSpec],
        moves: Iterable[tuple[str, str]] = (),
        *,
        actor_id: int | None = None,
        audit: bool = True,
    ) -> UnitsChange:
        """Make the stored units equal to the list, moving dependants as the mapping says.

        Raises UnitsInUse, naming each unit and what depends on it, when a unit to be
        removed still has dependants after the moves; nothing is changed then.
        """
        specs = list(specs)
        current = list(await self.districts())
        by_code = {d.code: d for d in current}
        wanted = {s.code: s for s in specs}
        resolved = _resolve_moves(moves, current, specs)
        counts = await self.dependants()
        relocate = _relocation(resolved)
        # What would be left pointing to a removed unit once the moves are applied.
        orphans: list[str] = []
        for (district_id, number), entry in sorted(
            counts.items(), key=lambda i: (i[0][0], i[0][1] or 0)
        ):
            district = next((d for d in current if d.id == district_id), None)
            if district is None or not entry.total():
                continue
            target = relocate(district.code, number)
            if _exists(target, wanted):
                continue
            orphans.append(f"  {_place((district.code, number))}: {entry}")
        if orphans:
            raise UnitsInUse(
                "the new units would orphan these (map each to a unit of the new list, "
                "e.g. --map bayanzurkh:12=bayanzurkh:13):\n" + "\n".join(orphans)
            )
        _check_targets(resolved, wanted)
        gone_khoroos = sum(
            1
            for spec in specs
            for k in (by_code[spec.code].khoroos if spec.code in by_code else ())
            if k.number > spec.khoroos
        )
        change = await self._upsert(specs, by_code)
        await self.session.flush()
        ids = {d.code: d.id for d in await self.districts()}
        change.moved = await self._move(resolved, by_code, ids)
        for spec in specs:
            await self.session.execute(
                delete(Khoroo).where(
                    Khoroo.district_id == ids[spec.code], Khoroo.number > spec.khoroos
                )
            )
        removed = [d for code, d in by_code.items() if code not in wanted]
        for gone in removed:
            gone_khoroos += len(gone.khoroos)
            await self.session.execute(delete(District).where(District.id == gone.id))
        change.removed, change.khoroos_removed = len(removed), gone_khoroos
        self.session.expire_all()
        await self.session.flush()
        if not audit:  # loading the seed on a first start is nobody's privileged action
            return change
        AuditLog(self.session).record(
            actor_id,
            "units.import",
            f"{len(specs)} units",
            added=change.added,
            updated=change.updated,
            removed=change.removed,
            khoroos_added=change.khoroos_added,
            khoroos_removed=change.khoroos_removed,
            moves=[{"move": move, "moved": str(entry)} for move, entry in change.moved],
        )
        return change

    async def _upsert(self, specs: list[UnitSpec], by_code: dict[str, District]) -> UnitsChange:
        added = updated = khoroos_added = 0
        for position, spec in enumerate(specs):
            district = by_code.get(spec.code)
            if district is None:
                district = District(code=spec.code, name_mn=spec.name_mn, name_en=spec.name_en)
                district.khoroos = []
                self.session.add(district)
                added += 1
            elif (
                district.name_mn,
                district.name_en,
                len(district.khoroos),
                district.kind,
                tuple(district.aliases or ()),
            ) != (spec.name_mn, spec.name_en, spec.khoroos, spec.kind, spec.aliases):
                updated += 1
            district.name_mn, district.name_en, district.position = (
                spec.name_mn,
                spec.name_en,
                position,
            )
            district.kind, district.aliases = spec.kind, list(spec.aliases)
            have = {k.number: k for k in district.khoroos}
            for number in range(1, spec.khoroos + 1):
                khoroo = have.get(number)
                if khoroo is None:
                    khoroo = Khoroo(number=number)
                    district.khoroos.append(khoroo)
                    khoroos_added += 1
                names = spec.names[number - 1] if spec.names else (None, None)
                khoroo.name_mn, khoroo.name_en = names
        return UnitsChange(added=added, updated=updated, removed=0, khoroos_added=khoroos_added)

    async def _move(
        self,
        moves: list[Move],
        by_code: dict[str, District],
        ids: dict[str, int],
    ) -> list[tuple[str, Dependants]]:
        """Point every row at a moved unit to its new place, all moves at once."""
        if not moves:
            return []
        relocate = _relocation(moves)
        sources = {by_code[m.source[0]].id: m.source[0] for m in moves}
        by_source = {m.source: m for m in moves}
        moved: dict[str, Dependants] = {}

        def target(district_id: int, number: int | None) -> tuple[int, int | None, str] | None:
            code = sources.get(district_id)
            if code is None:
                return None
            place = relocate(code, number)
            if place == (code, number):
                return None
            move = by_source.get((code, number)) or by_source[(code, None)]
            return ids[place[0]], place[1], str(move)

        adoptions = (await self.session.scalars(select(Adoption))).all()
        final = Counter(
            (
                a.practice_id,
                *(target(a.district_id, a.khoroo_number) or (a.district_id, a.khoroo_number))[:2],
            )
            for a in adoptions
        )
        clashes = sorted({key[0] for key, count in final.items() if count > 1})
        if clashes:
            raise UnitsInUse(
                "the mapping would give one khoroo two adoptions of the same practice "
                f"(practice ids {clashes}); map those khoroos elsewhere"
            )
        for model, name in ((User, "users"), (Practice, "practices"), (Adoption, "adoptions")):
            rows = await self.session.scalars(
                select(model).where(model.district_id.in_(list(sources)))
            )
            row: Any
            for row in rows.all():
                new = target(row.district_id, row.khoroo_number)
                if new is None:
                    continue
                row.district_id, row.khoroo_number = new[0], new[1]
                entry = moved.setdefault(new[2], Dependants())
                setattr(entry, name, getattr(entry, name) + 1)
        grants = await self.session.scalars(
            select(RoleGrant).where(RoleGrant.district_id.in_(list(sources)))
        )
        for grant in grants.all():
            new = target(grant.district_id or 0, None)
            if new is None:
                continue
            duplicate = await self.session.scalar(
                select(RoleGrant.id).where(
                    RoleGrant.user_id == grant.user_id,
                    RoleGrant.role == grant.role,
                    RoleGrant.district_id == new[0],
                )
            )
            if duplicate is not None:  # the same grant already exists at the target
                await self.session.delete(grant)
            else:
                grant.district_id = new[0]
            moved.setdefault(new[2], Dependants()).reviewers += 1
        for announcement in (await self.session.scalars(select(Announcement))).all():
            audience = dict(announcement.audience or {})
            touched = False
            if audience.get("kind") == "districts":
                new_ids = []
                for district_id in audience.get("ids", []):
                    new = target(int(district_id), None)
                    new_ids.append(new[0] if new else int(district_id))
                    if new:
                        touched = True
                        moved.setdefault(new[2], Dependants()).announcements += 1
                audience["ids"] = list(dict.fromkeys(new_ids))
            elif audience.get("kind") == "khoroos":
                pairs = []
                for district_id, number in audience.get("khoroos", []):
                    new = target(int(district_id), int(number))
                    pairs.append([new[0], new[1]] if new else [int(district_id), int(number)])
                    if new:
                        touched = True
                        moved.setdefault(new[2], Dependants()).announcements += 1
                audience["khoroos"] = [list(p) for p in dict.fromkeys(map(tuple, pairs))]
            if touched:
                announcement.audience = audience
        await self.session.flush()
        return sorted(moved.items())


def _audience_places(audience: dict[str, Any] | None) -> list[tuple[int, int | None]]:
    audience = audience or {}
    if audience.get("kind") == "districts":
        return [(int(i), None) for i in audience.get("ids", [])]
    if audience.get("kind") == "khoroos":
        return [(int(d), int(n)) for d, n in audience.get("khoroos", [])]
    return []


def _resolve_moves(
    moves: Iterable[tuple[str, str]], current: Sequence[District], specs: Sequence[UnitSpec]
) -> list[Move]:
    """Turn "OLD", "NEW" texts into places: OLD among today's units, NEW in the new list."""
    old_units, new_units = unit_matcher(current), unit_matcher(specs)
    resolved = []
    for old, new in moves:
        source = _resolve_place(old, old_units, "today's units")
        target = _resolve_place(new, new_units, "the new list")
        if (source[1] is None) != (target[1] is None):
            raise UnitsFileError(
                f"mapping {old}={new}: map a khoroo to a khoroo, or a district to a district"
            )
        resolved.append(Move(source, target))
    if len({m.source for m in resolved}) != len(resolved):
        raise UnitsFileError("the mapping names a unit twice")
    return resolved


def _resolve_place(text: str, matcher: LabelMatcher, where: str) -> Place:
    # "bayanzurkh:12", "Баянзүрх 12", "БЗД:12-р хороо", or a district alone.
    found = re.fullmatch(r"(.*?)[\s:]+(\d+)\D*", text.strip())
    name, number = (found.group(1), int(found.group(2))) if found else (text, None)
    match = matcher.match(name)
    if match is None:
        raise UnitsFileError(f"mapping: {name!r} is not a district in {where}")
    return match.id, number


def _relocation(moves: Sequence[Move]) -> Callable[[str, int | None], Place]:
    """Return a function from a place to where the moves put it (itself when not moved)."""
    khoroo_moves = {m.source: m.target for m in moves if m.source[1] is not None}
    district_moves = {m.source[0]: m.target[0] for m in moves if m.source[1] is None}

    def relocate(code: str, number: int | None) -> Place:
        if number is not None and (code, number) in khoroo_moves:
            return khoroo_moves[(code, number)]
        if code in district_moves:
            return district_moves[code], number
        return code, number

    return relocate


def _exists(place: Place, wanted: dict[str, UnitSpec]) -> bool:
    spec = wanted.get(place[0])
    return spec is not None and (place[1] is None or 1 <= place[1] <= spec.khoroos)


def _check_targets(moves: Sequence[Move], wanted: dict[str, UnitSpec]) -> None:
    for move in moves:
        if not _exists(move.target, wanted):
            raise UnitsFileError(f"mapping {move}: {_place(move.target)} is not in the new list")
