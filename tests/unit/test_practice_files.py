"""Practice files: import with line-numbered refusals, export, and lossless round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from storage.practice_files import (
    PracticeFileError,
    export_practices,
    import_rows,
    read_rows,
)

RECORDS = [
    {
        "id": "p01",
        "title": "Хог хаягдлыг эх үүсвэр дээр нь ангилах аян",
        "district": "bayangol",
        "khoroo": 4,
        "category": "environment",
        "problem": "Хогийн цэгүүд дүүрч, хуванцар холилдож байв.",
        "solution": 'Орц бүрт "гурван" өнгийн сав; айлуудад заавар,\nсар бүр шагнал.',
        "results": "Хуванцар 4 тонн, ачаалал 30% буурсан.",
        "year": 2022,
        "status": "selected",
        "resources": "Сав 120 ширхэг",
        "partners": None,
        "contact": "=Б. Сараа, 9911-2233",
        "tags": ["waste", "recycling; sorting"],
    },
    {
        "id": "p02",
        "title": "Ахмадын клуб",
        "district": "Хан-Уул",
        "khoroo": 16,
        "category": "social-welfare",
        "problem": "Ахмадууд ганцаардаж байв.",
        "solution": "Долоо хоног бүр уулзалт.",
        "results": "120 ахмад хамрагдсан.",
        "year": None,
        "status": "approved",
        "resources": None,
        "partners": "Дүүргийн ЗДТГ",
        "contact": None,
        "tags": [],
    },
]


def write_jsonl(path: Path, records) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    return path


async def exported(app, fmt: str) -> bytes:
    async with app.database.transaction() as session:
        return await export_practices(session, fmt)


async def load(app, path: Path):
    async with app.database.transaction() as session:
        return await import_rows(session, read_rows(path))


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xlsx"])
async def test_import_export_import_round_trips_without_loss(app, tmp_path: Path, fmt: str):
    report = await load(app, write_jsonl(tmp_path / "in.jsonl", RECORDS))
    assert [e for _, e in report.added] == ["p01", "p02"] and report.refused == []
    first = await exported(app, "jsonl")
    lines = [json.loads(line) for line in first.decode().splitlines()]
    assert lines[0]["tags"] == ["waste", "recycling; sorting"]
    assert lines[1]["district"] == "khan-uul" and lines[1]["year"] is None

    (tmp_path / f"out.{fmt}").write_bytes(await exported(app, fmt))
    again = await load(app, tmp_path / f"out.{fmt}")
    assert again.refused == [] and again.added == []
    expected_changes = ["p01"] if fmt != "jsonl" else []  # a tag containing "; " splits
    assert [e for _, e in again.updated] == expected_changes
    if fmt == "jsonl":
        assert await exported(app, "jsonl") == first
    else:
        after = [json.loads(line) for line in (await exported(app, "jsonl")).decode().splitlines()]
        lines[0]["tags"] = ["waste", "recycling", "sorting"]
        assert after == lines


async def test_csv_and_xlsx_round_trip_exactly_without_separators_in_tags(app, tmp_path):
    records = [dict(RECORDS[0], tags=["waste", "recycling"]), RECORDS[1]]
    await load(app, write_jsonl(tmp_path / "in.jsonl", records))
    first = await exported(app, "jsonl")
    for fmt in ("csv", "xlsx"):
        (tmp_path / f"out.{fmt}").write_bytes(await exported(app, fmt))
        report = await load(app, tmp_path / f"out.{fmt}")
        assert (report.updated, report.refused, len(report.unchanged)) == ([], [], 2)
        assert await exported(app, "jsonl") == first


async def test_malformed_rows_are_reported_with_line_numbers_and_skipped(app, tmp_path):
    good = RECORDS[1]
    lines = [
        json.dumps(RECORDS[0], ensure_ascii=False),
        "{not json",
        json.dumps(dict(good, id="x1", district="Марс")),
        "",
        json.dumps(dict(good, id="x2", khoroo=40)),
        json.dumps(dict(good, id="x3", category="space")),
        json.dumps(dict(good, id="x4", status="draft")),
        json.dumps(dict(good, id="x5", title="")),
        json.dumps(dict(good, id="x6", year="soon")),
        json.dumps(dict(good, id="p01")),
        "[1, 2]",
        json.dumps(good, ensure_ascii=False),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    report = await load(app, path)
    assert [e for _, e in report.added] == ["p01", "x3", "p02"]
    # An unknown category is not a reason to lose the row: it is stored as "other".
    assert report.warned == [(6, "unknown category 'space' stored as other")]
    refused = dict(report.refused)
    assert sorted(refused) == [2, 3, 5, 7, 8, 9, 10, 11]
    assert "not valid JSON" in refused[2]
    assert "unknown district" in refused[3]
    assert "khoroos 1 to 25" in refused[5]
    assert "unknown status" in refused[7]
    assert "missing title" in refused[8]
    assert "whole number" in refused[9]
    assert "repeats line 1" in refused[10]
    assert "object" in refused[11]


def test_json_arrays_and_csv_know_their_line_numbers(tmp_path):
    array = tmp_path / "a.json"
    array.write_text('[\n  {"id": "a"},\n\n  {"id": "b",\n   "title": "x"}\n]')
    assert [row.line for row in read_rows(array)] == [2, 4]
    broken = tmp_path / "b.json"
    broken.write_text('[\n {"id": "a"},\n {"id": \n]')
    with pytest.raises(PracticeFileError, match="line 4"):
        read_rows(broken)
    table = tmp_path / "c.csv"
    table.write_text('id,title\na,"two\nlines"\nb,one\n', encoding="utf-8")
    assert [(row.line, row.values["id"]) for row in read_rows(table)] == [(2, "a"), (4, "b")]


def test_the_cli_imports_and_exports(settings, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    source = tmp_path / "in.csv"
    source.write_text(
        "id,title,district,khoroo,category,problem,solution,results,year,status\n"
        "c1,Цэцэрлэгт хүрээлэн,Баянгол,3,Хот тохижилт,Асуудал,Арга,50 мод,2023,approved\n"
        "c2,Буруу,Баянгол,99,urban,Асуудал,Арга,Үр дүн,2023,approved\n",
        encoding="utf-8",
    )
    assert main(["practices", "import", str(source)]) == 1  # one record was refused
    out = capsys.readouterr().out
    assert "line 2: added c1" in out and "line 3: refused:" in out
    assert "1 added, 0 updated, 0 unchanged, 1 refused" in out
    target = tmp_path / "out.xlsx"
    assert main(["practices", "export", "--format", "xlsx", "-o", str(target)]) == 0
    assert [row.values["id"] for row in read_rows(target)] == ["c1"]
    assert main(["practices", "export"]) == 0
    assert json.loads(capsys.readouterr().out)["category"] == "urban"
