"""Every CSV the project writes opens in a spreadsheet without running a planted formula."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import given
from hypothesis import strategies as st

from handlers.messages import SendDocument
from storage import csv_safe
from storage.audit import AuditLog
from storage.practice_files import export_practices, import_rows, read_rows
from tests.conftest import ADMIN_ID
from tests.support.chat import Chat, register
from tests.unit.test_practice_files import RECORDS, write_jsonl

PLANTED = '=HYPERLINK("http://evil.example","Дарна уу")'
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]


def test_neutralise_prefixes_formula_starts_only():
    for start in DANGEROUS:
        assert csv_safe.neutralise(f"{start}1+1") == f"'{start}1+1"
    assert csv_safe.neutralise("Сараа") == "Сараа"
    assert csv_safe.neutralise("'quoted") == "'quoted"
    assert csv_safe.neutralise(-5) == -5  # a number is a number


@given(st.text(max_size=20))
def test_restore_reads_back_what_neutralise_wrote(text):
    written = csv_safe.neutralise(text)
    assert not written.startswith(DANGEROUS)
    assert csv_safe.restore(written) == text


async def test_practices_csv_export_neutralises_and_imports_back(app, tmp_path):
    planted = [
        dict(RECORDS[0], title=PLANTED, problem="+79 дугаар", results="@SUM(A1:A9)", tags=["x"]),
        dict(RECORDS[1], solution="-1 алхам", resources="\tнуугдмал", partners="'=A1"),
    ]
    async with app.database.transaction() as session:
        await import_rows(session, read_rows(write_jsonl(tmp_path / "in.jsonl", planted)))
    async with app.database.transaction() as session:
        exported = await export_practices(session, "csv")
    written = cells(exported)
    assert "'" + PLANTED in written and "'''=A1" not in written and "''=A1" in written
    assert not any(cell.startswith(DANGEROUS) for cell in written)
    (tmp_path / "out.csv").write_bytes(exported)
    async with app.database.transaction() as session:
        report = await import_rows(session, read_rows(tmp_path / "out.csv"))
        again = await export_practices(session, "jsonl")
    assert (report.updated, report.refused, len(report.unchanged)) == ([], [], 2)
    titles = [json.loads(line)["title"] for line in again.decode().splitlines()]
    assert titles[0] == PLANTED


async def test_audit_csv_neutralises_planted_formulas(app):
    admin = Chat(app, ADMIN_ID)
    await register(admin)
    async with app.database.transaction() as session:
        AuditLog(session).record(ADMIN_ID, "role.grant", PLANTED, note="-cmd|' /C calc'!A0")
    replies = await admin.send("/audit")
    document = next(r for r in replies if isinstance(r, SendDocument))
    written = cells(document.document)
    assert "'" + PLANTED in written
    assert not any(cell.startswith(DANGEROUS) for cell in written)
