"""Malformed files end the import with one line, exit status 2, and the database unchanged.

Each file goes through the command line (`bot.cli.main`), on the test's own database
(SQLite, or PostgreSQL with TEST_DATABASE_URL); the database is compared, table by table,
before and after.
"""

from __future__ import annotations

import copy
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from bot.cli import main
from bot.settings import Settings
from storage import backup, practice_files
from storage.backup import VERSION

Make = Callable[[Path], Path]


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point the command line at the test's database, from an empty working folder."""
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_TOKEN", "ADMIN_IDS", "TELEGRAM_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    return tmp_path


def snapshot(folder: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """Return every table's rows, as export-all writes them."""
    path = folder / "snapshot.json"
    assert main(["export-all", "-o", str(path)]) == 0
    capsys.readouterr()
    return json.loads(path.read_text(encoding="utf-8"))


def refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run a command that must fail cleanly; return its one line."""
    assert main(args) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    lines = captured.err.splitlines()
    assert len(lines) == 1 and captured.out == "", captured
    assert lines[0].startswith("khoroo-bot: ")
    return lines[0]


# --- practices import ---------------------------------------------------------------------


def deep_array(path: Path) -> Path:
    path = path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    return path


def deep_object(path: Path) -> Path:
    path = path / "deep.jsonl"
    path.write_text('{"id": "p1"}\n' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "\n")
    return path


def invalid_utf8(path: Path) -> Path:
    path = path / "latin.csv"
    path.write_bytes(b"id,title\np1,ok\np2,Caf\xe9\n")
    return path


def huge_cell(path: Path) -> Path:
    path = path / "huge.csv"
    path.write_text('id,title\np1,ok\np2,"' + "x" * 200_000 + '"\n')
    return path


def not_a_zip(path: Path) -> Path:
    path = path / "fake.xlsx"
    path.write_text("id,title\np1,ok\n")
    return path


def zip_without_workbook(path: Path) -> Path:
    path = path / "empty.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hello")
    return path


def zip_bomb(path: Path) -> Path:
    path = path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            for _ in range(60):
                sheet.write(b" " * 2**20)
    return path


def million_rows(path: Path) -> Path:
    path = path / "tall.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["id", "title"])
    sheet.cell(row=1_000_000, column=1, value="p1")  # the sheet claims a million rows
    workbook.save(path)
    return path


PRACTICE_FILES: dict[str, tuple[Make, str]] = {
    "deep JSON array": (deep_array, "deep.json: line 1: JSON nested too deeply"),
    "deep JSONL object": (deep_object, "deep.jsonl: line 2: JSON nested too deeply"),
    "invalid UTF-8": (invalid_utf8, "latin.csv: line 3: not valid UTF-8 (byte 0xe9)"),
    "CSV cell past the limit": (huge_cell, "huge.csv: line 3: a cell is longer than"),
    "not a zip": (not_a_zip, "fake.xlsx: not an XLSX workbook: the file is not a zip"),
    "zip without workbook": (zip_without_workbook, "empty.xlsx: not an XLSX workbook: the zip"),
    "zip bomb": (zip_bomb, "bomb.xlsx: the workbook expands to 60 MB; the limit is 50 MB"),
    "a million rows": (million_rows, "tall.xlsx: row 20002: more than 20000 rows"),
}


@pytest.mark.parametrize("case", list(PRACTICE_FILES))
def test_practices_import_refuses_a_malformed_file(cli: Path, capsys, case: str):
    make, expected = PRACTICE_FILES[case]
    before = snapshot(cli, capsys)
    line = refused(["practices", "import", str(make(cli))], capsys)
    assert expected in line
    assert snapshot(cli, capsys) == before


def test_too_many_records_are_refused_whole(cli: Path, capsys, monkeypatch):
    monkeypatch.setattr(practice_files, "MAX_ROWS", 3)
    path = cli / "many.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{n}"}) + "\n" for n in range(5)))
    before = snapshot(cli, capsys)
    assert "many.jsonl: line 4: more than 3 records" in refused(
        ["practices", "import", str(path)], capsys
    )
    assert snapshot(cli, capsys) == before


def test_a_record_over_a_field_limit_is_refused_with_its_line(cli: Path, capsys):
    record = {
        "id": "p1",
        "title": "Хог ангилах",
        "district": "bayangol",
        "khoroo": 4,
        "category": "environment",
        "problem": "Хог холилдож байв.",
        "solution": "ж" * 100_000,
        "results": "Хог 30% буурсан.",
    }
    path = cli / "long.jsonl"
    path.write_text(json.dumps(record) + "\n" + json.dumps(dict(record, id="p2", solution="Сав")))
    assert main(["practices", "import", str(path)]) == 1
    out = capsys.readouterr().out
    assert "line 1: refused: solution is longer than 2000 characters (100000)" in out
    assert "line 2: added p2" in out


# --- import-all -----------------------------------------------------------------------------


def good_backup(folder: Path, capsys) -> dict[str, Any]:
    """Return the empty database's backup with one officer and one practice added."""
    document = snapshot(folder, capsys)
    tables = document["tables"]
    district = tables["districts"][0]["id"]
    tables["users"] = [
        {"id": 77, "first_name": "Сараа", "language": "mn", "registered": True, "subscribed": True}
    ]
    tables["practices"] = [
        {
            "id": 1,
            "external_id": "p1",
            "title": "Хог ангилах аян",
            "district_id": district,
            "khoroo_number": 4,
            "category": "environment",
            "problem": "Хог холилдож байв.",
            "solution": "Орц бүрт сав.",
            "results": "Хог 30% буурсан.",
            "status": "approved",
            "stage": "share",
            "submitter_id": 77,
            "created_at": "2026-01-05T10:00:00+00:00",
            "updated_at": "2026-01-05T10:00:00+00:00",
        }
    ]
    return document


def edited(change: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], str]:
    def write(document: dict[str, Any]) -> str:
        document = copy.deepcopy(document)
        change(document)
        return json.dumps(document, ensure_ascii=False)

    return write


