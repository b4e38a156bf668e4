"""A whole contest through the real aiogram stack (and a short one through python-telegram-bot).

Practices and users are put in through storage, as registration and submission have their
own tests; the judging itself goes through the bot: the admin opens the rounds and grants
the jurors, jurors score on their sheets, khoroos rank each other, the admin closes the
rounds, the sender delivers the announcements, and `contest verify` checks the chain.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select, update

from bot.cli import cmd_contest_verify
from bot.settings import Settings
from handlers.jury import JuryComment, JuryFiles, JuryMark
from handlers.peer_ranking import RankPress
from storage.models import (
    ContestEntry,
    ContestRound,
    ContestScore,
    ContestScoreLog,
    PracticeAttachment,
    User,
)
from storage.units import Units
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram, Upload
from tests.runtime.harness import LiveBot, live_bot
from tests.support.library import share

YEAR = 2026
NEXT = "Дараагийн туршлага"
# Marks that put a district's practices strictly in the order of their khoroo numbers: each
# step from khoroo k to k + 1 raises exactly one of the first three criteria by one.
CRITERIA = 5


def marks_for(khoroo: int) -> list[int]:
    """Return the five marks every juror gives the practice of this khoroo (1..10)."""
    return [1 + (khoroo - 1) // 3, 1 + khoroo // 3, 1 + (khoroo + 1) // 3, 3, 3]


@dataclass
class Contest:
    """Who is who: the practices by district and khoroo, the jurors and the officers."""

    districts: dict[str, int] = field(default_factory=dict)  # code -> district id
    practices: dict[tuple[str, int], int] = field(default_factory=dict)
    khoroo_of: dict[int, int] = field(default_factory=dict)  # practice -> khoroo number
    officers: dict[tuple[str, int], int] = field(default_factory=dict)
    jurors: dict[str, list[int]] = field(default_factory=dict)
    capital_jurors: list[int] = field(default_factory=list)


def title(code: str, khoroo: int) -> str:
    return f"{code.capitalize()} {khoroo}-р хорооны туршлага"


async def seed(
    live: LiveBot, codes: tuple[str, ...], per_district: int, jurors: int, capital: int
) -> Contest:
    """Store officers, their khoroos' approved practices of the year, and future jurors."""
    contest = Contest()
    async with live.app.database.transaction() as session:
        districts = {d.code: d for d in await Units(session).districts()}
        session.add(User(id=ADMIN_ID, first_name="Admin", language="mn", registered=True))
        for index, code in enumerate(codes):
            contest.districts[code] = districts[code].id
            for khoroo in range(1, per_district + 1):
                officer = 10_000 + index * 100 + khoroo
                contest.officers[(code, khoroo)] = officer
                session.add(
                    User(
                        id=officer,
                        first_name=f"Officer{officer}",
                        language="mn",
                        district_id=districts[code].id,
                        khoroo_number=khoroo,
                        position="officer",
                        registered=True,
                    )
                )
            # Jurors: two work in khoroos with a practice (1 and 2), one in a khoroo without.
            contest.jurors[code] = []
            for number, khoroo in enumerate((1, 2, 40)[:jurors]):
                juror = 20_000 + index * 100 + number
                contest.jurors[code].append(juror)
                session.add(
                    User(
                        id=juror,
                        first_name=f"Juror{juror}",
                        username=f"juror{juror}",
                        language="mn",
                        district_id=districts[code].id,
                        khoroo_number=khoroo,
                        position="officer",
                        registered=True,
                    )
                )
        for number in range(capital):
            juror = 30_000 + number
            contest.capital_jurors.append(juror)
            session.add(
                User(
                    id=juror,
                    first_name=f"Capital{juror}",
                    username=f"capital{juror}",
                    language="mn",
                    position="other",
                    registered=True,
                )
            )
    for code in codes:
        for khoroo in range(1, per_district + 1):
            practice = await share(
                live.app,
                title(code, khoroo),
                district=code,
                khoroo=khoroo,
                year=YEAR,
                submitter=contest.officers[(code, khoroo)],
            )
            contest.practices[(code, khoroo)] = practice
            contest.khoroo_of[practice] = khoroo
    return contest


