"""The labelled practice set and query set, as the search test and benchmark read them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from knowledge.search import SearchDocument

DATA = Path(__file__).resolve().parents[1] / "data"


def load(name: str) -> list[dict[str, Any]]:
    """Read a JSONL file from tests/data."""
    with (DATA / name).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def to_document(record: dict[str, Any]) -> SearchDocument:
    """Turn a practice record into what the index takes."""
    return SearchDocument(
        id=record["id"],
        title=record["title"],
        problem=record["problem"],
        solution=record["solution"],
        results=record["results"],
        tags=tuple(record.get("tags", ())),
        district=record.get("district"),
        category=record.get("category"),
        status=record.get("status"),
        year=record.get("year"),
        khoroo=record.get("khoroo"),
    )