def repeated_key(document: dict[str, Any]) -> str:
    text = json.dumps(document, ensure_ascii=False)
    return text.replace('"version": 1', '"version": 1, "version": 1', 1)


BACKUPS: dict[str, tuple[Callable[[dict[str, Any]], str | bytes], str]] = {
    "not JSON": (lambda d: '{"format": ', "line 1: not valid JSON"),
    "invalid UTF-8": (lambda d: b'{"format": "\xff"}', "line 1: not valid UTF-8"),
    "deep nesting": (lambda d: "[" * 100_000, "JSON nested too deeply"),
    "a list": (lambda d: json.dumps([d]), "not a khoroo-bot backup"),
    "unknown version": (edited(lambda d: d.update(version=VERSION + 1)), "backup version 2"),
    "no tables": (edited(lambda d: d.pop("tables")), 'no "tables" object'),
    "tables a list": (edited(lambda d: d.update(tables=[])), 'no "tables" object'),
    "missing table": (edited(lambda d: d["tables"].pop("practices")), "'practices' is missing"),
    "unknown table": (edited(lambda d: d["tables"].update(hacks=[])), "'hacks' is not one"),
    "rows not a list": (
        edited(lambda d: d["tables"].update(users={})),
        "table users: a list of rows expected",
    ),
    "row not an object": (
        edited(lambda d: d["tables"]["users"].append(5)),
        "table users, row 2: an object expected",
    ),
    "text where a number goes": (
        edited(lambda d: d["tables"]["practices"][0].update(khoroo_number="four")),
        'table practices, row 1: column khoroo_number must be a whole number, not "four"',
    ),
    "number where text goes": (
        edited(lambda d: d["tables"]["practices"][0].update(title=5)),
        "table practices, row 1: column title must be text, not 5",
    ),
    "not a time": (
        edited(lambda d: d["tables"]["practices"][0].update(created_at="yesterday")),
        "column created_at must be a time",
    ),
    "missing column": (
        edited(lambda d: d["tables"]["practices"][0].pop("title")),
        "table practices, row 1: column title is missing",
    ),
    "repeated id": (
        edited(lambda d: d["tables"]["users"].append(dict(d["tables"]["users"][0]))),
        "table users, row 2: id 77 repeats",
    ),
    "repeated unique value": (
        edited(lambda d: d["tables"]["practices"].append(dict(d["tables"]["practices"][0], id=2))),
        "table practices, row 2: external_id 'p1' repeats",
    ),
    "repeated key": (repeated_key, "the key 'version' appears twice"),
    "dangling reference": (
        edited(lambda d: d["tables"]["practices"][0].update(submitter_id=999)),
        "table practices, row 1: submitter_id 999 names no row of users",
    ),
    "over a field limit": (
        edited(lambda d: d["tables"]["practices"][0].update(solution="x" * 100_000)),
        "table practices, row 1: solution is longer than 2000 characters (100000)",
    ),
}


@pytest.mark.parametrize("case", list(BACKUPS))
def test_import_all_refuses_a_malformed_backup(cli: Path, capsys, case: str):
    document = good_backup(cli, capsys)
    before = snapshot(cli, capsys)
    make, expected = BACKUPS[case]
    content = make(document)
    path = cli / "backup.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    assert expected in refused(["import-all", str(path)], capsys)
    assert snapshot(cli, capsys) == before


def test_the_good_backup_restores(cli: Path, capsys):
    document = good_backup(cli, capsys)
    document["tables"]["practices"][0]["title"] = "Хог\x00 ангилах аян"  # cleaned on the way in
    path = cli / "backup.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert main(["import-all", str(path)]) == 0
    after = snapshot(cli, capsys)["tables"]
    assert [p["title"] for p in after["practices"]] == ["Хог ангилах аян"]
    assert [u["first_name"] for u in after["users"]] == ["Сараа"]


def test_a_database_refusal_rolls_everything_back(cli: Path, capsys, monkeypatch):
    document = good_backup(cli, capsys)
    before = snapshot(cli, capsys)
    document["tables"]["practices"][0]["submitter_id"] = 999  # no such user
    path = cli / "backup.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    # Without our checks the database itself refuses, after the seeded units were deleted.
    monkeypatch.setattr(backup, "check_backup", lambda document: document)
    line = refused(["import-all", str(path)], capsys)
    assert "table practices: the database refused the rows" in line
    assert snapshot(cli, capsys) == before


def test_a_number_out_of_range_is_refused(cli: Path, capsys):
    document = good_backup(cli, capsys)
    document["tables"]["practices"][0]["khoroo_number"] = 2**40
    path = cli / "backup.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    line = refused(["import-all", str(path)], capsys)
    assert "table practices, row 1: column khoroo_number is out of range" in line
