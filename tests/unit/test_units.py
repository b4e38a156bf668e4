"""Today's Ulaanbaatar, unit changes that lose no one, and units typed the loose ways."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from bot.cli import main
from handlers.html import plain
from knowledge.labels import LabelMatcher
from storage.database import Database, alembic_config, upgrade
from storage.models import Adoption, Announcement, AuditEntry, Khoroo, Practice, User
from storage.units import Units, UnitsInUse, UnitSpec, read_units, unit_matcher
from tests.conftest import POSTGRES_URL, _empty_schema
from tests.support.chat import Chat, register

UB_2019 = {
    "baganuur": 5,
    "bagakhangai": 2,
    "bayangol": 23,
    "bayanzurkh": 28,
    "nalaikh": 7,
    "songinokhairkhan": 32,
    "sukhbaatar": 20,
    "khan-uul": 16,
    "chingeltei": 19,
}
UB_2025 = {
    "baganuur": 5,
    "bagakhangai": 2,
    "bayangol": 34,
    "bayanzurkh": 43,
    "nalaikh": 8,
    "songinokhairkhan": 43,
    "sukhbaatar": 20,
    "khan-uul": 25,
    "chingeltei": 24,
}
UNITS_REVISION = "0600"  # the first revision of this change; the test builds the one before


def test_the_seed_is_todays_ulaanbaatar():
    specs = read_units()
    assert {s.code: s.khoroos for s in specs} == UB_2025
    assert sum(s.khoroos for s in specs) == 204 and {s.kind for s in specs} == {"district"}


def _previous_heads(url: str) -> list[str]:
    """Return the heads as they were before this change: every branch, without ours."""
    script = ScriptDirectory.from_config(alembic_config(url))

    def ancestors(revision: str) -> set[str]:
        return {r.revision for r in script.iterate_revisions(revision, "base")}

    before = [h for h in script.get_heads() if UNITS_REVISION not in ancestors(h)]
    down = script.get_revision(UNITS_REVISION).down_revision
    return [*before, *([down] if isinstance(down, str) else down or [])]


SNAPSHOT = {
    "users": "SELECT id, district_id, khoroo_number, position, registered FROM users ORDER BY id",
    "practices": "SELECT id, district_id, khoroo_number, title FROM practices ORDER BY id",
    "adoptions": "SELECT id, practice_id, district_id, khoroo_number FROM adoptions ORDER BY id",
    "announcements": "SELECT id, text, state FROM announcements ORDER BY id",
}


async def _snapshot(database: Database) -> dict[str, list[tuple[object, ...]]]:
    async with database.transaction() as session:
        return {
            name: [tuple(row) for row in await session.execute(text(query))]
            for name, query in SNAPSHOT.items()
        }


async def test_migration_brings_a_2019_database_to_204_khoroos_keeping_every_user(tmp_path):
    url = POSTGRES_URL or f"sqlite:///{tmp_path / 'old.db'}"
    if POSTGRES_URL:
        await _empty_schema(url)
    for head in _previous_heads(url):
        await asyncio.to_thread(upgrade, url, head)
    database = Database(url)
    try:
        async with database.transaction() as session:
            for position, (code, count) in enumerate(UB_2019.items()):
                await session.execute(
                    text(
                        "INSERT INTO districts (code, name_mn, name_en, position) "
                        "VALUES (:code, :code, :code, :position)"
                    ),
                    {"code": code, "position": position},
                )
                district_id = await session.scalar(
                    text("SELECT id FROM districts WHERE code = :code"), {"code": code}
                )
                for number in range(1, count + 1):
                    await session.execute(
                        text("INSERT INTO khoroos (district_id, number) VALUES (:d, :n)"),
                        {"d": district_id, "n": number},
                    )
            ids = dict((await session.execute(text("SELECT code, id FROM districts"))).all())
            people = [
                (1, "bayanzurkh", 28),
                (2, "khan-uul", 16),
                (3, "nalaikh", 1),
                (4, None, None),
            ]
            for user_id, code, number in people:
                await session.execute(
                    text(
                        "INSERT INTO users (id, first_name, language, district_id, khoroo_number,"
                        " position, registered, subscribed, blocked, created_at, updated_at) VALUES"
                        " (:id, 'x', 'mn', :d, :n, 'officer', :r, true, false, :t, :t)"
                    ),
                    {
                        "id": user_id,
                        "d": ids.get(code),
                        "n": number,
                        "r": code is not None,
                        "t": datetime(2020, 1, 1, tzinfo=UTC),
                    },
                )
        before = await _snapshot(database)
        assert len(before["users"]) == 4
        await asyncio.to_thread(upgrade, url)
        async with database.transaction() as session:
            assert await session.scalar(select(func.count(Khoroo.id))) == 204
            counts = {d.code: len(d.khoroos) for d in await Units(session).districts()}
            assert counts == UB_2025
            assert {d.code: d.id for d in await Units(session).districts()} == ids
        assert await _snapshot(database) == before
    finally:
        await database.dispose()
        if POSTGRES_URL:  # the other tests share this database: leave it fully migrated
            await asyncio.to_thread(upgrade, url)


async def _people(app, where: list[tuple[int, str, int]]) -> None:
    """Register users, a practice with an adoption, and an announcement, in given khoroos."""
    async with app.database.transaction() as session:
        ids = {d.code: d.id for d in await Units(session).districts()}
        for user_id, code, number in where:
            session.add(
                User(
                    id=user_id,
                    first_name="x",
                    district_id=ids[code],
                    khoroo_number=number,
                    position="officer",
                    registered=True,
                )
            )
        practice = Practice(
            title="Хогийн цэг", district_id=ids["bayanzurkh"], khoroo_number=43, category="other"
        )
        session.add(practice)
        await session.flush()
        session.add(
            Adoption(practice_id=practice.id, district_id=ids["bayanzurkh"], khoroo_number=42)
        )
        session.add(
            Announcement(
                text="Сайн уу", audience={"kind": "khoroos", "khoroos": [[ids["bayanzurkh"], 43]]}
            )
        )


def _specs(**counts: int) -> list[UnitSpec]:
    specs = {s.code: s for s in read_units()}
    return [
        UnitSpec(s.code, s.name_mn, s.name_en, counts.get(s.code.replace("-", "_"), s.khoroos))
        for s in specs.values()
    ]


async def test_removing_used_khoroos_is_refused_with_the_dependants_listed(app):
    await _people(app, [(1, "bayanzurkh", 43), (2, "bayanzurkh", 42), (3, "bayanzurkh", 41)])
    with pytest.raises(UnitsInUse) as refused:
        async with app.database.transaction() as session:
            await Units(session).replace(_specs(bayanzurkh=41))
    message = str(refused.value)
    assert "bayanzurkh:43: 1 users, 1 practices, 1 announcements" in message
    assert "bayanzurkh:42: 1 users, 1 adoptions" in message
    assert "bayanzurkh:41" not in message
    async with app.database.transaction() as session:
        assert len((await Units(session).district_by_code("bayanzurkh")).khoroos) == 43


async def test_a_mapping_moves_everyone_and_loses_no_one(app):
    await _people(app, [(1, "bayanzurkh", 43), (2, "bayanzurkh", 42), (3, "bayanzurkh", 12)])
    async with app.database.transaction() as session:
        change = await Units(session).replace(
            _specs(bayanzurkh=41),
            [("БЗД:43", "Баянзурх:12"), ("bayanzurh:42", "bayanzurkh 13")],
            actor_id=900,
        )
    assert change.khoroos_removed == 2
    async with app.database.transaction() as session:
        ids = {d.code: d.id for d in await Units(session).districts()}
        users = (await session.scalars(select(User).order_by(User.id))).all()
        assert [(u.district_id, u.khoroo_number) for u in users] == [
            (ids["bayanzurkh"], 12),
            (ids["bayanzurkh"], 13),
            (ids["bayanzurkh"], 12),
        ]
        practice = (await session.scalars(select(Practice))).one()
        adoption = (await session.scalars(select(Adoption))).one()
        announcement = (await session.scalars(select(Announcement))).one()
        assert practice.khoroo_number == 12 and adoption.khoroo_number == 13
        assert announcement.audience["khoroos"] == [[ids["bayanzurkh"], 12]]
        entry = (await session.scalars(select(AuditEntry))).one()
        assert (entry.actor_id, entry.action) == (900, "units.import")
        assert entry.details["khoroos_removed"] == 2 and len(entry.details["moves"]) == 2


async def test_a_removed_district_moves_whole_with_a_district_mapping(app):
    await _people(app, [(1, "bagakhangai", 2), (2, "baganuur", 5)])
    specs = [s for s in _specs() if s.code != "bagakhangai"]
    async with app.database.transaction() as session:
        await Units(session).replace(specs, [("Bagakhangai", "Baganuur")])
    async with app.database.transaction() as session:
        districts = {d.code: d for d in await Units(session).districts()}
        assert "bagakhangai" not in districts
        users = (await session.scalars(select(User).order_by(User.id))).all()
        assert [(u.district_id, u.khoroo_number) for u in users] == [
            (districts["baganuur"].id, 2),
            (districts["baganuur"].id, 5),
        ]


def test_units_import_refuses_lists_and_then_moves_with_map_from_the_command_line(
    settings, tmp_path: Path, capsys, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    path = tmp_path / "units.yaml"
    path.write_text(
        "kind: district\nunits:\n"
        + "".join(
            f"  - {{code: {s.code}, name_mn: {s.name_mn}, name_en: {s.name_en}, "
            f"khoroos: {41 if s.code == 'bayanzurkh' else s.khoroos}}}\n"
            for s in read_units()
        ),
        encoding="utf-8",
    )
    assert main(["db", "upgrade"]) == 0

    async def seed() -> None:
        from bot.app import build_app

        app = await build_app(settings, migrate=False)
        try:
            await _people(app, [(1, "bayanzurkh", 43)])
        finally:
            await app.close()

    asyncio.run(seed())
    capsys.readouterr()
    assert main(["units", "import", str(path)]) == 2
    assert "bayanzurkh:43: 1 users, 1 practices, 1 announcements" in capsys.readouterr().err
    mapping = tmp_path / "moves.csv"
    mapping.write_text("old;new\nbayanzurkh:43;bayanzurkh:41\nbayanzurkh:42;bayanzurkh:40\n")
    assert main(["units", "import", str(path), "--map", str(mapping), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dry run" in out and "2 removed" in out
    assert main(["units", "import", str(path), "--map", "bayanzurkh:43=bayanzurkh:41",
                 "--map", "bayanzurkh:42=bayanzurkh:40"]) == 0  # fmt: skip
    assert "moved bayanzurkh:43=bayanzurkh:41: 1 users, 1 practices" in capsys.readouterr().out

    async def check() -> None:
        database = Database(settings.database_url)
        try:
            async with database.transaction() as session:
                user = await session.get(User, 1)
                assert user is not None and user.khoroo_number == 41
                assert await session.scalar(select(func.count(Khoroo.id))) == 202
        finally:
            await database.dispose()

    asyncio.run(check())


def test_the_district_matcher_takes_loose_spellings_and_refuses_nonsense():
    matcher = unit_matcher(read_units())
    for typed in ("Баянзурх", "bayanzurh", "BAYANZURKH", "Баянзүрх дүүрэг", "баянзурхийн"):
        assert getattr(matcher.match(typed), "id", None) == "bayanzurkh", typed
    assert matcher.match("khan uul").id == "khan-uul"  # type: ignore[union-attr]
    assert matcher.match("Сонгинохайрхн").id == "songinokhairkhan"  # type: ignore[union-attr]
    for nonsense in ("Марс", "Баян", "ub", "asdfgh", "Улаанбаатар", ""):
        assert matcher.match(nonsense) is None, nonsense
    categories = LabelMatcher(
        {"public-order": ["Хэв журам, аюулгүй байдал"], "health": ["Эрүүл мэнд"]}
    )
    assert categories.match("журам") is None


async def test_registration_takes_a_loosely_typed_district_and_a_new_khoroo(app):
    chat = Chat(app, 31)
    await chat.send("/start")
    await chat.press("Монгол")
    await chat.send("Баянзурх")
    assert "Баянзүрх" in plain(chat.last().text)
    await chat.send("43")
    await chat.press("Хорооны ажилтан")
    async with app.database.transaction() as session:
        user = await session.get(User, 31)
        district = await Units(session).district_by_code("bayanzurkh")
        assert user is not None and district is not None
        assert (user.district_id, user.khoroo_number) == (district.id, 43)


async def test_aimags_and_soums_register_with_their_own_words(app, tmp_path: Path):
    path = tmp_path / "aimag.yaml"
    path.write_text(
        "kind: aimag\nunits:\n"
        "  - code: bayan-olgii\n    name_mn: Баян-Өлгий\n    name_en: Bayan-Ölgii\n"
        "    aliases: [Өлгий]\n"
        "    soums: [{mn: Алтай, en: Altai}, {mn: Цэнгэл, en: Tsengel}, {mn: Сагсай, en: Sagsai}]\n"
        "  - code: khovd\n    name_mn: Ховд\n    name_en: Khovd\n    soums: [Жаргалант, Буянт]\n",
        encoding="utf-8",
    )
    async with app.database.transaction() as session:
        await Units(session).replace(read_units(path))
    chat = Chat(app, 41)
    await register(chat, district="Баян-Өлгий", khoroo="Цэнгэл")
    texts = [plain(s.text) for s in chat.screens.values()]
    assert any("Аль аймагт ажилладаг вэ" in t for t in texts)
    assert any("Баян-Өлгий аймгийн аль суманд" in t for t in texts)
    assert any("Баян-Өлгий аймгийн Цэнгэл сум" in t for t in texts)
    chat = Chat(app, 42)
    await chat.send("/start")
    await chat.press("Монгол")
    await chat.send("olgii")
    await chat.send("sagsai")
    await chat.press("Хорооны ажилтан")
    async with app.database.transaction() as session:
        user = await session.get(User, 42)
        assert user is not None and user.khoroo_number == 3
