"""A full backup as one JSON file, and its restore into an empty database.

Every table is included except transient machinery and people's own words: update ids,
conversation states (drafts in progress), questions asked of the FAQ, and messages relayed
between officers. New tables are included automatically.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Integer, Table, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base

FORMAT = "khoroo-bot-backup"
VERSION = 1
PRIVATE_OR_TRANSIENT = frozenset(
    {"processed_updates", "conversation_states", "faq_questions", "author_messages"}
)
# Seeded on first start, so an 'empty' database has them; the backup's replace them.
SEEDED = ("khoroos", "districts")


class BackupError(ValueError):
    """The file is not a backup, or the database is not empty; the message says which."""


def tables() -> list[Table]:
    """Return the tables a backup holds, parents before children."""
    return [t for t in Base.metadata.sorted_tables if t.name not in PRIVATE_OR_TRANSIENT]


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _decode(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    decoded = {}
    if table.name == "users" and "role" in row and "position" not in row:
        row = {**row, "position": row["role"]}  # a backup from before positions (0900)
    for name, value in row.items():
        column = table.columns.get(name)
        if column is None:
            continue  # a column dropped since the backup was made
        kind = getattr(column.type, "impl", column.type)
        if value is not None and isinstance(kind, DateTime):
            value = datetime.fromisoformat(value)
        decoded[name] = value
    return decoded


async def export_all(session: AsyncSession) -> dict[str, Any]:
    """Return every table's rows as a backup document (JSON-ready)."""
    content: dict[str, list[dict[str, Any]]] = {}
    for table in tables():
        order = list(table.primary_key.columns)
        rows = (await session.execute(select(table).order_by(*order))).mappings().all()
        content[table.name] = [{k: _encode(v) for k, v in row.items()} for row in rows]
    return {"format": FORMAT, "version": VERSION, "tables": content}


def write_backup(path: Path, document: dict[str, Any]) -> int:
    """Write a backup document to a file; return how many rows it holds."""
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return sum(len(rows) for rows in document["tables"].values())


def read_backup(path: Path) -> dict[str, Any]:
    """Read a backup file, refusing anything that is not one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{path}: not a readable JSON backup ({error})") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"{path}: not a khoroo-bot backup")
    return document


async def import_all(session: AsyncSession, document: dict[str, Any]) -> dict[str, int]:
    """Restore a backup into a database that holds nothing but the seeded units."""
    for table in tables():
        if table.name in SEEDED:
            continue
        if await session.scalar(select(func.count()).select_from(table)):
            raise BackupError(f"the database is not empty: table {table.name} has rows")
    for name in SEEDED:
        await session.execute(delete(Base.metadata.tables[name]))
    counts = {}
    content = document.get("tables", {})
    for table in tables():
        rows = [_decode(table, row) for row in content.get(table.name, [])]
        if rows:
            await session.execute(insert(table), rows)
        counts[table.name] = len(rows)
    if session.get_bind().dialect.name == "postgresql":
        await _advance_sequences(session)
    return counts


async def _advance_sequences(session: AsyncSession) -> None:
    # Rows came with their ids; move each id sequence past them so new rows don't collide.
    for table in tables():
        key = list(table.primary_key.columns)
        if len(key) == 1 and isinstance(key[0].type, Integer) and key[0].autoincrement is not False:
            await session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key[0].name}'), "
                    f"COALESCE((SELECT MAX({key[0].name}) FROM {table.name}), 0) + 1, false)"
                )
            )
