"""The contest's core on a real database: settings, comments, peer ranking, progress and
reminders, closing with its announcements, published results, exports and `contest verify`."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.cli import main
from bot.contest_notices import close_round, publish_results, remind_jurors, results_text
from bot.loading import seed_units
from handlers.html import plain
from knowledge.contest import DEFAULT_RUBRIC, year_head
from storage.announcements import Announcements
from storage.contest_exports import round_chart, round_workbook
from storage.contest_files import CalendarFileError, read_judging
from storage.contest_judging import CAPITAL, DISTRICT, Judging, JudgingError
from storage.database import Database
from storage.models import Announcement, ContestRound, Delivery, Practice, User
from storage.peer_ranking import PeerRanking
from storage.units import Units

YEAR = 2026
ADMIN = 900
CODES = [c.code for c in DEFAULT_RUBRIC]
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
# Bayangol khoroos 1-4 have one practice each, written by that khoroo's officer 11-14;
# officer 15 is khoroo 1's second officer; 20 lives in khoroo 2 without a khoroo position.
OFFICERS = {11: 1, 12: 2, 13: 3, 14: 4, 15: 1}


async def populate(database: Database) -> dict[str, object]:
    """A Bayangol round of four practices (one formula-like title), two jurors from elsewhere."""
    async with database.transaction() as session:
        districts = {d.code: d for d in await Units(session).districts()}
        bg, sh = districts["bayangol"], districts["songinokhairkhan"]
        for user_id, khoroo in OFFICERS.items():
            session.add(
                User(
                    id=user_id,
                    first_name=f"officer{user_id}",
                    district_id=bg.id,
                    khoroo_number=khoroo,
                    position="officer",
                    registered=True,
                )
            )
        session.add(User(id=20, district_id=bg.id, khoroo_number=2, registered=True))
        # Juror 2 has announcements off: a reminder is about their duty and reaches them.
        for juror, subscribed in ((1, True), (2, False)):
            session.add(
                User(
                    id=juror,
                    district_id=sh.id,
                    khoroo_number=30 + juror,
                    registered=True,
                    subscribed=subscribed,
                )
            )
        await session.flush()
        practices = []
        for khoroo in (1, 2, 3, 4):
            practice = Practice(
                title="=HYPERLINK(1)" if khoroo == 4 else f"Practice {khoroo}",
                district_id=bg.id,
                khoroo_number=khoroo,
                category="environment",
                status="approved",
                year=YEAR,
                submitter_id=10 + khoroo,
            )
            session.add(practice)
            practices.append(practice)
        await session.flush()
        judging = Judging(session)
        await judging.set_settings(YEAR, DISTRICT, top_n=2, peer_share=20, actor_id=ADMIN)
        [opened] = await judging.open_year(YEAR, ADMIN)
        for juror in (1, 2):
            await judging.grant_juror(opened.id, juror, ADMIN)
    return {"round": opened.id, "practices": [p.id for p in practices], "district": bg.id}


async def mark_all(database: Database, round_id: int, juror: int, marks: dict[int, int]) -> None:
    """Give each practice the same mark on every criterion."""
    async with database.transaction() as session:
        judging = Judging(session)
        for practice, value in marks.items():
            for code in CODES:
                await judging.record_score(round_id, juror, practice, code, value)


@pytest.fixture
async def contest(app):
    return await populate(app.database)


async def test_settings_come_from_the_year_and_refuse_nonsense(app, contest):
    async with app.database.transaction() as session:
        judging = Judging(session)
        contest_round = await judging.round(contest["round"])
        assert (contest_round.top_n, contest_round.peer_share) == (2, 20)
        assert (await judging.settings(YEAR, CAPITAL)).top_n == 3  # the default
        changed = await judging.set_settings(YEAR, DISTRICT, normalise=True, actor_id=ADMIN)
        assert (changed.top_n, changed.peer_share, changed.normalise) == (2, 20, True)
        assert (await judging.round(contest["round"])).normalise  # the open round follows
        for wrong in ({"top_n": 0}, {"peer_share": 101}, {"peer_share": -1}):
            with pytest.raises(JudgingError, match="bad_settings"):
                await judging.set_settings(YEAR, DISTRICT, **wrong)
        with pytest.raises(JudgingError, match="bad_settings"):
            await judging.set_settings(YEAR, CAPITAL, peer_share=10)  # khoroos rank districts
        with pytest.raises(JudgingError, match="bad_settings"):
            await judging.settings(YEAR, "province")


def test_the_contest_file_sets_a_years_judging(tmp_path: Path):
    path = tmp_path / "contest.yaml"
    path.write_text(
        """
