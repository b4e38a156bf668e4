"""The contest calendar: dates, /contest, admins' stages, the import, and the notices."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.contest_notices import contest_notices
from handlers.html import plain
from storage.announcements import Announcements
from storage.contest import Contest, StageSpec
from storage.contest_files import read_stages
from storage.localtime import parse_moment
from storage.models import Announcement, ContestStage, Practice, User
from tests.conftest import ADMIN_ID
from tests.support.chat import Chat, register

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Ulaanbaatar
SUBMISSION = StageSpec(
    "Сайн туршлага хүлээн авах",
    "Practice submission",
    "submission",
    datetime(2026, 2, 28, 16, 0, tzinfo=UTC),  # 1 March 00:00 local
    datetime(2026, 3, 31, 15, 59, tzinfo=UTC),  # 31 March 23:59 local
    2026,
)
DISTRICT = StageSpec(
    "Дүүргийн шат",
    "District round",
    "district",
    datetime(2026, 4, 1, 1, 0, tzinfo=UTC),
    datetime(2026, 4, 30, 15, 59, tzinfo=UTC),
    2026,
)


@pytest.fixture
def clocked(app):
    app.services.clock = lambda: NOW
    return app


async def calendar(app, *specs: StageSpec) -> None:
    async with app.database.transaction() as session:
        await Contest(session).upsert(specs or (SUBMISSION, DISTRICT))


async def notices(app, now: datetime, days=(7, 1)) -> list[Announcement]:
    async with app.database.transaction() as session:
        return await contest_notices(session, app.services.catalogue, now, days)


async def all_announcements(app) -> list[Announcement]:
    async with app.database.transaction() as session:
        return list((await session.scalars(select(Announcement).order_by(Announcement.id))).all())


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2026-03-01", False, datetime(2026, 2, 28, 16, 0, tzinfo=UTC)),
        ("2026.03.01", True, datetime(2026, 3, 1, 15, 59, tzinfo=UTC)),
        ("2026.3.1 09:30", False, datetime(2026, 3, 1, 1, 30, tzinfo=UTC)),
        (" 2026/03/01 18.00 ", True, datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
    ],
)
def test_dates_are_read_in_ulaanbaatar_time(text, end, expected):
    assert parse_moment(text, end_of_day=end) == expected


@pytest.mark.parametrize("text", ["01.03.2026", "2026-13-01", "2026-02-30", "маргааш", ""])
def test_dates_that_are_not_dates_are_refused(text):
    with pytest.raises(ValueError):
        parse_moment(text)


async def test_contest_shows_the_stage_what_to_do_and_the_deadline(clocked):
    await calendar(clocked)
    officer = Chat(clocked, 101)
    await register(officer)
    await officer.send("/contest")
    text = plain(officer.last().text)
    assert "Одоогийн үе шат: Сайн туршлага хүлээн авах" in text
    assert "Туршлага илгээх" in text
    assert "Эцсийн хугацаа: 2026 оны 3-р сарын 31 (үлдсэн 21 хоног)" in text
    assert "Дараагийн үе шат: Дүүргийн шат, 2026 оны 4-р сарын 1, 09:00" in text


async def test_contest_without_a_calendar_says_so(clocked):
    officer = Chat(clocked, 101)
    await register(officer)
    await officer.send("/contest")
    assert "хуанли одоогоор зарлагдаагүй" in plain(officer.last().text)


async def test_an_admin_adds_a_stage_step_by_step(clocked):
    boss = Chat(clocked, ADMIN_ID)
    await register(boss)
    await boss.send("/stages")
    assert "Үе шат бүртгэгдээгүй" in plain(boss.last().text)
    await boss.press("Үе шат нэмэх")
    await boss.send("Сайн туршлага хүлээн авах")
    await boss.send("Practice submission")
    await boss.press("Туршлага хүлээн авах")
    refusal = boss.texts(await boss.send("01/03/2026"))
    assert "Огноог ойлгосонгүй" in refusal[0]
    await boss.send("2026.03.01")
    refusal = boss.texts(await boss.send("2026-02-01"))
    assert "эхлэх огнооноос" in refusal[0]
    saved = boss.texts(await boss.send("2026-03-31"))
    assert "«Сайн туршлага хүлээн авах» үе шатыг хадгаллаа." in saved[0]
    listing = plain(boss.last().text)
    assert "Сайн туршлага хүлээн авах" in listing
    assert "2026 оны 3-р сарын 1 – 2026 оны 3-р сарын 31" in listing
    async with clocked.database.transaction() as session:
        [stage] = await Contest(session).stages()
    assert stage.starts_at == SUBMISSION.starts_at and stage.ends_at == SUBMISSION.ends_at
    assert stage.year == 2026 and stage.kind == "submission"

    await boss.press("1-р үе шатыг устгах")
    async with clocked.database.transaction() as session:
        assert await Contest(session).stages() == []


async def test_non_admins_cannot_touch_the_calendar(clocked):
    await calendar(clocked)
    officer = Chat(clocked, 101)
    await register(officer)
    await officer.send("/stages")
    assert "зөвхөн админ" in plain(officer.last().text)
    async with clocked.database.transaction() as session:
        stage_id = (await Contest(session).stages())[0].id
    await officer.press_data(f"stages:del:{stage_id}")
    async with clocked.database.transaction() as session:
        assert len(await Contest(session).stages()) == 2


async def test_a_stage_start_is_announced_once(clocked):
    await calendar(clocked)
    first = await notices(clocked, NOW)
    assert [a.kind for a in first] == ["stage"]  # 21 days before the deadline: no reminder
    stage_announcements = [a for a in first if a.kind == "stage"]
    assert len(stage_announcements) == 1
    assert "Сайн туршлага хүлээн авах" in stage_announcements[0].text
    assert "Practice submission" in (stage_announcements[0].text_en or "")
    # Again later (a restart), and twice at once (two processes): nothing new.
    assert [a for a in await notices(clocked, NOW + timedelta(hours=1)) if a.kind == "stage"] == []
    both = await asyncio.gather(notices(clocked, NOW), notices(clocked, NOW))
    assert [a for batch in both for a in batch if a.kind == "stage"] == []
    # The next stage is announced when it starts, not before.
    later = await notices(clocked, DISTRICT.starts_at + timedelta(minutes=1))
    assert next(a.text for a in later if a.kind == "stage").count("Дүүргийн шат") == 1
    assert len([a for a in await all_announcements(clocked) if a.kind == "stage"]) == 2


async def test_a_stage_that_ended_while_the_bot_was_down_is_not_announced(clocked):
    await calendar(clocked, SUBMISSION)
    assert await notices(clocked, SUBMISSION.ends_at + timedelta(days=1)) == []


async def test_reminders_before_the_deadline_go_once_each_to_khoroos_without_a_practice(clocked):
    await calendar(clocked, SUBMISSION)
    submitted, waiting, trainer = Chat(clocked, 101), Chat(clocked, 102), Chat(clocked, 103)
    await register(submitted, khoroo="5")
    await register(waiting, khoroo="7")
    await register(trainer, khoroo="7", position="Бусад", grant="trainer")
    async with clocked.database.transaction() as session:
        district = (await session.get(User, 101)).district_id  # type: ignore[union-attr]
        session.add(
            Practice(
                title="Ногоон",
                district_id=district,
                khoroo_number=5,
                category="environment",
                status="approved",
                year=2026,
            )
        )

    ten_days = SUBMISSION.ends_at - timedelta(days=10)
    assert [a.kind for a in await notices(clocked, ten_days)] == ["stage"]
    six_days = SUBMISSION.ends_at - timedelta(days=6, hours=12)
    [week] = await notices(clocked, six_days)
    assert week.kind == "reminder" and "үлдсэн 7 хоног" in week.text
    assert week.audience == {"kind": "not_submitted", "year": 2026}
    async with clocked.database.transaction() as session:
        assert await Announcements(session).count_recipients(week.audience) == 1  # only 102
    assert await notices(clocked, six_days + timedelta(hours=5)) == []
    [day] = await notices(clocked, SUBMISSION.ends_at - timedelta(hours=20))
    assert "үлдсэн 1 хоног" in day.text and "1 day left" in (day.text_en or "")
    assert await notices(clocked, SUBMISSION.ends_at - timedelta(hours=2)) == []
    assert await notices(clocked, SUBMISSION.ends_at + timedelta(hours=2)) == []


async def test_a_late_start_sends_only_the_nearest_reminder(clocked):
    await calendar(clocked, SUBMISSION)
    found = await notices(clocked, SUBMISSION.ends_at - timedelta(hours=10))
    assert [a.kind for a in found] == ["stage", "reminder"]
    assert await notices(clocked, SUBMISSION.ends_at - timedelta(hours=9)) == []


def test_calendar_file_import_upserts_by_year_and_name(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_TOKEN", "DATABASE_URL", "ADMIN_IDS", "TELEGRAM_API_URL"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "stages.yaml"
    path.write_text(
        "- {name_mn: Хүлээн авах, name_en: Submission, kind: submission,"
        " starts_at: '2026-03-01', ends_at: '2026.03.31'}\n"
        "- {name_mn: Дүүргийн шат, name_en: District round, kind: district,"
        " starts_at: 2026-04-01 09:00, ends_at: 2026-04-30}\n",
        encoding="utf-8",
    )
    assert main(["contest", "import", str(path)]) == 0
    assert "2 added, 0 updated" in capsys.readouterr().out
    path.write_text(
        '[{"name_mn": "Хүлээн авах", "name_en": "Practice submission", "kind": "submission",'
        ' "starts_at": "2026-03-01", "ends_at": "2026-04-05"}]',
        encoding="utf-8",
    )
    assert main(["contest", "import", str(path)]) == 0
    assert "0 added, 1 updated" in capsys.readouterr().out
    [first, second] = read_stages(tmp_path / "stages.yaml") + read_stages(
        _yaml(
            tmp_path, "- {name_mn: Б, name_en: B, starts_at: 2026-04-01 09:00, ends_at: 2026-04-30}"
        )
    )
    assert first.ends_at == datetime(2026, 4, 5, 15, 59, tzinfo=UTC)
    assert second.starts_at == datetime(2026, 4, 1, 1, 0, tzinfo=UTC) and second.kind == "other"

    bad = _yaml(tmp_path, "- {name_mn: Б, name_en: B, starts_at: '01.04.2026', ends_at: x}")
    assert main(["contest", "import", str(bad)]) == 2
    assert "stage 1: starts_at" in capsys.readouterr().err


def _yaml(folder: Path, text: str) -> Path:
    path = folder / "more.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_stage_model_names(clocked):
    await calendar(clocked, SUBMISSION)
    async with clocked.database.transaction() as session:
        stage = (await session.scalars(select(ContestStage))).one()
    assert stage.name("en") == "Practice submission" and stage.name("mn") == SUBMISSION.name_mn


async def test_the_faq_timeline_answer_ends_with_the_live_calendar(clocked):
    officer = Chat(clocked, 102)
    await register(officer)
    await calendar(clocked)
    await officer.press_data("faqt:contest-timeline")
    text = plain(officer.last().text)
    assert text.startswith("Уралдааны")  # the curated answer first,
    assert "Одоогийн үе шат: Сайн туршлага хүлээн авах" in text  # then the live calendar
