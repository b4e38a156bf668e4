"""Real spreadsheets: Mongolian headers, labels as people write them, today's khoroos."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bot.cli import main
from storage.database import Database
from storage.models import Practice
from storage.practice_files import map_columns

HEADERS = [
    "Дугаар", "Туршлагын нэр", "Дүүрэг", "Хороо", "Ангилал", "Асуудал", "Шийдэл", "Үр дүн",
    "Он", "Төлөв", "Холбоо барих", "Зардал/Нөөц", "Түлхүүр үг",
]  # fmt: skip
# district, khoroo, category and status as people typed them in the city's contest files.
ROWS = [
    ("Баянзурх", 43, "Нийтийн хэв журам, аюулгүй байдал", "Баталгаажсан"),
    ("bayanzurh", "41-р хороо", "Хэв журам аюулгүй байдал", "approved"),
    ("СОНГИНОХАЙРХАН дүүрэг", 43, "Байгаль орчин", "Шалгарсан"),
    ("Хан Уул", 25, "эрүүл мэнд", ""),
    ("Sukhbaatar", 20, "Public order and safety", "Selected"),
    ("Чингэлтэи", 24, "Иргэдийн оролцоо", "Илгээсэн"),
    ("БГД", 34, "Хог хаягдал", "Approved"),
    ("Налайх", 8.0, "Спорт, соёл", "approved"),  # no such category: stored as other
]


def _table() -> list[list[object]]:
    table: list[list[object]] = [list(HEADERS)]
    for number, (district, khoroo, category, status) in enumerate(ROWS, start=1):
        table.append(
            [
                f"UB-{number:02}",
                f"Хорооны туршлага {number}",
                district,
                khoroo,
                category,
                "Гудамж харанхуй байсан",
                "Иргэд хамтран гэрэлтүүлэг тавьсан",
                "Гэмт хэрэг 30% буурсан",
                "2025 он",
                status,
                "9911-2233",
                "2 сая төгрөг",
                "гэрэлтүүлэг; аюулгүй байдал",
            ]
        )
    return table


def _import(settings, monkeypatch, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    return main(["practices", "import", *argv])


def _stored(settings) -> dict[str, Practice]:
    async def read() -> dict[str, Practice]:
        database = Database(settings.database_url)
        try:
            async with database.transaction() as session:
                practices = (await session.scalars(select(Practice))).all()
                return {p.external_id or "": p for p in practices}
        finally:
            await database.dispose()

    return asyncio.run(read())


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_contest_spreadsheet_imports_with_no_flags_and_no_refused_rows(
    settings, tmp_path: Path, monkeypatch, capsys, fmt: str
):
    path = tmp_path / f"contest.{fmt}"
    if fmt == "xlsx":
        workbook = Workbook()
        workbook.active.title = "Хураангуй"
        sheet = workbook.create_sheet("Туршлагууд", 0)
        for line in _table():
            sheet.append(line)
        workbook.save(path)
    else:  # Excel's CSV where the comma is the decimal sign: semicolons, with a BOM
        lines = [";".join(f'"{cell}"' for cell in line) for line in _table()]
        path.write_bytes("\r\n".join(lines).encode("utf-8-sig"))
    assert _import(settings, monkeypatch, str(path)) == 0
    out = capsys.readouterr().out
    assert "refused" not in out.replace("0 refused", "")
    assert "Practices: 8 added, 0 updated, 0 unchanged, 0 refused, 1 warnings." in out
    assert "line 9: warning: unknown category 'Спорт, соёл' stored as other" in out
    stored = _stored(settings)
    assert {
        k: (p.district.code if p.district else None, p.khoroo_number) for k, p in stored.items()
    } == {
        "UB-01": ("bayanzurkh", 43),
        "UB-02": ("bayanzurkh", 41),
        "UB-03": ("songinokhairkhan", 43),
        "UB-04": ("khan-uul", 25),
        "UB-05": ("sukhbaatar", 20),
        "UB-06": ("chingeltei", 24),
        "UB-07": ("bayangol", 34),
        "UB-08": ("nalaikh", 8),
    }
    assert [stored[f"UB-0{n}"].category for n in range(1, 9)] == [
        "public-order", "public-order", "environment", "health", "public-order",
        "participation", "environment", "other",
    ]  # fmt: skip
    assert [stored[f"UB-0{n}"].status for n in range(1, 9)] == [
        "approved", "approved", "selected", "approved", "selected", "submitted", "approved",
        "approved",
    ]  # fmt: skip
    first = stored["UB-01"]
    assert (first.year, first.contact, first.resources) == (2025, "9911-2233", "2 сая төгрөг")
    assert first.tags == ["гэрэлтүүлэг", "аюулгүй байдал"]


def test_a_google_forms_export_maps_question_headers_and_dry_run_stores_nothing(
    settings, tmp_path: Path, monkeypatch, capsys
):
    path = tmp_path / "form.csv"
    header = [
        "Timestamp",
        "Танай хороо аль дүүрэгт харьяалагддаг вэ?",
        "Хэддүгээр хороо вэ?",
        "Сайн туршлагын нэр",
        "Туршлага аль ангилалд хамаарах вэ?",
        "Ямар асуудлыг шийдвэрлэх зорилготой байсан бэ?",
        "Шийдэл (юу хийсэн бэ?)",
        "Ямар үр дүнд хүрсэн бэ?",
        "Email address",
        "Та бидэнд өөр юу хэлэх вэ?",
    ]
    row = [
        "2025/03/05 10:12:00",
        "Баянзүрх",
        "42",
        "Хогийн цэгийг цэцэрлэг болгосон нь",
        "Байгаль орчин, хог хаягдал",
        "Хууль бус хогийн цэг",
        "Иргэдтэй хамт цэвэрлэж мод тарьсан",
        "Хогийн цэг байхгүй болсон",
        "a@b.mn",
        "Баярлалаа",
    ]
    path.write_text(",".join(header) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    assert _import(settings, monkeypatch, str(path), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Dry run" in out and "Practices: 1 added" in out
    assert "column 'Та бидэнд өөр юу хэлэх вэ?' is not a practice field: ignored" in out
    assert "no id column" in out and "Email" not in out and "Timestamp" not in out
    assert _stored(settings) == {}
    assert _import(settings, monkeypatch, str(path)) == 0
    assert _import(settings, monkeypatch, str(path)) == 0  # made-up ids: the same practice
    assert "1 unchanged" in capsys.readouterr().out
    (practice,) = _stored(settings).values()
    assert (practice.khoroo_number, practice.category) == (42, "environment")


def test_headers_are_matched_as_people_name_them():
    columns, notes = map_columns(
        ["Гарчиг", "НЭР", "Дүүргийн нэр", "хорооны дугаар", "Үр дүн", "Зардал", "Түнш", "Цаг"]
    )
    assert columns == {
        "Гарчиг": "title",
        "Дүүргийн нэр": "district",
        "хорооны дугаар": "khoroo",
        "Үр дүн": "results",
        "Зардал": "resources",
        "Түнш": "partners",
    }
    assert notes == ["column 'НЭР' also looks like title: ignored"]


def test_a_missing_sheet_is_named(settings, tmp_path: Path, monkeypatch, capsys):
    path = tmp_path / "book.xlsx"
    workbook = Workbook()
    workbook.active.title = "Нэг"
    workbook.save(path)
    assert _import(settings, monkeypatch, str(path), "--sheet", "Хоёр") == 2
    assert "no sheet 'Хоёр'; the sheets are Нэг" in capsys.readouterr().err
