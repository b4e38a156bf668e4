"""Practice files: read JSONL, JSON, CSV or XLSX records, upsert them, and export them back.

A record has ``id``, ``title``, ``district`` (a code, or its Mongolian or English name),
``khoroo``, ``category``, ``problem``, ``solution``, ``results``, ``year``, ``status`` and
optionally ``resources``, ``partners``, ``contact`` and ``tags``. A malformed record is
refused with its line (row) number and the reason; the rest of the file is still applied.
Export writes the same fields, so an export imports back without loss.

Spreadsheets are typed by people: column headers may be Mongolian or English, short or a
Google Forms question ("Туршлагын нэр", "Танай хороо аль дүүрэгт вэ?"), and districts,
categories and statuses are written loosely; they are matched the way search folds text
(knowledge/labels.py). An unknown category becomes ``other`` with a warning on the row; an
unknown column is ignored with a warning; a file without an id column gets ids made from
district, khoroo and title, so importing it again updates the same practices.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.clean import clean_name, clean_text
from knowledge.labels import LabelMatcher, key_words
from knowledge.text import fold
from storage import csv_safe, fields
from storage.adoptions import Adoptions
from storage.models import Adoption, District, Practice
from storage.practices import CATEGORIES, STATUSES, Practices, stage_for
from storage.units import Units, khoroo_number, unit_matcher

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


# What people call each column, Mongolian and English; a header naming a field's words (a
# Google Forms question) counts too. Order breaks ties: a place before a title.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "дугаар", "№", "no", "код", "code", "туршлагын дугаар", "record id"),
    "district": ("district", "дүүрэг", "аймаг", "aimag"),
    "khoroo": ("khoroo", "хороо", "сум", "soum", "хорооны дугаар"),
    "title": (
        "title", "name", "гарчиг", "нэр", "туршлагын нэр", "сайн туршлага", "practice",
        "practice name", "practice title", "туршлагын гарчиг",
    ),
    "category": ("category", "ангилал", "чиглэл", "салбар", "сэдэв", "theme", "area", "type"),
    "problem": ("problem", "асуудал", "тулгамдсан асуудал", "challenge", "issue"),
    "solution": (
        "solution", "шийдэл", "шийдвэрлэсэн арга", "хэрэгжүүлсэн арга", "арга зам",
        "what was done", "approach",
    ),
    "results": ("results", "result", "үр дүн", "outcome", "outcomes", "impact"),
    "year": ("year", "он", "хэрэгжүүлсэн он"),
    "status": ("status", "төлөв", "төлөв байдал", "state"),
    "resources": (
        "resources", "зардал", "нөөц", "зардал нөөц", "төсөв", "санхүүжилт", "cost", "budget",
    ),
    "partners": ("partners", "partner", "хамтрагч", "түнш", "хамтран ажилласан байгууллага"),
    "contact": (
        "contact", "холбоо барих", "утас", "phone", "хариуцсан хүн", "contact person",
    ),
    "tags": ("tags", "tag", "түлхүүр үг", "keywords", "шошго"),
}  # fmt: skip
# Columns a file may have that the import does not need: Google Forms' timestamp and score,
# and what an export adds (adoptions, ratings).
IGNORED_HEADERS = (
    "timestamp", "цаг", "цаг хугацаа", "огноо", "date", "score", "оноо",
    "email address", "имэйл хаяг", "adoptions", "rating", "evaluations",
)  # fmt: skip
# What people write for a category besides the catalogue's labels.
CATEGORY_ALIASES: dict[str, tuple[str, ...]] = {
    "public-services": ("Төрийн үйлчилгээ", "Үйлчилгээ", "public service", "service delivery"),
    "social-welfare": ("Нийгмийн халамж", "Нийгмийн хамгаалал", "Халамж", "social protection"),
    "health": ("Эрүүл мэнд", "Эрүүл ахуй", "healthcare"),
    "education": ("Боловсрол", "Сургалт", "schools"),
    "environment": ("Байгаль орчин", "Хог хаягдал", "Ногоон байгууламж", "waste", "green"),
    "public-order": (
        "Хэв журам", "Аюулгүй байдал", "Нийтийн хэв журам", "Гэмт хэргээс урьдчилан сэргийлэх",
        "safety", "public order",
    ),
    "participation": ("Иргэдийн оролцоо", "Оролцоо", "Хамтын ажиллагаа", "civic engagement"),
    "employment": ("Хөдөлмөр эрхлэлт", "Ажлын байр", "Ажил эрхлэлт", "jobs"),
    "urban": ("Хот тохижилт", "Тохижилт", "Бүтээн байгуулалт", "Дэд бүтэц", "infrastructure"),
    "other": ("Бусад",),
}  # fmt: skip
STATUS_ALIASES: dict[str, tuple[str, ...]] = {
    "submitted": ("Илгээсэн", "Ирүүлсэн", "Хянагдаж байгаа", "pending", "under review"),
    "returned": ("Буцаасан", "Засварлуулах", "returned for changes"),
    "approved": ("Баталсан", "Батлагдсан", "Баталгаажсан", "Хуваалцсан", "shared"),
    "selected": ("Шалгарсан", "Нийслэлд шалгарсан", "Шалгарсан туршлага", "winner"),
    "rejected": ("Татгалзсан", "Тэнцээгүй", "declined"),
}


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
    # Rows stored with a remark (e.g. an unknown category taken as "other").
    warned: list[tuple[int, str]] = field(default_factory=list)
    # Remarks about the whole file (columns ignored, ids made up).
    notes: list[str] = field(default_factory=list)


def read_rows(path: Path, *, sheet: str | None = None) -> list[Row]:
    """Read the records of a file, choosing the format by extension (and content for JSON).

    A file that cannot be read as a whole (not UTF-8, broken JSON nesting, a CSV cell past
    the reader's limit, not a workbook, too many rows) raises PracticeFileError with one
    line that names the problem and where it is; nothing has been stored then.
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            return _xlsx_rows(path, sheet)
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


def _delimiter(text: str) -> str:
    """Return the CSV file's delimiter: Excel writes ";" where "," is the decimal comma."""
    header = text.partition("\n")[0]
    return max((",", ";", "\t"), key=header.count)


def _csv_rows(text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
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


def _xlsx_rows(path: Path, name: str | None = None) -> list[Row]:
    _check_workbook(path)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a malformed workbook
        raise PracticeFileError(f"not a readable XLSX workbook ({_one_line(error)})") from None
    try:
        if name is not None and name not in workbook.sheetnames:
            sheets = ", ".join(workbook.sheetnames)
            raise PracticeFileError(f"{path}: no sheet {name!r}; the sheets are {sheets}")
        sheet = workbook[name] if name is not None else workbook.worksheets[0]
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
    """A checked record, ready to be stored, and what to say about it."""

    external_id: str
    values: dict[str, Any]
    warnings: tuple[str, ...] = ()


def _names(
    ids: Sequence[str], labels: Mapping[str, str] | None, aliases: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {i: [i, *aliases.get(i, ())] for i in ids}
    for label, id_ in (labels or {}).items():
        if id_ in names:
            names[id_].append(label)
    return names


class Vocabulary:
    """What a file's names may refer to: columns, districts, categories and statuses."""

    def __init__(
        self,
        districts: Sequence[District],
        category_names: Mapping[str, str] | None = None,
        status_names: Mapping[str, str] | None = None,
    ) -> None:
        self.by_code = {d.code: d for d in districts}
        self.districts = unit_matcher(districts)
        self.categories = LabelMatcher(_names(CATEGORIES, category_names, CATEGORY_ALIASES))
        self.statuses = LabelMatcher(_names(IMPORTABLE_STATUSES, status_names, STATUS_ALIASES))
        self._columns: dict[tuple[str, ...], dict[str, str]] = {}
        self.notes: list[str] = []

    def district(self, text: str) -> District | None:
        """Return the district a text names, loosely matched."""
        match = self.districts.match(text)
        return self.by_code.get(match.id) if match else None

    def has_ids(self) -> bool:
        """Tell whether the file had an id column."""
        return any("id" in columns.values() for columns in self._columns.values())

    def columns(self, keys: Sequence[str]) -> dict[str, str]:
        """Map a file's column names to fields (once per header); note what is ignored."""
        known = self._columns.get(tuple(keys))
        if known is None:
            known, notes = map_columns(keys)
            self._columns[tuple(keys)] = known
            self.notes += [n for n in notes if n not in self.notes]
        return known


_HEADERS = LabelMatcher({**HEADER_ALIASES, "": IGNORED_HEADERS})


def map_columns(keys: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Return {column: field} for the columns a file has, and notes on the others."""
    scored: dict[str, tuple[float, str]] = {}  # field -> (score, column)
    notes = []
    for key in keys:
        found = _header_field(key)
        if found is None:
            notes.append(f"column {key!r} is not a practice field: ignored")
            continue
        name, score = found
        if not name:
            continue  # a timestamp or an exported figure: not needed, nothing to say
        if name in scored and scored[name][0] >= score:
            notes.append(f"column {key!r} also looks like {name}: ignored")
            continue
        if name in scored:
            notes.append(f"column {scored[name][1]!r} also looks like {name}: ignored")
        scored[name] = (score, key)
    return {column: name for name, (_, column) in scored.items()}, notes


def _header_field(header: str) -> tuple[str, float] | None:
    """Return the field a header names ("" for one to ignore) and how well, or None."""
    if header.strip().casefold() in FIELDS:
        return header.strip().casefold(), 1000.0
    match = _HEADERS.match(header)
    if match is not None:
        return match.id, 100.0 + match.score
    # A question-like header names a field by containing all of one of its aliases' words.
    words = set(key_words(header))
    best: tuple[str, float] | None = None
    for name, aliases in HEADER_ALIASES.items():
        for alias in aliases:
            alias_words = key_words(alias)
            if alias_words and set(alias_words) <= words:
                score = float(len(alias_words))
                if best is None or score > best[1]:
                    best = (name, score)
    return best


def check(values: Any, vocabulary: Vocabulary) -> Record:
    """Check one record and return what to store, or raise _Refused with the reason."""
    if isinstance(values, _Broken):
        raise _Refused(values.reason)
    if not isinstance(values, Mapping):
        raise _Refused("a record must be an object with named fields")
    columns = vocabulary.columns([key for key in values if isinstance(key, str)])
    clean = {columns[key]: value for key, value in values.items() if key in columns}
    required = REQUIRED if "id" in columns.values() else REQUIRED[1:]
    missing = [name for name in required if _text(clean.get(name)) == ""]
    if missing:
        raise _Refused(f"missing {', '.join(missing)}")
    for name, limit in LIMITS.items():
        reason = fields.too_long(name, _text(clean.get(name)), limit)
        if reason is not None:
            raise _Refused(reason)
    district = vocabulary.district(_text(clean["district"]))
    if district is None:
        raise _Refused(
            f"unknown district {_text(clean['district'])!r}; use a code or a name of "
            + ", ".join(vocabulary.by_code)
        )
    khoroo = khoroo_number(district, _text(clean["khoroo"]))
    if khoroo is None:
        raise _Refused(
            f"{district.code} has khoroos 1 to {len(district.khoroos)}, "
            f"not {_text(clean['khoroo'])}"
        )
    warnings = []
    category_match = vocabulary.categories.match(_text(clean["category"]))
    category = category_match.id if category_match else "other"
    if category_match is None:
        warnings.append(f"unknown category {_text(clean['category'])!r} stored as other")
    status = "approved"
    if _text(clean.get("status")):
        status_match = vocabulary.statuses.match(_text(clean["status"]))
        if status_match is None:
            raise _Refused(
                f"unknown status {_text(clean['status'])!r}; use one of {IMPORTABLE_STATUSES}"
            )
        status = status_match.id
    year = None
    if _text(clean.get("year")):
        year = _year(clean["year"])
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
    external_id = clean_name(_text(clean.get("id"))) or _made_up_id(
        district, khoroo, stored["title"]
    )
    return Record(external_id, stored, tuple(warnings))


def _made_up_id(district: District, khoroo: int, title: str) -> str:
    """Return a stable id for a row of a file without ids (a Google Forms export)."""
    digest = hashlib.sha1(f"{district.code}|{khoroo}|{fold(title)}".encode()).hexdigest()
    return f"row-{digest[:12]}"


def _year(value: Any) -> int:
    """Return the year in "2024", "2024 он" or a date; refuse anything else."""
    text = _text(value)
    years = re.findall(r"(?<!\d)(\d{4})(?!\d)", text)
    if len(years) != 1 and not text.isdigit():
        raise _Refused(f"year must be a whole number, not {text!r}")
    year = int(years[0]) if years else _integer(value, "year")
    if not 1990 <= year <= 2100:
        raise _Refused(f"year {year} is not a plausible year")
    return year


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
    status_names: Mapping[str, str] | None = None,
) -> ImportReport:
    """Upsert the records by external id; refuse malformed ones and repeated ids."""
    vocabulary = Vocabulary(await Units(session).districts(), category_names, status_names)
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
        report.warned += [(row.line, warning) for warning in record.warnings]
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
    if rows and not vocabulary.has_ids():
        vocabulary.notes.append("no id column: ids are made from district, khoroo and title")
    report.notes = vocabulary.notes
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
