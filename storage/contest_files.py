"""Contest calendar files.

``khoroo-bot contest import FILE`` reads a YAML or JSON list of stages; dates are Ulaanbaatar
time, written as in the bot ("2026-03-01", "2026.03.01 09:00"), and stored in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from knowledge.contest import Criterion
from storage.contest import KINDS, StageSpec
from storage.localtime import TIMEZONE, local_year, parse_moment

NAME_LIMIT = 200


class CalendarFileError(ValueError):
    """A contest calendar file cannot be read; the message names the record and the field."""


def read_stages(path: Path) -> list[StageSpec]:
    """Read stages from a YAML or JSON list of {name_mn, name_en, kind, starts_at, ends_at}.

    Dates are Ulaanbaatar time, written as in the bot ("2026-03-01", "2026.03.01 09:00");
    an end without a time means the end of that day.
    """
    try:
        records = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CalendarFileError(f"{path}: {error}") from error
    if isinstance(records, dict):
        # A file may give only the judging of a year (see read_judging).
        records = records.get("stages", [] if "judging" in records else None)
    if not isinstance(records, list):
        raise CalendarFileError(f"{path}: expected a list of stages")
    specs = []
    for number, record in enumerate(records, 1):
        if not isinstance(record, dict):
            raise CalendarFileError(f"stage {number}: expected an object")
        specs.append(_stage_record(number, record))
    return specs


def _stage_record(number: int, record: dict[str, Any]) -> StageSpec:
    names = {}
    for field in ("name_mn", "name_en"):
        value = str(record.get(field) or "").strip()
        if not value or len(value) > NAME_LIMIT:
            raise CalendarFileError(f"stage {number}: {field} is missing or too long")
        names[field] = value
    kind = str(record.get("kind") or "other")
    if kind not in KINDS:
        raise CalendarFileError(f"stage {number}: kind must be one of {', '.join(KINDS)}")
    starts = _moment(number, record, "starts_at", end_of_day=False)
    ends = _moment(number, record, "ends_at", end_of_day=True)
    if ends <= starts:
        raise CalendarFileError(f"stage {number}: ends_at must be after starts_at")
    return StageSpec(
        names["name_mn"], names["name_en"], kind, starts, ends, year=local_year(starts)
    )


def _moment(number: int, record: dict[str, Any], field: str, *, end_of_day: bool) -> datetime:
    value = record.get(field)
    if isinstance(value, datetime):  # YAML reads "2026-03-01 09:00:00" itself
        local = value if value.tzinfo else value.replace(tzinfo=TIMEZONE)
        return local.astimezone(UTC)
    if isinstance(value, date):
        value = value.isoformat()
    try:
        return parse_moment(str(value or ""), end_of_day=end_of_day)
    except ValueError:
        raise CalendarFileError(
            f"stage {number}: {field} {value!r} is not a date like 2026-03-01 or 2026.03.01 09:00"
        ) from None


@dataclass(frozen=True)
class JudgingSpec:
    """A year's judging as the contest file gives it: settings per level and the rubric."""

    year: int
    settings: dict[str, dict[str, Any]]  # level -> {top_n, peer_share, normalise, blind}
    rubric: list[Criterion] | None  # None: keep the year's rubric (or the default)


def read_judging(path: Path) -> list[JudgingSpec]:
    """Read the optional `judging` list of a contest file (a file of stages only has none).

    Each item: `year`, then optionally `district` and `capital` ({top_n, peer_share,
    normalise, blind}) and `rubric` (a list of {code, name_mn, name_en, description_mn,
    description_en, weight}; every criterion is scored 1 to 5).
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CalendarFileError(f"{path}: {error}") from error
    if not isinstance(document, dict) or document.get("judging") is None:
        return []
    items = document["judging"]
    if not isinstance(items, list):
        raise CalendarFileError(f"{path}: judging must be a list of years")
    specs = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise CalendarFileError(f"judging {number}: expected an object")
        specs.append(_judging_record(number, item))
    return specs


SETTINGS = {"top_n": int, "peer_share": int, "normalise": bool, "blind": bool}
LEVEL_NAMES = ("district", "capital")
CODE_LIMIT = 40


def _judging_record(number: int, item: dict[str, Any]) -> JudgingSpec:
    year = item.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise CalendarFileError(f"judging {number}: year must be a year like 2026")
    unknown = set(item) - {"year", "rubric", *LEVEL_NAMES}
    if unknown:
        raise CalendarFileError(f"judging {number}: unknown fields {sorted(unknown)}")
    settings: dict[str, dict[str, Any]] = {}
    for level in LEVEL_NAMES:
        given = item.get(level)
        if given is None:
            continue
        if not isinstance(given, dict) or set(given) - set(SETTINGS):
            raise CalendarFileError(f"judging {number}: {level} takes only {', '.join(SETTINGS)}")
        for key, value in given.items():
            kind = SETTINGS[key]
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise CalendarFileError(f"judging {number}: {level}.{key} must be {kind.__name__}")
        settings[level] = dict(given)
    rubric = None
    if item.get("rubric") is not None:
        if not isinstance(item["rubric"], list) or not item["rubric"]:
            raise CalendarFileError(f"judging {number}: rubric must be a list of criteria")
        rubric = [_criterion(number, place, c) for place, c in enumerate(item["rubric"], 1)]
        codes = [c.code for c in rubric]
        if len(set(codes)) != len(codes):
            raise CalendarFileError(f"judging {number}: rubric codes repeat")
    return JudgingSpec(year, settings, rubric)


def _criterion(number: int, place: int, record: Any) -> Criterion:
    where = f"judging {number}, criterion {place}"
    if not isinstance(record, dict):
        raise CalendarFileError(f"{where}: expected an object")
    code = str(record.get("code") or "").strip()
    if not code or len(code) > CODE_LIMIT or not code.replace("_", "").isalnum():
        raise CalendarFileError(f"{where}: code must be letters, digits and _ (up to 40)")
    texts = {}
    for field in ("name_mn", "name_en", "description_mn", "description_en"):
        value = " ".join(str(record.get(field) or "").split())  # one line
        if len(value) > NAME_LIMIT or (field.startswith("name") and not value):
            raise CalendarFileError(f"{where}: {field} is missing or too long")
        texts[field] = value
    weight = record.get("weight")
    if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 100:
        raise CalendarFileError(f"{where}: weight must be a whole number from 1 to 100")
    return Criterion(
        code,
        texts["name_mn"],
        texts["name_en"],
        texts["description_mn"],
        texts["description_en"],
        weight,
    )
