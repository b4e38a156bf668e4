"""Practice files: read JSONL, JSON, CSV or XLSX records, upsert them, and export them back.

A record has ``id``, ``title``, ``district`` (a code, or its Mongolian or English name),
``khoroo``, ``category``, ``problem``, ``solution``, ``results``, ``year``, ``status`` and
optionally ``resources``, ``partners``, ``contact`` and ``tags``. A malformed record is
refused with its line (row) number and the reason; the rest of the file is still applied.
Export writes the same fields, so an export imports back without loss.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.clean import clean_name, clean_text
from storage import csv_safe, fields
from storage.adoptions import Adoptions
from storage.models import Adoption, District, Practice
from storage.practices import CATEGORIES, STATUSES, Practices, stage_for
from storage.units import Units

FIELDS = (
    "id",
    "title",
    "district",
    "khoroo",
    "category",
    "problem",
    "solution",
    "results",
    "year",
    "status",
    "resources",
    "partners",
    "contact",
    "tags",
    # Export only (an import ignores them): how many khoroos adopted the practice, their
    # average rating, and each evaluation.
    "adoptions",
    "rating",
    "evaluations",
)
REQUIRED = ("id", "title", "district", "khoroo", "category", "problem", "solution", "results")
TEXTS = ("title", "problem", "solution", "results", "resources", "partners", "contact")
OPTIONAL_TEXTS = ("resources", "partners", "contact")
IMPORTABLE_STATUSES = tuple(s for s in STATUSES if s != "draft")
FORMATS = ("jsonl", "csv", "xlsx")
TAG_SEPARATOR = "; "
# Every way in checks the same limits (storage/fields.py); a record over one is refused.
LIMITS = {"id": fields.EXTERNAL_ID, **fields.PRACTICE}
# What one file may hold: more is refused before anything is read into the database, so a
# spreadsheet that expands to millions of rows (or a zip bomb) costs neither time nor memory.
MAX_ROWS = 20_000
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_XLSX_BYTES = 50 * 1024 * 1024  # uncompressed
MAX_COLUMNS = 64


class PracticeFileError(ValueError):
    """The file cannot be read at all (not one of the supported formats, or broken JSON)."""


@dataclass(frozen=True)
class Row:
    """One record of a file, with the line (or spreadsheet row) it starts on."""

    line: int
    values: Any


@dataclass
class ImportReport:
    """What an import did, line by line."""

    added: list[tuple[int, str]] = field(default_factory=list)
    updated: list[tuple[int, str]] = field(default_factory=list)
    unchanged: list[tuple[int, str]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def read_rows(path: Path) -> list[Row]:
    """Read the records of a file, choosing the format by extension (and content for JSON).

    A file that cannot be read as a whole (not UTF-8, broken JSON nesting, a CSV cell past
    the reader's limit, not a workbook, too many rows) raises PracticeFileError with one
    line that names the problem and where it is; nothing has been stored then.
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            return _xlsx_rows(path)
        if suffix not in (".csv", ".json", ".jsonl", ".ndjson", ".txt", ""):
            raise PracticeFileError("use a .jsonl, .json, .csv or .xlsx file")
        text = _utf8(path)
        if suffix == ".csv":
            return _csv_rows(text)
        if text.lstrip().startswith("["):
            return _json_array_rows(text)
        return _jsonl_rows(text)
    except PracticeFileError as error:
        raise PracticeFileError(f"{path.name}: {error}") from None


def _utf8(path: Path) -> str:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise PracticeFileError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise PracticeFileError(
            f"line {line}: not valid UTF-8 (byte 0x{data[error.start]:02x}); save the file as UTF-8"
        ) from None


def _counted(rows: list[Row], line: int) -> None:
    if len(rows) >= MAX_ROWS:
        raise PracticeFileError(f"line {line}: more than {MAX_ROWS} records; split the file")


def _jsonl_rows(text: str) -> list[Row]:
    rows: list[Row] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        _counted(rows, number)
        try:
            rows.append(Row(number, json.loads(line)))
        except json.JSONDecodeError as error:
            rows.append(Row(number, _Broken(f"not valid JSON: {error.msg}")))
        except RecursionError:
            raise PracticeFileError(f"line {number}: JSON nested too deeply") from None
    return rows


def _json_array_rows(text: str) -> list[Row]:
    # Decode element by element to know the line each record starts on.
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    rows: list[Row] = []
    while True:
        position = _skip(text, position, " \t\r\n")
        if position >= len(text) or text[position] == "]":
            return rows
        line = text.count("\n", 0, position) + 1
        _counted(rows, line)
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise PracticeFileError(f"line {error.lineno}: not valid JSON: {error.msg}") from None
        except RecursionError:
            raise PracticeFileError(f"line {line}: JSON nested too deeply") from None
        rows.append(Row(line, value))
        position = _skip(text, position, " \t\r\n")
        if position < len(text) and text[position] == ",":
            position += 1


def _skip(text: str, position: int, characters: str) -> int:
    while position < len(text) and text[position] in characters:
        position += 1
    return position


def _csv_rows(text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[Row] = []
    start = 2  # the header is line 1
    try:
        for record in reader:
            _counted(rows, start)
            # Our export prefixes formula-like cells with an apostrophe (storage/csv_safe.py).
            values = {
                k: csv_safe.restore(v) if isinstance(v, str) else v for k, v in record.items()
            }
            rows.append(Row(start, values))
            start = reader.line_num + 1  # a quoted value may span several lines
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            reason = f"a cell is longer than {csv.field_size_limit()} characters"
        else:
            reason = f"not valid CSV ({error})"
        raise PracticeFileError(f"line {start}: {reason}") from None  # the record's first line
    return rows


def _xlsx_rows(path: Path) -> list[Row]:
    _check_workbook(path)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a malformed workbook
        raise PracticeFileError(f"not a readable XLSX workbook ({_one_line(error)})") from None
    try:
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        header = [str(cell).strip() if cell is not None else "" for cell in next(lines, ())]
        rows: list[Row] = []
        for number, cells in enumerate(lines, start=2):
            if number > MAX_ROWS + 1:  # empty rows count too: a sheet may claim millions
                raise PracticeFileError(f"row {number}: more than {MAX_ROWS} rows; split the file")
            if all(cell in (None, "") for cell in cells):
                continue
            rows.append(Row(number, dict(zip(header, cells, strict=False))))
        return rows
    except PracticeFileError:
        raise
    except Exception as error:
        raise PracticeFileError(f"not a readable XLSX workbook ({_one_line(error)})") from None
    finally:
        workbook.close()


def _check_workbook(path: Path) -> None:
    """Refuse what is not a workbook, or expands past MAX_XLSX_BYTES, before parsing it."""
    if not zipfile.is_zipfile(path):
        raise PracticeFileError("not an XLSX workbook: the file is not a zip archive")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as error:
        raise PracticeFileError(f"not a readable XLSX workbook ({_one_line(error)})") from None
    if "xl/workbook.xml" not in {entry.filename for entry in entries}:
        raise PracticeFileError("not an XLSX workbook: the zip archive holds no xl/workbook.xml")
    # Python's zipfile stops at each member's declared size, so this sum bounds the work.
    expanded = sum(entry.file_size for entry in entries)
    if expanded > MAX_XLSX_BYTES:
        raise PracticeFileError(
            f"the workbook expands to {expanded // 2**20} MB; "
            f"the limit is {MAX_XLSX_BYTES // 2**20} MB"
        )


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]


@dataclass(frozen=True)
class _Broken:
    """A line that could not even be decoded; the reason is reported for it."""

    reason: str


class _Refused(ValueError):
    """A record breaks a rule; the message says which."""


@dataclass(frozen=True)
class Record:
    """A checked record, ready to be stored."""

    external_id: str
    values: dict[str, Any]


class Vocabulary:
    """What a record's names may refer to: districts by code or name, categories by id or label."""

    def __init__(
        self, districts: Sequence[District], category_names: Mapping[str, str] | None = None
    ) -> None:
        self.districts: dict[str, District] = {}
        for district in districts:
            for name in (district.code, district.name_mn, district.name_en):
                self.districts[name.casefold()] = district
        self.categories = {c: c for c in CATEGORIES}
        for name, category in (category_names or {}).items():
            self.categories[name.strip().casefold()] = category


def check(values: Any, vocabulary: Vocabulary) -> Record:
    """Check one record and return what to store, or raise _Refused with the reason."""
    if isinstance(values, _Broken):
        raise _Refused(values.reason)
    if not isinstance(values, Mapping):
        raise _Refused("a record must be an object with named fields")
    clean = {key.strip().lower(): value for key, value in values.items() if isinstance(key, str)}
    missing = [name for name in REQUIRED if _text(clean.get(name)) == ""]
    if missing:
        raise _Refused(f"missing {', '.join(missing)}")
    for name, limit in LIMITS.items():
        reason = fields.too_long(name, _text(clean.get(name)), limit)
        if reason is not None:
            raise _Refused(reason)
    district = vocabulary.districts.get(_text(clean["district"]).casefold())
    if district is None:
        raise _Refused(f"unknown district {_text(clean['district'])!r}")
    khoroo = _integer(clean["khoroo"], "khoroo")
    if not 1 <= khoroo <= len(district.khoroos):
        raise _Refused(f"{district.code} has khoroos 1 to {len(district.khoroos)}, not {khoroo}")
    category = vocabulary.categories.get(_text(clean["category"]).casefold())
    if category is None:
        raise _Refused(f"unknown category {_text(clean['category'])!r}; use one of {CATEGORIES}")
    status = _text(clean.get("status")).lower() or "approved"
    if status not in IMPORTABLE_STATUSES:
        raise _Refused(f"unknown status {status!r}; use one of {IMPORTABLE_STATUSES}")
    year = None
    if _text(clean.get("year")):
        year = _integer(clean["year"], "year")
        if not 1990 <= year <= 2100:
            raise _Refused(f"year {year} is not a plausible year")
    stored: dict[str, Any] = {name: _text(clean.get(name)) for name in TEXTS}
    stored["title"] = clean_name(stored["title"])  # shown to everybody: no disguises
    for name in OPTIONAL_TEXTS:
        stored[name] = stored[name] or None
    stored.update(
        district_id=district.id,
        khoroo_number=khoroo,
        category=category,
        status=status,
        stage=stage_for(status),
        year=year,
        tags=_checked_tags(clean.get("tags")),
    )
    return Record(clean_name(_text(clean["id"])), stored)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():  # spreadsheets turn 5 into 5.0
        value = int(value)
    return clean_text(str(value)).strip()  # no U+0000 (PostgreSQL refuses it) or controls


def _checked_tags(value: Any) -> list[str]:
    tags = [clean_name(tag) for tag in _tags(value)]
    if len(tags) > fields.TAGS:
        raise _Refused(f"more than {fields.TAGS} tags ({len(tags)})")
    for tag in tags:
        reason = fields.too_long("a tag", tag, fields.TAG)
        if reason is not None:
            raise _Refused(reason)
    return [tag for tag in tags if tag]


def _integer(value: Any, name: str) -> int:
    text = _text(value)
    try:
        return int(text)
    except ValueError:
        raise _Refused(f"{name} must be a whole number, not {text!r}") from None


def _tags(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [_text(tag) for tag in value if _text(tag)]
    text = _text(value)
    if text.startswith("["):
        try:
            return _tags(json.loads(text))
        except json.JSONDecodeError:
            pass
    return [tag.strip() for tag in text.split(";") if tag.strip()]


async def import_rows(
    session: AsyncSession,
    rows: Sequence[Row],
    *,
    category_names: Mapping[str, str] | None = None,
) -> ImportReport:
    """Upsert the records by external id; refuse malformed ones and repeated ids."""
    vocabulary = Vocabulary(await Units(session).districts(), category_names)
    repository = Practices(session)
    report = ImportReport()
    seen: dict[str, int] = {}
    for row in rows:
        try:
            record = check(row.values, vocabulary)
        except _Refused as refusal:
            report.refused.append((row.line, str(refusal)))
            continue
        if record.external_id in seen:
            report.refused.append(
                (row.line, f"id {record.external_id!r} repeats line {seen[record.external_id]}")
            )
            continue
        seen[record.external_id] = row.line
        practice = await repository.by_external_id(record.external_id)
        if practice is None:
            await repository.add(Practice(external_id=record.external_id, **record.values))
            report.added.append((row.line, record.external_id))
            continue
        changed = {k: v for k, v in record.values.items() if getattr(practice, k) != v}
        if not changed:
            report.unchanged.append((row.line, record.external_id))
            continue
        for name, value in changed.items():
            setattr(practice, name, value)
        report.updated.append((row.line, record.external_id))
    await session.flush()
    return report


def export_record(practice: Practice, adoptions: Sequence[Adoption] = ()) -> dict[str, Any]:
    """Return a practice as a file record: the fields an import reads, and its adoptions."""
    rated = [a for a in adoptions if a.rating is not None]
    return {
        "id": practice.external_id or f"bot-{practice.id}",
        "title": practice.title,
        "district": practice.district.code if practice.district else "",
        "khoroo": practice.khoroo_number,
        "category": practice.category,
        "problem": practice.problem,
        "solution": practice.solution,
        "results": practice.results,
        "year": practice.year,
        "status": practice.status,
        "resources": practice.resources,
        "partners": practice.partners,
        "contact": practice.contact,
        "tags": list(practice.tags or []),
        "adoptions": len(adoptions),
        "rating": round(sum(a.rating or 0 for a in rated) / len(rated), 2) if rated else None,
        "evaluations": [
            {
                "district": a.district.code,
                "khoroo": a.khoroo_number,
                "rating": a.rating,
                "change": a.change,
                "figures": a.figures,
                "evaluated_at": a.evaluated_at.date().isoformat() if a.evaluated_at else None,
            }
            for a in rated
        ],
    }


def write_records(records: Sequence[dict[str, Any]], fmt: str) -> bytes:
    """Write records as JSONL, CSV (UTF-8 with a BOM, for Excel) or XLSX."""
    if fmt == "jsonl":
        lines = (json.dumps(r, ensure_ascii=False) for r in records)
        return "".join(f"{line}\n" for line in lines).encode("utf-8")
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv_safe.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\r\n")
        writer.writeheader()
        for record in _flat(records):
            writer.writerow(record)
        return buffer.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        return _xlsx(records)
    raise PracticeFileError(f"unknown format {fmt!r}; use one of {FORMATS}")


def _flat(records: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for record in records:
        flat = {k: ("" if v is None else v) for k, v in record.items()}
        flat["tags"] = TAG_SEPARATOR.join(record["tags"])
        # One cell cannot hold a list of objects: JSON text keeps it readable and parseable.
        flat["evaluations"] = json.dumps(record["evaluations"], ensure_ascii=False)
        yield flat


def _xlsx(records: Sequence[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "practices"
    sheet.append(list(FIELDS))
    for record in _flat(records):
        sheet.append([record[name] for name in FIELDS])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            # A text starting with "=" is the officer's words, not a formula to evaluate.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def export_practices(session: AsyncSession, fmt: str) -> bytes:
    """Export every practice that is not a draft."""
    practices = [p for p in await Practices(session).all() if p.status != "draft"]
    adoptions: dict[int, list[Adoption]] = {}
    for adoption in await Adoptions(session).of_practices(p.id for p in practices):
        adoptions.setdefault(adoption.practice_id, []).append(adoption)
    return write_records([export_record(p, adoptions.get(p.id, [])) for p in practices], fmt)