judging:
  - year: 2027
    district: {top_n: 4, peer_share: 25, normalise: true}
    capital: {top_n: 5, blind: true}
    rubric:
      - {code: impact, name_mn: "Үр дүн", name_en: Impact, description_mn: "Юу өөрчлөгдсөн бэ?",
         description_en: "What changed?", weight: 60}
      - {code: people, name_mn: "Оролцоо", name_en: Participation, weight: 40}
""",
        encoding="utf-8",
    )
    [spec] = read_judging(path)
    assert spec.year == 2027
    assert spec.settings == {
        "district": {"top_n": 4, "peer_share": 25, "normalise": True},
        "capital": {"top_n": 5, "blind": True},
    }
    assert spec.rubric is not None and [(c.code, c.weight) for c in spec.rubric] == [
        ("impact", 60),
        ("people", 40),
    ]
    assert (spec.rubric[0].scale_min, spec.rubric[0].scale_max) == (1, 5)
    for bad in (
        "judging: [{year: 2027, district: {top_n: three}}]",
        "judging: [{year: 2027, rubric: [{code: a, name_mn: A, name_en: A, weight: 0}]}]",
        "judging: [{year: 2027, rubric: [{code: 'a b', name_mn: A, name_en: A, weight: 5}]}]",
        "judging: [{year: 2027, jury: {}}]",
    ):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(CalendarFileError):
            read_judging(path)


def test_contest_import_applies_the_judging_section(database_url, monkeypatch, capsys, tmp_path):
    path = tmp_path / "contest.yaml"
    path.write_text(
        "stages: []\njudging:\n  - year: 2027\n    district: {top_n: 4, peer_share: 25}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["contest", "import", str(path)]) == 0
    assert "Judging 2027: district {'top_n': 4, 'peer_share': 25}; rubric kept" in (
        capsys.readouterr().out
    )
    assert main(["contest", "settings", "2027", "district", "--blind"]) == 0
    assert capsys.readouterr().out == (
        "2027 district: top 4, peer share 25%, normalise off, blind on\n"
    )
    assert main(["contest", "settings", "2027", "capital", "--peer-share", "5"]) == 2
    assert "refused: bad_settings" in capsys.readouterr().err


async def test_comments_are_chained_and_refused_where_marks_are(app, contest):
    round_id, practices = contest["round"], contest["practices"]
    async with app.database.transaction() as session:
        judging = Judging(session)
        first = await judging.set_comment(round_id, 1, practices[0], "  Сайн  ")
        same = await judging.set_comment(round_id, 1, practices[0], "Сайн")
        changed = await judging.set_comment(round_id, 1, practices[0], "Маш сайн")
        cleared = await judging.set_comment(round_id, 1, practices[1], "")
        assert (first.seq, same.changed, changed.seq, cleared.changed) == (1, False, 2, False)
        assert await judging.comment(round_id, 1, practices[0]) == "Маш сайн"
        await judging.set_comment(round_id, 2, practices[1], "Тодорхой биш")
        await judging.set_comment(round_id, 2, practices[1], None)
        assert [(c.juror, c.practice, c.text) for c in await judging.comments(round_id)] == [
            (1, practices[0], "Маш сайн")
        ]
        log = await judging.log(round_id)
        assert [(e.kind, e.comment) for e in log] == [
            ("comment", "Сайн"),
            ("comment", "Маш сайн"),
            ("comment", "Тодорхой биш"),
            ("comment", None),
        ]
        for who, practice, words, reason in (
            (20, practices[0], "x", "not_juror"),
            (1, practices[0], "x" * 1001, "comment_too_long"),
        ):
            with pytest.raises(JudgingError, match=reason):
                await judging.set_comment(round_id, who, practice, words)
        assert all(check.intact for check in await judging.verify(YEAR))


async def test_a_khoroo_ranks_the_others_and_its_last_officer_replaces_its_ranking(app, contest):
    round_id, (p1, p2, p3, p4) = contest["round"], contest["practices"]
    async with app.database.transaction() as session:
        peers = PeerRanking(session)
        assert await peers.ballot(round_id, 11) == [p2, p3, p4]  # never its own
        assert [r.id for r in await peers.rounds_for(11)] == [round_id]
        assert await peers.rounds_for(20) == [] and await peers.rounds_for(1) == []
        for who, order, reason in (
            (20, [p1, p3, p4], "not_officer"),  # lives there, no khoroo position
            (1, [p1, p2, p3], "not_officer"),  # another district's
            (12, [p1, p3], "bad_ranking"),  # incomplete
            (12, [p1, p2, p3, p4], "bad_ranking"),  # its own practice
            (12, [p1, p1, p3], "bad_ranking"),  # repeated
        ):
            with pytest.raises(JudgingError, match=reason):
                await peers.submit(round_id, who, order)
        assert (await peers.submit(round_id, 11, [p2, p3, p4])).seq == 1
        assert (await peers.submit(round_id, 11, [p2, p3, p4])).changed is False
        await peers.submit(round_id, 12, [p1, p3, p4])
        await peers.submit(round_id, 15, [p4, p3, p2])  # khoroo 1's other officer
        rankings = await peers.rankings(round_id)
        assert [(r.khoroo_number, r.officer_id, r.order) for r in rankings] == [
            (1, 15, [p4, p3, p2]),
            (2, 12, [p1, p3, p4]),
        ]
        assert (await peers.ranking_of(round_id, 11)) == rankings[0]
        # Borda over (p4 p3 p2) and (p1 p3 p4): p1 100, p2 0, p3 50, p4 (100 + 0) / 2.
        assert await peers.scores(round_id) == {p1: 100.0, p2: 0.0, p3: 50.0, p4: 50.0}
        log = await Judging(session).log(round_id)
        assert [(e.kind, e.juror) for e in log] == [("peer", 11), ("peer", 12), ("peer", 15)]
        assert all(check.intact for check in await Judging(session).verify(YEAR))


async def test_the_peer_share_counts_in_the_total_and_is_shown_beside_the_jury(app, contest):
    round_id, (p1, p2, p3, p4) = contest["round"], contest["practices"]
    await mark_all(app.database, round_id, 1, {p1: 4, p2: 4, p3: 3, p4: 2})
    async with app.database.transaction() as session:
        await PeerRanking(session).submit(round_id, 11, [p3, p2, p4])
        await PeerRanking(session).submit(round_id, 13, [p2, p1, p4])
        result = await Judging(session).results(round_id)
    by_practice = {s.practice: s for s in result.standings}
    # p2: jury 80, peer (50 + 100) / 2 = 75 → 0.8 · 80 + 0.2 · 75 = 79; p1: 80 and 50 → 74.
    assert by_practice[p2].total == pytest.approx(79.0)
    assert by_practice[p1].total == pytest.approx(74.0)
    assert (by_practice[p1].jury_total, by_practice[p1].peer_score) == (80.0, 50.0)
    assert [s.practice for s in result.standings] == [p2, p1, p3, p4]
    assert result.rankings == 2 and result.peer[p3] == 100.0


async def test_progress_names_the_unfinished_and_one_call_reminds_them(app, contest):
    round_id, practices = contest["round"], contest["practices"]
    await mark_all(app.database, round_id, 1, dict.fromkeys(practices, 3))
    await mark_all(app.database, round_id, 2, {practices[0]: 4})
    async with app.database.transaction() as session:
        judging = Judging(session)
        progress = await judging.progress(round_id)
        assert [(p.juror, p.scored, p.total, p.finished) for p in progress] == [
            (1, 4, 4, True),
            (2, 1, 4, False),
        ]
        assert await judging.unfinished(round_id) == [2]
        reminder = await remind_jurors(session, app.services.catalogue, round_id, NOW, ADMIN)
        assert reminder is not None and reminder.audience == {"kind": "users", "ids": [2]}
        assert "/jury" in reminder.text and "Баянгол" in reminder.text
        started = await Announcements(session).start_due(NOW)
        assert [a.recipients for a in started] == [1]
        chats = (await session.scalars(select(Delivery.chat_id))).all()
        assert chats == [2]  # not subscribed to announcements, reminded all the same
    await mark_all(app.database, round_id, 2, dict.fromkeys(practices, 3))
    async with app.database.transaction() as session:
        assert await remind_jurors(session, app.services.catalogue, round_id, NOW) is None


async def test_closing_announces_advancing_and_winners_and_publishing_shows_the_head(app, contest):
    round_id, (p1, p2, p3, p4) = contest["round"], contest["practices"]
    await mark_all(app.database, round_id, 1, {p1: 5, p2: 4, p3: 2, p4: 1})
    catalogue = app.services.catalogue
    async with app.database.transaction() as session:
        with pytest.raises(JudgingError, match="no_capital_round"):
            await results_text(session, catalogue, YEAR)
        closing = await close_round(session, catalogue, round_id, NOW, ADMIN)
        assert closing.advanced == [p1, p2]
        announcements = list(
            (await session.scalars(select(Announcement).order_by(Announcement.id))).all()
        )
        assert [a.audience for a in announcements] == [
            {"kind": "officers", "districts": [contest["district"]]},
            {"kind": "users", "ids": [11]},
            {"kind": "users", "ids": [12]},
        ]
        assert "Practice 1" in announcements[0].text and "Practice 3" not in announcements[0].text
        assert "нийслэлийн шатанд шалгарлаа" in announcements[1].text
        await Announcements(session).start_due(NOW)
        officers = (
            await session.scalars(
                select(Delivery.chat_id).where(Delivery.announcement_id == announcements[0].id)
            )
        ).all()
        assert sorted(officers) == [11, 12, 13, 14, 15]  # not user 20, not the jurors
        capital = closing.capital_round_id
        assert capital is not None
        with pytest.raises(JudgingError, match="capital_open"):
            await results_text(session, catalogue, YEAR)
        await Judging(session).grant_juror(capital, 1, ADMIN)
    await mark_all(app.database, capital, 1, {p1: 3, p2: 5})
    async with app.database.transaction() as session:
        closing = await close_round(session, catalogue, capital, NOW, ADMIN)
        assert closing.winners == [p2, p1]
        winners = (
            await session.scalars(
                select(Announcement).where(Announcement.id > announcements[-1].id)
            )
        ).all()
        assert [a.audience for a in winners] == [
            {"kind": "officers", "districts": [contest["district"]]},
            {"kind": "users", "ids": [12]},
            {"kind": "users", "ids": [11]},
        ]
        assert "1-р байр" in winners[1].text
        published = await publish_results(session, catalogue, YEAR, NOW, ADMIN)
        head = await Judging(session).year_head(YEAR)
        rounds = (await session.scalars(select(ContestRound.id).order_by(ContestRound.id))).all()
        heads = {r: await Judging(session).head(r) for r in rounds}
    assert published.audience == {"kind": "all"}
    assert head == year_head(heads) and head in published.text and head in published.text_en
    assert plain(published.text).index("Practice 2") < plain(published.text).index("Practice 1")


async def test_the_workbook_has_totals_jurors_comments_and_the_head_and_runs_no_formula(
    app, contest
):
    from openpyxl import load_workbook

    round_id, (p1, p2, p3, p4) = contest["round"], contest["practices"]
    await mark_all(app.database, round_id, 1, {p1: 5, p2: 4, p3: 2, p4: 1})
    async with app.database.transaction() as session:
        await Judging(session).set_comment(round_id, 1, p4, "=1+1 бол сайн")
        await PeerRanking(session).submit(round_id, 11, [p2, p3, p4])
        workbook_bytes = await round_workbook(session, round_id, "en")
        chart = await round_chart(session, round_id, "mn")
        head = await Judging(session).head(round_id)
    workbook = load_workbook(io.BytesIO(workbook_bytes))
    assert workbook.sheetnames == ["totals", "juror 1", "juror 2", "peer", "chain"]
    totals = [[c.value for c in row] for row in workbook["totals"].iter_rows()]
    assert totals[0][:8] == [
        "Rank",
        "Practice id",
        "Title",
        "District",
        "Khoroo",
        "Total (weighted, of 100)",
        "Jury total (of 100)",
        "Peer score (of 100)",
    ]
    # Peer share 20%: p1 (jury 100, not ranked by khoroo 1, its own: the neutral 50) 90;
    # p2 (jury 80, ranked first by khoroo 1) 0.8 · 80 + 0.2 · 100 = 84.
    assert [row[:3] for row in totals[1:3]] == [[1, p1, "Practice 1"], [2, p2, "Practice 2"]]
    assert totals[1][5:8] == [90.0, 100.0, None] and totals[2][5:8] == [84.0, 80.0, 100.0]
    assert totals[4][2] == "'=HYPERLINK(1)"  # text, never a formula
    assert all(cell.data_type == "s" for cell in workbook["totals"]["C"][1:])
    juror = [[c.value for c in row] for row in workbook["juror 1"].iter_rows()]
    assert juror[2][:2] == [p1, "Practice 1"] and juror[5][-1] == "'=1+1 бол сайн"
    chain = {row[0].value: row[1].value for row in workbook["chain"].iter_rows()}
    assert chain["Chain head (round)"] == head
    assert chart.startswith(b"\x89PNG")


def test_contest_verify_names_the_entry_behind_an_edited_score_comment_or_ranking(
    database_url, monkeypatch, capsys, tmp_path
):
    async def prepare() -> dict[str, object]:
        database = Database(database_url)
        try:
            await seed_units(database)
            found = await populate(database)
            practices = found["practices"]
            await mark_all(database, found["round"], 1, {practices[1]: 4})  # entries 1-5
            async with database.transaction() as session:
                await Judging(session).set_comment(found["round"], 1, practices[1], "Сайн")
                await PeerRanking(session).submit(found["round"], 11, practices[1:])
            return found
        finally:
            await database.dispose()

    async def tamper(statement: str) -> None:
        database = Database(database_url)
        try:
            async with database.transaction() as session:
                await session.execute(text(statement))
        finally:
            await database.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["contest", "verify", str(YEAR)]) == 0
    out = capsys.readouterr().out
    assert "7 entries" in out and "Year 2026 digest: " in out and "Chain intact." in out

    # The score in force is edited; the log is not: verify names the entry that set it.
    asyncio.run(tamper("UPDATE contest_scores SET value = 5 WHERE criterion = 'innovation'"))
    assert main(["contest", "verify", str(YEAR)]) == 1
    out = capsys.readouterr().out
    assert "innovation: log 4 (entry 3), scores 5" in out and "TAMPERED" in out
    # 0.8 · 80 + 0.2 · 100 = 84 from the log; the tables' innovation 5 gives 0.8 · 83 + 20.
    assert "total of practice 2: log 84.00, tables 86.40" in out
    asyncio.run(tamper("UPDATE contest_scores SET value = 4 WHERE criterion = 'innovation'"))
    assert main(["contest", "verify", str(YEAR)]) == 0
    capsys.readouterr()

    asyncio.run(tamper("UPDATE contest_comments SET text = 'Муу'"))
    asyncio.run(tamper("UPDATE contest_peer_rankings SET ranking = '[4, 3, 2]'"))
    assert main(["contest", "verify", str(YEAR)]) == 1
    out = capsys.readouterr().out
    assert "comment of juror 1 on practice 2 differs (entry 6)" in out
    assert "ranking of khoroo 1" in out and "differs (entry 7)" in out

    # The ranking's log entry itself is edited: the chain says which entry was altered.
    asyncio.run(
        tamper("UPDATE contest_score_log SET data = REPLACE(data, '[2,', '[3,') WHERE seq = 7")
    )
    assert main(["contest", "verify", str(YEAR)]) == 1
    assert "altered entry 7" in capsys.readouterr().out


def test_an_operator_exports_reminds_and_publishes_from_the_command_line(
    database_url, monkeypatch, capsys, tmp_path
):
    async def prepare() -> dict[str, object]:
        database = Database(database_url)
        try:
            await seed_units(database)
            found = await populate(database)
            await mark_all(database, found["round"], 1, dict.fromkeys(found["practices"], 3))
            return found
        finally:
            await database.dispose()

    found = asyncio.run(prepare())
    round_id = found["round"]
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["contest", "progress", str(round_id)]) == 0
    assert capsys.readouterr().out == "juror 1: 4 / 4\njuror 2: 0 / 4  (not finished)\n"
    assert main(["contest", "remind", str(round_id)]) == 0
    assert "queued for jurors 2." in capsys.readouterr().out
    sheet, chart = tmp_path / "round.xlsx", tmp_path / "round.png"
    assert (
        main(["contest", "export", str(round_id), "--xlsx", str(sheet), "--chart", str(chart)]) == 0
    )
    assert sheet.read_bytes().startswith(b"PK") and chart.read_bytes().startswith(b"\x89PNG")
    assert main(["contest", "publish", str(YEAR)]) == 2
    assert "refused: no_capital_round" in capsys.readouterr().err
    assert main(["contest", "close", str(round_id)]) == 0
    assert "Advanced to round" in capsys.readouterr().out


async def test_an_admin_sees_who_the_contests_notices_go_to(app, contest):
    from tests.conftest import ADMIN_ID
    from tests.support.chat import Chat, register

    round_id, practices = contest["round"], contest["practices"]
    await mark_all(app.database, round_id, 1, {practices[0]: 5})
    async with app.database.transaction() as session:
        await remind_jurors(session, app.services.catalogue, round_id, NOW)
        await close_round(session, app.services.catalogue, round_id, NOW, ADMIN)
    boss = Chat(app, ADMIN_ID, first_name="Админ")
    await register(boss)
    await boss.send("/announcements")
    listing = plain(boss.last().text)
    assert "Нэрлэсэн 2 хэрэглэгч" in listing  # the reminder to jurors 1 and 2
    assert "Баянгол дүүргийн хорооны ажилтнууд" in listing


async def test_a_sheet_leaves_out_exactly_what_own_practice_calls_ones_own(app, contest):
    round_id = contest["round"]
    async with app.database.transaction() as session:
        session.add(User(id=30, registered=True))  # no khoroo in the profile
        practice = await session.get(Practice, contest["practices"][2])
        assert practice is not None
        practice.submitter_id = 30  # written by someone of no khoroo
        await session.flush()
        judging = Judging(session)
        for user in (1, 11, 12, 15, 20, 30, 999):
            expected = [
                p
                for p in await judging.practices(round_id)
                if not await judging.own_practice(user, p)
            ]
            assert await judging.sheet(round_id, user) == expected, user
        assert (
            len(await judging.sheet(round_id, 30)) == 3 and await judging.sheet(round_id, 999) == []
        )