async def admin_opens_rounds(live: LiveBot, expected: int) -> list[ContestRound]:
    """The admin opens the year's district rounds from /judging (with a confirmation)."""
    await live.say(ADMIN_ID, f"/judging {YEAR}")
    await live.press(ADMIN_ID, "Дүүргийн шатуудыг нээх")
    assert f"{expected} дүүрэгт шат нээх үү" in live.last_text(ADMIN_ID)
    await live.press(ADMIN_ID, "Тийм, нээх")
    async with live.app.database.transaction() as session:
        rounds = list((await session.scalars(select(ContestRound).order_by(ContestRound.id))).all())
    assert len(rounds) == expected
    return rounds


async def admin_grants(live: LiveBot, round_label: str, users: list[int]) -> None:
    """The admin adds jurors to a round by @username from the round's screen."""
    await live.say(ADMIN_ID, f"/judging {YEAR}")
    await live.press(ADMIN_ID, round_label)
    for user in users:
        await live.press(ADMIN_ID, "Шүүгч нэмэх")
        replies = await live.say(ADMIN_ID, f"@{'capital' if user >= 30_000 else 'juror'}{user}")
        assert any("шүүгчээр нэмэгдлээ" in (r.text or "") for r in replies), [
            r.text for r in replies
        ]
        told = live.fake.sent_messages(user)
        assert any("шүүгчээр томилогдлоо" in (m.text or "") for m in told)


def sheet_practice(message: dict) -> tuple[int, int]:
    """Return the (round, practice) a sheet message shows, from its mark buttons."""
    for row in message["reply_markup"]["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data", "")
            if data.startswith("jurym:"):
                _, round_id, practice, *_ = data.split(":")
                return int(round_id), int(practice)
    raise AssertionError(f"no marks on {message.get('text')!r}")


async def score_sheet(live: LiveBot, juror: int, marks: Callable[[int], list[int]]) -> int:
    """Score every practice on the juror's sheet, row by row with the real buttons."""
    fake = live.fake
    await live.say(juror, "/jury")
    sheet = live.with_button(juror, NEXT)
    seen: set[int] = set()
    while True:
        current = fake.message(juror, sheet.message_id)
        assert current is not None
        round_id, practice = sheet_practice(current)
        if practice in seen:
            return len(seen)
        seen.add(practice)
        for index, value in enumerate(marks(practice)):
            data = JuryMark(round_id, practice, str(index), str(value)).pack()  # type: ignore[arg-type]
            await live.push(fake.user_presses(juror, sheet, data))
        await live.push(fake.user_presses(juror, sheet, button=NEXT))


async def rank_khoroos(live: LiveBot, officer: int, order: list[str]) -> None:
    """An officer ranks the other khoroos' practices, best first, and sends the ranking."""
    replies = await live.say(officer, "/rank")
    assert "эрэмбэлэх" in (replies[-1].text or "")
    for name in order:
        await live.press(officer, name)
    await live.press(officer, "Эрэмбийг илгээх")
    assert "эрэмбэ бүртгэгдлээ" in live.last_text(officer)


async def log_entries(live: LiveBot) -> int:
    async with live.app.database.transaction() as session:
        return int(await session.scalar(select(func.count(ContestScoreLog.id))) or 0)


async def told(live: LiveBot, user: int, words: str) -> None:
    """Wait until the user has received a message with these words (the sender paces them)."""
    await live.fake.wait_for(
        lambda: any(words in (m.text or "") for m in live.fake.sent_messages(user)), timeout=20
    )


def last_answer(fake: FakeTelegram) -> str:
    return str(fake.calls("answerCallbackQuery")[-1].params.get("text", ""))


