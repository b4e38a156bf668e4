"""Migrations build exactly the models' schema; units are data that can be replaced."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import OperationalError

from storage.database import Database
from storage.models import Base, User
from storage.units import Units, UnitsFileError, UnitSpec, read_units


async def test_migrations_match_the_models(database_url):
    database = Database(database_url)

    def differences(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return compare_metadata(context, Base.metadata)

    try:
        async with database.engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await database.dispose()


def test_default_units_are_ulaanbaatars_nine_districts():
    specs = read_units()
    assert len(specs) == 9
    assert sum(s.khoroos for s in specs) == 204


async def test_replacing_units_keeps_ids_and_reports_changes(app):
    async with app.database.transaction() as session:
        units = Units(session)
        before = {d.code: d.id for d in await units.districts()}
        change = await units.replace(
            [
                UnitSpec("bayangol", "Баянгол", "Bayangol", 34, aliases=("БГД",)),
                UnitSpec("khan-uul", "Хан-Уул", "Khan-Uul", 16),
                UnitSpec("olgii", "Өлгий", "Ölgii", 13),
            ]
        )
    assert (change.added, change.updated, change.removed) == (1, 1, 7)
    async with app.database.transaction() as session:
        districts = {d.code: d for d in await Units(session).districts()}
    assert districts["bayangol"].id == before["bayangol"]
    assert len(districts["bayangol"].khoroos) == 34
    assert [d.code for d in districts.values()] == ["bayangol", "khan-uul", "olgii"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[]", "non-empty list"),
        ("- {code: a, name_mn: А, name_en: A}", "entry 1"),
        ("- {code: a, name_mn: А, name_en: A, khoroos: 0}", "1-500"),
        (
            "- {code: a, name_mn: А, name_en: A, khoroos: 2}\n"
            "- {code: a, name_mn: Б, name_en: B, khoroos: 1}",
            "repeat",
        ),
    ],
)
def test_bad_units_files_are_explained(tmp_path: Path, content: str, message: str):
    path = tmp_path / "units.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UnitsFileError, match=message):
        read_units(path)


@pytest.fixture
def sqlite_path(database_url: str) -> str:
    """Return the path of the test's SQLite file (the lock tests are about SQLite)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    return database_url.removeprefix("sqlite:///")


async def test_sqlite_waits_for_another_writer_without_blocking_the_loop(sqlite_path):
    other = sqlite3.connect(sqlite_path, isolation_level=None)  # another process, say
    other.execute("BEGIN IMMEDIATE")
    database = Database(f"sqlite:///{sqlite_path}")
    try:

        async def add_user() -> None:
            async with database.transaction() as session:
                session.add(User(id=77, first_name="Waited"))

        writing = asyncio.create_task(add_user())
        for _ in range(50):  # the loop keeps turning while the write waits for the lock
            await asyncio.sleep(0)
        assert not writing.done()
        other.execute("COMMIT")
        await asyncio.wait_for(writing, timeout=10)
        async with database.transaction() as session:
            assert (await session.get(User, 77)) is not None
    finally:
        other.close()
        await database.dispose()


async def test_sqlite_gives_up_on_a_lock_held_too_long(sqlite_path):
    other = sqlite3.connect(sqlite_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    database = Database(f"sqlite:///{sqlite_path}", lock_timeout=0.0)
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with database.transaction():
                pass
    finally:
        other.close()
        await database.dispose()


def test_the_practice_life_cycle_allows_only_its_steps():
    from storage.models import Practice
    from storage.practices import allows, move

    practice = Practice(title="Хог ангилах", category="environment")  # new: a draft
    assert allows("submit", practice.status) and not allows("approve", practice.status)
    move(practice, "submit")
    assert (practice.status, practice.stage) == ("submitted", "identify")
    with pytest.raises(ValueError):
        move(practice, "select")  # the capital level takes approved practices only
    move(practice, "approve")
    assert (practice.status, practice.stage) == ("approved", "share")
    move(practice, "select")
    assert (practice.status, practice.stage) == ("selected", "share")
    assert not allows("resubmit", "selected") and allows("resubmit", "returned")
