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
        records = records.get("stages")
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
    """Read the optional `judging` list of a contest file (a file of stages only has none)."""
    raise NotImplementedError
