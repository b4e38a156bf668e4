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

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Integer,
    String,
    Table,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.clean import clean_text
from storage import fields
from storage.models import Base

FORMAT = "khoroo-bot-backup"
VERSION = 1
PRIVATE_OR_TRANSIENT = frozenset(
    {"processed_updates", "conversation_states", "faq_questions", "author_messages"}
)
# Seeded on first start, so an 'empty' database has them; the backup's replace them.
SEEDED = ("khoroos", "districts")
# A backup without these is broken; a table added to the program after the backup was
# made is simply empty in it.
REQUIRED = ("districts", "khoroos", "users", "practices")


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
        elif isinstance(value, str):
            value = clean_text(value)  # PostgreSQL refuses U+0000 in text
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
    """Read a backup file, refusing anything that is not one with one line saying why."""
    try:
        return check_backup(_parse(path.read_bytes()))
    except BackupError as error:
        raise BackupError(f"{path.name}: {error}") from None


class _RepeatedKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _RepeatedKey(key)
        document[key] = value
    return document


def _parse(data: bytes) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise BackupError(f"line {line}: not valid UTF-8") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise BackupError(f"line {error.lineno}: not valid JSON: {error.msg}") from None
    except RecursionError:
        raise BackupError("not a backup: JSON nested too deeply") from None
    except _RepeatedKey as error:
        raise BackupError(f"the key {error.args[0]!r} appears twice in one object") from None


def check_backup(document: Any) -> dict[str, Any]:
    """Check a decoded backup all through, so a restore fails before it writes anything."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f'not a khoroo-bot backup (no "format": "{FORMAT}")')
    if document.get("version") != VERSION:
        raise BackupError(
            f"backup version {document.get('version')!r} is not one this program reads ({VERSION})"
        )
    content = document.get("tables")
    if not isinstance(content, dict):
        raise BackupError('no "tables" object')
    known = {table.name: table for table in tables()}
    for name in content:
        if name not in known:
            raise BackupError(f"table {name!r} is not one this program knows")
    for name in REQUIRED:
        if name not in content:
            raise BackupError(f"table {name!r} is missing")
    referenced = {
        (key.column.table.name, key.column.name)
        for table in tables()
        for column in table.columns
        for key in column.foreign_keys
    }
    keys: dict[tuple[str, str], set[Any]] = {}  # (table, column) -> values, for references
    for table in tables():
        rows = content.get(table.name, [])
        if not isinstance(rows, list):
            raise BackupError(f"table {table.name}: a list of rows expected")
        for column in table.columns:
            if (table.name, column.name) in referenced:
                keys[(table.name, column.name)] = {
                    row.get(column.name)
                    for row in rows
                    if isinstance(row, dict) and isinstance(row.get(column.name), int | str)
                }
    for table in tables():
        _check_rows(table, content.get(table.name, []), keys)
    return document


def _check_rows(table: Table, rows: list[Any], keys: dict[tuple[str, str], set[Any]]) -> None:
    unique = [tuple(c.name for c in table.primary_key.columns)]
    unique += [(c.name,) for c in table.columns if c.unique]
    unique += [
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    seen: dict[tuple[str, ...], set[tuple[Any, ...]]] = {names: set() for names in unique}
    limits = fields.COLUMNS.get(table.name, {})
    for number, row in enumerate(rows, start=1):
        where = f"table {table.name}, row {number}"
        if not isinstance(row, dict):
            raise BackupError(f"{where}: an object expected")
        for column in table.columns:
            reason = _wrong(column, row)
            value = row.get(column.name)
            if reason is None and isinstance(value, str) and column.name in limits:
                reason = fields.too_long(column.name, value, limits[column.name])
            if reason is not None:
                raise BackupError(f"{where}: {reason}")
        for names, values in seen.items():
            combination = tuple(row.get(name) for name in names)
            if None in combination:
                continue  # NULLs never clash
            if combination in values:
                shown = _shown(combination)
                raise BackupError(f"{where}: {', '.join(names)} {shown} repeats")
            values.add(combination)
        for column in table.columns:
            for key in column.foreign_keys:
                value = row.get(column.name)
                target = (key.column.table.name, key.column.name)
                if value is not None and value not in keys.get(target, set()):
                    raise BackupError(
                        f"{where}: {column.name} {value!r} names no row of {target[0]}"
                    )


def _shown(value: tuple[Any, ...]) -> str:
    return repr(value[0]) if len(value) == 1 else repr(value)


def _wrong(column: Any, row: dict[str, Any]) -> str | None:
    """Say what is wrong with a row's value for a column, or None."""
    if column.name not in row:
        required = not column.nullable and column.default is None
        required = required and column.server_default is None and not _generated(column)
        return f"column {column.name} is missing" if required else None
    value = row[column.name]
    if value is None:
        if column.nullable or _generated(column):
            return None
        return f"column {column.name} cannot be empty"
    kind = getattr(column.type, "impl", column.type)
    if isinstance(kind, Boolean):
        fits = isinstance(value, bool)
    elif isinstance(kind, Integer):
        fits = isinstance(value, int) and not isinstance(value, bool)
        bits = 63 if isinstance(kind, BigInteger) else 31
        if fits and not -(2**bits) <= value < 2**bits:
            return f"column {column.name} is out of range ({value})"
    elif isinstance(kind, DateTime):
        fits = isinstance(value, str) and _is_time(value)
    elif isinstance(kind, String):  # Text too
        fits = isinstance(value, str)
        length = getattr(kind, "length", None)
        if fits and length is not None and len(value) > length:
            return f"{column.name} is longer than {length} characters ({len(value)})"
    else:
        fits = True  # JSON holds anything
    if not fits:
        expected = {Boolean: "true or false", Integer: "a whole number", DateTime: "a time"}
        want = next((v for k, v in expected.items() if isinstance(kind, k)), "text")
        return f"column {column.name} must be {want}, not {_brief(value)}"
    return None


def _generated(column: Any) -> bool:
    return bool(column.primary_key and column.autoincrement in (True, "auto"))


def _is_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _brief(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


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
    content = check_backup(document)["tables"]
    for table in tables():
        rows = [_decode(table, row) for row in content.get(table.name, [])]
        if rows:
            try:
                await session.execute(insert(table), rows)
            except DBAPIError as error:  # a rule only the database knows: nothing is kept
                raise BackupError(
                    f"table {table.name}: the database refused the rows ({_first_line(error)})"
                ) from None
        counts[table.name] = len(rows)
    if session.get_bind().dialect.name == "postgresql":
        await _advance_sequences(session)
    return counts


def _first_line(error: DBAPIError) -> str:
    return " ".join(str(error.orig).split())[:200]


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