async def verify(settings: Settings, fake: FakeTelegram, capsys: pytest.CaptureFixture) -> int:
    """Run `khoroo-bot contest verify YEAR` against the bot's database."""
    capsys.readouterr()
    return await cmd_contest_verify(argparse.Namespace(year=YEAR), settings)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Send announcements without pacing: the test waits for them."""
    return settings.model_copy(
        update={"sender_rate": 1000.0, "sender_idle": 0.2, "sender_progress": 0.0}
    )


async def test_a_whole_contest_on_aiogram(
    settings: Settings, fake: FakeTelegram, capsys: pytest.CaptureFixture
):
    codes = ("bayangol", "bayanzurkh", "sukhbaatar")
    async with live_bot("aiogram", settings, fake) as live:
        contest = await seed(live, codes, per_district=10, jurors=3, capital=2)
        # One practice has a photo: a juror asks for it.
        photo = fake.register_file(b"\xff\xd8\xff\xe0fake-jpeg", "photo")
        async with live.app.database.transaction() as session:
            session.add(
                PracticeAttachment(
                    practice_id=contest.practices[("bayangol", 5)], kind="photo", file_id=photo
                )
            )
        rounds = await admin_opens_rounds(live, 3)
        by_district = {r.district_id: r for r in rounds}
        for code in codes:
            round_label = f"{name_of(code)} дүүргийн шат"
            await admin_grants(live, round_label, contest.jurors[code])

        # The refusals: a forged mark, a stranger, a juror's own khoroo, a closed-off value.
        bayangol = by_district[contest.districts["bayangol"]]
        juror = contest.jurors["bayangol"][0]  # works in khoroo 1
        await live.say(juror, "/jury")
        sheet = live.with_button(juror, NEXT)
        own = contest.practices[("bayangol", 1)]
        other = contest.practices[("bayangol", 5)]
        forged = [
            (juror, JuryMark(bayangol.id, own, "0", "5"), "Өөрийн хорооны"),
            (juror, JuryMark(bayangol.id, other, "0", "9"), "1-5"),
            (juror, JuryMark(bayangol.id, other, "7", "3"), "шалгуур"),
            (
                contest.officers[("bayangol", 7)],
                JuryMark(bayangol.id, other, "0", "5"),
                "шүүгч биш",
            ),
            (contest.jurors["sukhbaatar"][0], JuryMark(bayangol.id, other, "0", "5"), "шүүгч биш"),
        ]
        for user, press, refusal in forged:
            await live.push(fake.user_presses(user, sheet, press.pack(), check=False))
            assert refusal in last_answer(fake), (press, last_answer(fake))
        assert await log_entries(live) == 0

        # A duplicated delivery of a press counts once: the mark changed after it stays.
        first = JuryMark(bayangol.id, other, "0", "2").pack()  # type: ignore[arg-type]
        await live.push(fake.user_presses(juror, sheet, button=NEXT))  # wherever it shows
        update_2 = fake.user_presses(juror, sheet, first, check=False)
        await live.push(update_2)
        await live.push(
            fake.user_presses(
                juror, sheet, JuryMark(bayangol.id, other, "0", "3").pack(), check=False
            )
        )
        fake.push_update(dict(update_2))  # Telegram delivers the first press again
        await live.push(update_2, times=2)
        async with live.app.database.transaction() as session:
            marked = await session.scalar(
                select(ContestScore.value).where(
                    ContestScore.juror_id == juror,
                    ContestScore.practice_id == other,
                    ContestScore.criterion == "results_impact",
                )
            )
        assert marked == 3 and await log_entries(live) == 2

        # The juror asks for the photo and comments on a practice.
        await live.say(juror, "/jury")
        photos = len(fake.calls("sendPhoto"))
        sheet = live.with_button(juror, NEXT)
        await live.push(
            fake.user_presses(juror, sheet, JuryFiles(bayangol.id, other).pack(), check=False)
        )
        sent = (await fake.wait_for_calls("sendPhoto", photos + 1))[-1]
        assert sent.params["photo"] == photo
        await live.push(
            fake.user_presses(juror, sheet, JuryComment(bayangol.id, other).pack(), check=False)
        )
        assert "сэтгэгдлээ бичнэ үү" in live.last_text(juror)
        replies = await live.say(juror, "Иргэдийн оролцоо <сайн> & тогтвортой")
        assert "Сэтгэгдэл хадгалагдлаа" in replies[0].text
        assert "Иргэдийн оролцоо <сайн> & тогтвортой" in live.last_text(juror)

        # Every juror scores their sheet, side by side.
        def by_khoroo(practice: int) -> list[int]:
            return marks_for(contest.khoroo_of[practice])

        scored = await asyncio.gather(
            *(score_sheet(live, j, by_khoroo) for code in codes for j in contest.jurors[code])
        )
        assert scored == [9, 9, 10] * 3  # a juror never sees their own khoroo's practice

        # Khoroos rank the others' practices (their own is never on the ballot).
        for code in codes:
            for khoroo in (1, 4, 10):
                order = [title(code, k) for k in range(10, 0, -1) if k != khoroo]
                await rank_khoroos(live, contest.officers[(code, khoroo)], order)
        stranger = contest.officers[("sukhbaatar", 3)]
        forged_rank = RankPress("pick", bayangol.id, other).pack()
        await live.push(fake.user_presses(stranger, sheet, forged_rank, check=False))
        assert "зөвхөн тухайн дүүргийн" in last_answer(fake)
        own_rank = RankPress("pick", bayangol.id, contest.practices[("bayangol", 4)]).pack()
        officer = contest.officers[("bayangol", 4)]
        await live.push(fake.user_presses(officer, sheet, own_rank, check=False))
        assert "танай хороо эрэмбэлэхгүй" in last_answer(fake)

        # The admin sees everyone finished, gets the results and files, and closes the rounds.
        await live.say(ADMIN_ID, f"/judging {YEAR}")
        await live.press(ADMIN_ID, "Баянгол дүүргийн шат")
        screen = live.last_text(ADMIN_ID)
        assert "@juror20000 · 20000: 9 / 9" in screen
        assert "@juror20002 · 20002: 10 / 10" in screen
        await live.press(ADMIN_ID, "Дүн")
        results = live.last_text(ADMIN_ID)
        assert results.index(title("bayangol", 10)) < results.index(title("bayangol", 9))
        assert "Кендаллын W): 1.00" in results and "хороодын эрэмбэ" in results
        documents = len(fake.calls("sendDocument"))
        await live.press(ADMIN_ID, "XLSX")
        workbook = (await fake.wait_for_calls("sendDocument", documents + 1))[-1].params["document"]
        assert isinstance(workbook, Upload) and workbook.data.startswith(b"PK")
        photos = len(fake.calls("sendPhoto"))
        await live.press(ADMIN_ID, "График")
        chart = (await fake.wait_for_calls("sendPhoto", photos + 1))[-1].params["photo"]
        assert isinstance(chart, Upload) and chart.data.startswith(b"\x89PNG")

        for code in codes:
            await live.say(ADMIN_ID, f"/judging {YEAR}")
            await live.press(ADMIN_ID, f"{name_of(code)} дүүргийн шат")
            await live.press(ADMIN_ID, "Шатыг хаах")
            assert "хаах уу?" in live.last_text(ADMIN_ID)
            await live.press(ADMIN_ID, "Тийм, хаах")
        async with live.app.database.transaction() as session:
            capital = (
                await session.scalars(select(ContestRound).where(ContestRound.level == "capital"))
            ).one()
            advanced = set(
                (
                    await session.scalars(
                        select(ContestEntry.practice_id).where(ContestEntry.round_id == capital.id)
                    )
                ).all()
            )
        assert advanced == {contest.practices[(c, k)] for c in codes for k in (8, 9, 10)}
        # A closed round takes no more marks.
        await live.push(fake.user_presses(juror, sheet, first, check=False))
        assert "хаагдсан" in last_answer(fake)

        # The capital round: two jurors, then the winners.
        await admin_grants(live, "Нийслэлийн шат", contest.capital_jurors)
        scored = await asyncio.gather(
            *(score_sheet(live, j, by_khoroo) for j in contest.capital_jurors)
        )
        assert scored == [9, 9]
        await live.say(ADMIN_ID, f"/judging {YEAR}")
        await live.press(ADMIN_ID, "Нийслэлийн шат")
        await live.press(ADMIN_ID, "Шатыг хаах")
        await live.press(ADMIN_ID, "Тийм, хаах")
        results = live.last_text(ADMIN_ID)
        assert "Нийслэлийн шат (2026): дүн" in results
        assert results.index("10-р хорооны") < results.index("8-р хорооны")

        # The sender delivers the announcements: the district's officers heard what advanced,
        # the authors of advancing practices and of the winners were told.
        for code in codes:
            await told(live, contest.officers[(code, 2)], "хаагдлаа")
            await told(live, contest.officers[(code, 8)], "нийслэлийн шатанд шалгарлаа")
            await told(live, contest.officers[(code, 10)], "байр эзэллээ")

        # Publishing the results goes to everyone, after a confirmation.
        await live.say(ADMIN_ID, f"/judging {YEAR}")
        await live.press(ADMIN_ID, "Дүнг бүгдэд нийтлэх")
        assert "нийтлэх үү" in live.last_text(ADMIN_ID)
        await live.press(ADMIN_ID, "Тийм, нийтлэх")
        await told(live, contest.capital_jurors[0], "уралдааны дүн")
        await told(live, contest.officers[("sukhbaatar", 5)], "уралдааны дүн")

        # The chain verifies; one score edited in the database breaks it.
        assert await verify(settings, fake, capsys) == 0
        assert "Chain intact." in capsys.readouterr().out
        async with live.app.database.transaction() as session:
            await session.execute(
                update(ContestScore)
                .where(ContestScore.juror_id == contest.jurors["bayanzurkh"][0])
                .where(ContestScore.practice_id == contest.practices[("bayanzurkh", 5)])
                .where(ContestScore.criterion == "innovation")
                .values(value=5)
            )
        assert await verify(settings, fake, capsys) == 1
        assert "TAMPERED" in capsys.readouterr().out
        # Put back, it verifies again; an entry of the log itself edited breaks the chain.
        async with live.app.database.transaction() as session:
            await session.execute(
                update(ContestScore)
                .where(ContestScore.juror_id == contest.jurors["bayanzurkh"][0])
                .where(ContestScore.practice_id == contest.practices[("bayanzurkh", 5)])
                .where(ContestScore.criterion == "innovation")
                .values(value=marks_for(5)[2])
            )
        assert await verify(settings, fake, capsys) == 0
        async with live.app.database.transaction() as session:
            await session.execute(
                update(ContestScoreLog)
                .where(ContestScoreLog.round_id == bayangol.id, ContestScoreLog.seq == 1)
                .values(value=4)
            )
        assert await verify(settings, fake, capsys) == 1
        assert "altered entry 1" in capsys.readouterr().out


def name_of(code: str) -> str:
    return {"bayangol": "Баянгол", "bayanzurkh": "Баянзүрх", "sukhbaatar": "Сүхбаатар"}[code]


async def test_a_short_contest_on_python_telegram_bot(settings: Settings, fake: FakeTelegram):
    async with live_bot("ptb", settings, fake) as live:
        contest = await seed(live, ("bayangol",), per_district=4, jurors=2, capital=1)
        await admin_opens_rounds(live, 1)
        await admin_grants(live, "Баянгол дүүргийн шат", contest.jurors["bayangol"])

        def by_khoroo(practice: int) -> list[int]:
            return marks_for(contest.khoroo_of[practice])

        assert await asyncio.gather(
            *(score_sheet(live, j, by_khoroo) for j in contest.jurors["bayangol"])
        ) == [3, 3]
        await rank_khoroos(
            live, contest.officers[("bayangol", 3)], [title("bayangol", k) for k in (4, 2, 1)]
        )
        await live.say(ADMIN_ID, f"/judging {YEAR}")
        await live.press(ADMIN_ID, "Баянгол дүүргийн шат")
        await live.press(ADMIN_ID, "Шатыг хаах")
        await live.press(ADMIN_ID, "Тийм, хаах")
        await admin_grants(live, "Нийслэлийн шат", contest.capital_jurors)
        assert await score_sheet(live, contest.capital_jurors[0], by_khoroo) == 3
        await live.say(ADMIN_ID, f"/judging {YEAR}")
        await live.press(ADMIN_ID, "Нийслэлийн шат")
        await live.press(ADMIN_ID, "Шатыг хаах")
        await live.press(ADMIN_ID, "Тийм, хаах")
        results = live.last_text(ADMIN_ID)
        assert results.index(title("bayangol", 4)) < results.index(title("bayangol", 3))
        await told(live, contest.officers[("bayangol", 4)], "байр эзэллээ")
