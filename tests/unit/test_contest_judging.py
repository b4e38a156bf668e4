"""Judging in the database: rounds, refusals, the score chain, advancing, `contest verify`."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from bot.cli import main
from bot.loading import seed_units
from knowledge.contest import DEFAULT_RUBRIC
from storage.contest_judging import Judging, JudgingError
from storage.database import Database
from storage.models import ContestCriterion, ContestScoreLog, Practice, User
from storage.units import Units

YEAR = 2026
ADMIN = 900
CODES = [c.code for c in DEFAULT_RUBRIC]


async def populate(database: Database) -> dict[str, object]:
    """Two districts with four approved practices each, jurors, and a few that must not enter."""
    async with database.transaction() as session:
        districts = {d.code: d for d in await Units(session).districts()}
        sh, bg = districts["songinokhairkhan"], districts["bayangol"]
        ids: dict[str, list[int]] = {"sh": [], "bg": []}
        for key, district in (("sh", sh), ("bg", bg)):
            for number in range(1, 5):
                practice = Practice(
                    title=f"{key}-{number}",
                    district_id=district.id,
                    khoroo_number=number,
                    category="environment",
                    status="approved" if number % 2 else "selected",
                    year=YEAR,
                )
                session.add(practice)
                await session.flush()
                ids[key].append(practice.id)
        # Not in the round: a draft, another year, another district's.
        for status, year in (("draft", YEAR), ("approved", YEAR - 1)):
            session.add(
                Practice(
                    title="out",
                    district_id=sh.id,
                    khoroo_number=9,
                    category="environment",
                    status=status,
                    year=year,
                )
            )
        # Jurors 1-3 for Songinokhairkhan (juror 3 lives in its khoroo 1), 4 for the capital.
        for user_id, district, khoroo in ((1, bg, 20), (2, bg, 21), (3, sh, 1), (4, bg, 22)):
            session.add(
                User(id=user_id, district_id=district.id, khoroo_number=khoroo, registered=True)
            )
        session.add(User(id=5, registered=True))
        await session.flush()
        judging = Judging(session)
        round_sh = await judging.open_district_round(YEAR, sh.id, actor_id=ADMIN, top_n=2)
        round_bg = await judging.open_district_round(YEAR, bg.id, actor_id=ADMIN, top_n=2)
        for juror in (1, 2, 3):
            await judging.grant_juror(round_sh.id, juror, ADMIN)
    return {"sh": ids["sh"], "bg": ids["bg"], "round_sh": round_sh.id, "round_bg": round_bg.id}


async def score_sheet(database: Database, round_id: int, juror: int, marks: dict[int, int]):
    """Give each practice the same mark on every criterion."""
    async with database.transaction() as session:
        judging = Judging(session)
        for practice, mark in marks.items():
            for code in CODES:
                await judging.record_score(round_id, juror, practice, code, mark)


@pytest.fixture
async def contest(app):
    return await populate(app.database)


async def test_a_district_round_takes_the_districts_approved_practices_of_the_year(app, contest):
    async with app.database.transaction() as session:
        judging = Judging(session)
        assert await judging.practices(contest["round_sh"]) == contest["sh"]
        assert await judging.practices(contest["round_bg"]) == contest["bg"]
        codes = (
            await session.scalars(
                select(ContestCriterion.code)
                .where(ContestCriterion.year == YEAR)
                .order_by(ContestCriterion.position)
            )
        ).all()
        assert codes == CODES
        with pytest.raises(JudgingError, match="round_exists"):
            round_ = await judging.round(contest["round_sh"])
            await judging.open_district_round(YEAR, round_.district_id)


@pytest.mark.parametrize(
    ("who", "where", "criterion", "value", "reason"),
    [
        (5, "sh", "innovation", 3, "not_juror"),
        (4, "sh", "innovation", 3, "not_juror"),  # a juror of no round here
        (1, "bg", "innovation", 3, "not_in_round"),
        (3, "sh", "innovation", 3, "own_khoroo"),  # juror 3 lives in khoroo 1
        (1, "sh", "innovation", 6, "out_of_scale"),
        (1, "sh", "innovation", 0, "out_of_scale"),
        (1, "sh", "beauty", 3, "unknown_criterion"),
    ],
)
async def test_scores_the_rules_refuse_leave_no_trace(
    app, contest, who, where, criterion, value, reason
):
    practice = contest[where][0]  # type: ignore[index]
    async with app.database.transaction() as session:
        with pytest.raises(JudgingError) as refused:
            await Judging(session).record_score(
                contest["round_sh"], who, practice, criterion, value
            )
        assert refused.value.reason == reason
        assert await session.scalar(select(func.count(ContestScoreLog.id))) == 0


async def test_each_score_and_change_is_chained_once(app, contest):
    round_id, practice = contest["round_sh"], contest["sh"][1]
    async with app.database.transaction() as session:
        judging = Judging(session)
        first = await judging.record_score(round_id, 1, practice, "innovation", 4, "Шинэлэг")
        again = await judging.record_score(round_id, 1, practice, "innovation", 4, "Шинэлэг")
        change = await judging.record_score(round_id, 1, practice, "innovation", 2)
        assert (first.seq, again.changed, change.seq) == (1, False, 2)
        log = await judging.log(round_id)
        assert [(e.value, e.comment) for e in log] == [(4, "Шинэлэг"), (2, None)]
        assert log[1].prev_hash == log[0].hash
        [check, _other] = await judging.verify(YEAR)
        assert check.intact and check.head == log[1].hash


async def test_a_closed_round_refuses_scores(app, contest):
    async with app.database.transaction() as session:
        await Judging(session).close_round(contest["round_bg"], ADMIN)
    async with app.database.transaction() as session:
        with pytest.raises(JudgingError, match="closed"):
            await Judging(session).close_round(contest["round_bg"], ADMIN)
        await Judging(session).grant_juror(contest["round_bg"], 1, ADMIN)
        with pytest.raises(JudgingError, match="closed"):
            await Judging(session).record_score(
                contest["round_bg"], 1, contest["bg"][0], "innovation", 3
            )


async def test_closing_advances_the_top_n_to_the_capital_round(app, contest):
    sh = contest["sh"]
    await score_sheet(
        app.database, contest["round_sh"], 1, {sh[0]: 2, sh[1]: 5, sh[2]: 4, sh[3]: 1}
    )
    await score_sheet(
        app.database, contest["round_sh"], 2, {sh[0]: 3, sh[1]: 4, sh[2]: 5, sh[3]: 1}
    )
    async with app.database.transaction() as session:
        judging = Judging(session)
        result = await judging.results(contest["round_sh"])
        assert [s.practice for s in result.standings] == [sh[1], sh[2], sh[0], sh[3]]
        assert result.agreement == pytest.approx(0.9)  # rank sums 3, 3, 6, 8: S = 18 of 20
        assert result.means[sh[1]]["innovation"] == 4.5
        closing = await judging.close_round(contest["round_sh"], ADMIN)
        assert closing.advanced == [sh[1], sh[2]]
        assert await judging.practices(closing.capital_round_id) == sorted([sh[1], sh[2]])
        await judging.grant_juror(closing.capital_round_id, 4, ADMIN)
    async with app.database.transaction() as session:
        judging = Judging(session)
        closing_bg = await judging.close_round(contest["round_bg"], ADMIN)  # nobody scored
        assert closing_bg == type(closing_bg)(
            advanced=[], capital_round_id=closing.capital_round_id, round_id=contest["round_bg"]
        )
        await judging.record_score(closing.capital_round_id, 4, sh[2], "efficiency", 5)
        capital = await judging.close_round(closing.capital_round_id, ADMIN)
        assert (capital.advanced, capital.winners) == ([], [sh[2]])
        assert all(check.intact for check in await judging.verify(YEAR))


def test_contest_verify_passes_then_names_an_edited_and_a_removed_row(
    database_url, monkeypatch, capsys
):
    async def prepare() -> int:
        database = Database(database_url)
        try:
            await seed_units(database)
            found = await populate(database)
            sh = found["sh"]
            await score_sheet(database, found["round_sh"], 1, {sh[0]: 2, sh[1]: 5, sh[2]: 4})
            return int(found["round_sh"])  # type: ignore[call-overload]
        finally:
            await database.dispose()

    async def tamper(statement: str) -> None:
        database = Database(database_url)
        try:
            async with database.transaction() as session:
                await session.execute(text(statement))
        finally:
            await database.dispose()

    round_id = asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["contest", "verify", str(YEAR)]) == 0
    out = capsys.readouterr().out
    assert f"Round {round_id} " in out and "15 entries, head " in out and "Chain intact." in out

    asyncio.run(
        tamper(f"UPDATE contest_score_log SET value = 1 WHERE round_id = {round_id} AND seq = 7")
    )
    assert main(["contest", "verify", str(YEAR)]) == 1
    out = capsys.readouterr().out
    assert "altered entry 7" in out and "score differs from the log" in out and "TAMPERED" in out

    asyncio.run(
        tamper(f"UPDATE contest_score_log SET value = 5 WHERE round_id = {round_id} AND seq = 7")
    )
    assert main(["contest", "verify", str(YEAR)]) == 0
    capsys.readouterr()
    asyncio.run(tamper(f"DELETE FROM contest_score_log WHERE round_id = {round_id} AND seq = 4"))
    assert main(["contest", "verify", str(YEAR)]) == 1
    assert "removed entry 4" in capsys.readouterr().out


def test_an_operator_runs_a_round_from_the_command_line(database_url, monkeypatch, capsys):
    async def prepare() -> list[int]:
        database = Database(database_url)
        try:
            await seed_units(database)
            async with database.transaction() as session:
                districts = {d.code: d for d in await Units(session).districts()}
                practices = [
                    Practice(
                        title=f"p{n}",
                        district_id=districts["bayangol"].id,
                        khoroo_number=n,
                        category="environment",
                        status="approved",
                        year=YEAR,
                    )
                    for n in (1, 2)
                ]
                session.add_all(practices)
                session.add(User(id=7, registered=True))
                await session.flush()
                return [p.id for p in practices]
        finally:
            await database.dispose()

    async def mark(practice: int, value: int) -> None:
        database = Database(database_url)
        try:
            await score_sheet(database, 1, 7, {practice: value})
        finally:
            await database.dispose()

    first, second = asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["contest", "open", str(YEAR), "--top", "1"]) == 0
    assert capsys.readouterr().out == "Round 1: bayangol, 2 practices\n"
    assert main(["contest", "open", str(YEAR)]) == 0
    assert "No district" in capsys.readouterr().out
    assert main(["contest", "juror", "1", "7"]) == 0
    assert "now a juror" in capsys.readouterr().out
    asyncio.run(mark(second, 4))
    assert main(["contest", "results", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[1:3] == [
        f"1. practice {second}: 80.00",
        f"2. practice {first}: not scored",
    ]
    assert main(["contest", "close", "1"]) == 0
    assert f"Advanced to round 2: {second}" in capsys.readouterr().out
    assert main(["contest", "close", "1"]) == 2
    assert "refused: closed" in capsys.readouterr().err
