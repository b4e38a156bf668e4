"""The admin's judging screens, the juror's comment and the khoroos' ranking, without Telegram."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.contest_admin import JudgingPress
from handlers.peer_ranking import RankPress
from storage.contest_judging import Judging
from storage.models import (
    Announcement,
    ContestComment,
    ContestJuror,
    ContestPeerRanking,
    ContestRound,
    RoleGrant,
    User,
)
from tests.conftest import ADMIN_ID
from tests.support.chat import Chat, register
from tests.support.library import share

YEAR = 2026


async def practices(app, khoroos=(5, 6, 7)) -> list[int]:
    return [
        await share(app, f"Туршлага {k}", district="bayangol", khoroo=k, year=YEAR) for k in khoroos
    ]


async def count(app, model) -> int:
    async with app.database.transaction() as session:
        return int(await session.scalar(select(func.count(model.id))) or 0)


async def test_an_admin_opens_rounds_and_grants_a_juror_by_username(app):
    admin = Chat(app, ADMIN_ID)
    await register(admin, khoroo="1")
    juror = Chat(app, 501)
    await register(juror, khoroo="5")
    async with app.database.transaction() as session:
        user = await session.get(User, 501)
        assert user is not None
        user.username = "shuugch"
    await practices(app)

    await admin.send(f"/judging {YEAR}")
    assert "2026 оны уралдааны шүүлт" in admin.last().text
    await admin.press("Дүүргийн шатуудыг нээх")
    assert "1 дүүрэгт шат нээх үү" in admin.last().text
    await admin.press("Тийм, нээх")
    assert "Баянгол дүүргийн шат (2026)" in admin.last().text
    await admin.press("Баянгол дүүргийн шат")
    assert "шүүгч томилогдоогүй" in admin.last().text
    await admin.press("Шүүгч нэмэх")
    replies = await admin.send("@nobody")
    assert any("олдсонгүй" in text for text in admin.texts(replies))
    await admin.send("@shuugch")
    assert "⏳" in admin.last().text and "0 / 2" in admin.last().text  # their khoroo's left out
    assert await count(app, ContestJuror) == 1
    assert await count(app, RoleGrant) == 1  # the juror role puts /jury in their menu
    await admin.press("Шалгуур")
    assert "Үр дүн, нөлөө" in admin.last().text and "30%" in admin.last().text

    # One tap reminds the jurors who have not finished, through the outbox.
    await admin.press("Дуусгаагүй шүүгчдэд сануулах (1)")
    assert "1 шүүгчид" in admin.notices[-1]
    async with app.database.transaction() as session:
        reminder = (await session.scalars(select(Announcement))).one()
        assert reminder.audience == {"kind": "users", "ids": [501]}


async def test_presses_of_a_non_admin_change_nothing(app):
    officer = Chat(app, 502)
    await register(officer, khoroo="9")
    await practices(app)
    async with app.database.transaction() as session:
        await Judging(session).open_year(YEAR)
        round_id = (await session.scalars(select(ContestRound.id))).one()
    await officer.send("/judging")
    assert "зөвхөн админ" in officer.last().text
    for action in ("closeok", "remind", "juror", "xlsx", "publishok"):
        await officer.press_data(JudgingPress(action, round_id).pack())  # type: ignore[arg-type]
        assert "зөвхөн админ" in officer.notices[-1]
    async with app.database.transaction() as session:
        assert (await Judging(session).round(round_id)).state == "open"


async def test_a_juror_comments_and_a_khoroo_ranks(app):
    juror = Chat(app, 503)
    await register(juror, khoroo="5")
    officer = Chat(app, 504)
    await register(officer, khoroo="6")
    ids = await practices(app)
    async with app.database.transaction() as session:
        judging = Judging(session)
        (contest_round,) = await judging.open_year(YEAR)
        await judging.grant_juror(contest_round.id, 503, None)
    await juror.send("/jury")
    await juror.press("Сэтгэгдэл")
    replies = await juror.send("Сайн <b>туршлага</b>")
    assert "Сэтгэгдэл хадгалагдлаа" in juror.texts(replies)[0]
    assert "Сайн &lt;b&gt;туршлага&lt;/b&gt;" in juror.last().text
    assert await count(app, ContestComment) == 1

    await officer.send("/rank")
    assert "Туршлага 6" not in " ".join(officer.last().labels())  # never their own
    await officer.press_data(RankPress("pick", contest_round.id, ids[1]).pack())
    assert "танай хороо эрэмбэлэхгүй" in officer.notices[-1]
    await officer.press("Туршлага 7")
    await officer.press("Туршлага 5")
    await officer.press("Эрэмбийг илгээх")
    assert "эрэмбэ бүртгэгдлээ" in officer.last().text
    assert await count(app, ContestPeerRanking) == 1
