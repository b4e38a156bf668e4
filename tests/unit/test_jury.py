"""The juror's score sheet: their own order, marks by button, refusals of forged presses."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.jury import JuryMark, JuryOpen
from storage.contest_judging import Judging
from storage.models import ContestScore, ContestScoreLog, User
from tests.support.chat import Chat, register
from tests.support.library import share

YEAR = 2026


async def open_round(app, juror: int) -> tuple[int, list[int]]:
    """Open Bayangol's round with four practices (one of the juror's khoroo 5)."""
    ids = [
        await share(app, f"Туршлага {k}", district="bayangol", khoroo=k, year=YEAR)
        for k in (5, 6, 7, 8)
    ]
    async with app.database.transaction() as session:
        district = (await session.get(User, juror)).district_id  # type: ignore[union-attr]
        judging = Judging(session)
        contest_round = await judging.open_district_round(YEAR, district, blind=True)
        await judging.grant_juror(contest_round.id, juror, None)
    return contest_round.id, ids


async def marks(app) -> int:
    async with app.database.transaction() as session:
        return int(await session.scalar(select(func.count(ContestScoreLog.id))) or 0)


async def test_a_juror_scores_a_practice_row_by_row(app):
    juror = Chat(app, 301)
    await register(juror, khoroo="5")
    await open_round(app, 301)

    await juror.send("/jury")
    sheet = juror.last()
    assert "0 / 3" in sheet.text  # their own khoroo's practice is not on the sheet
    assert "Туршлага 5" not in sheet.text
    assert "Баянгол" not in sheet.text  # a blind round hides the place
    assert "Үр дүн, нөлөө" in sheet.text and "(30%)" in sheet.text
    assert sheet.labels()[:5] == ["1", "2", "3", "4", "5"]
    assert len(sheet.buttons) == 7  # five criteria, the comment, then the way on

    for row in range(5):
        button = juror.last().buttons[row][3]
        await juror.press_data(button.data or "", juror.last().message_id)
    assert "1 / 3" in juror.last().text
    assert juror.last().labels()[3] == "✅ 4"
    assert await marks(app) == 5

    # Changing a mark is chained too; pressing the same mark again changes nothing.
    first_row = juror.last().buttons[0]
    await juror.press_data(first_row[1].data or "", juror.last().message_id)
    await juror.press_data(first_row[1].data or "", juror.last().message_id)
    assert await marks(app) == 6
    async with app.database.transaction() as session:
        assert all(c.intact for c in await Judging(session).verify(YEAR))

    await juror.press("Дараагийн туршлага")
    assert "1 / 3" in juror.last().text


async def test_forged_presses_and_strangers_are_refused(app):
    juror = Chat(app, 302)
    await register(juror, khoroo="5")
    stranger = Chat(app, 303)
    await register(stranger, khoroo="9")
    round_id, ids = await open_round(app, 302)
    await juror.send("/jury")

    await juror.press_data(JuryMark(round_id, ids[0], "0", "5").pack())
    assert "Өөрийн хорооны" in juror.notices[-1]
    await juror.press_data(JuryMark(round_id, ids[1], "0", "9").pack())
    assert "1-5" in juror.notices[-1]
    await juror.press_data(JuryMark(round_id, ids[1], "7", "3").pack())
    assert "шалгуур" in juror.notices[-1]
    await juror.press_data(JuryOpen(round_id, ids[0]).pack())
    assert "оролцохгүй" in juror.notices[-1]
    await juror.press_data(JuryMark(round_id + 1, ids[1], "0", "3").pack())
    assert "олдсонгүй" in juror.notices[-1]

    await stranger.send("/jury")
    assert "үнэлэх уралдааны шат алга" in stranger.last().text
    await stranger.press_data(JuryMark(round_id, ids[1], "0", "3").pack())
    assert "шүүгч биш" in stranger.notices[-1]
    async with app.database.transaction() as session:
        assert await session.scalar(select(func.count(ContestScore.id))) == 0
    assert await marks(app) == 0


async def test_the_sheet_says_when_everything_is_scored(app):
    juror = Chat(app, 302)
    await register(juror, khoroo="5")
    await open_round(app, 302)
    await juror.send("/jury")
    for practice in range(3):
        assert "Бүгдийг үнэллээ" not in juror.last().text
        for row in range(5):
            button = juror.last().buttons[row][4]
            await juror.press_data(button.data or "", juror.last().message_id)
        if practice < 2:
            await juror.press("Дараагийн туршлага")
    assert "3 / 3" in juror.last().text and "Бүгдийг үнэллээ" in juror.last().text
