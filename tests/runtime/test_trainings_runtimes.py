"""A training through the real aiogram and python-telegram-bot stacks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from bot.training_projector import TrainingPages
from storage.models import (
    Ballot,
    Evaluation,
    OpenAnswer,
    RoleGrant,
    RoomQuestion,
    RoomQuestionVote,
    Training,
    User,
    VoteSession,
)
from tests.fake_telegram import FakeTelegram, Upload
from tests.runtime.harness import LiveBot, live_bot

TRAINER, OFFICER, NEWCOMER, COLLEAGUE = 7101, 8101, 8102, 8103
PNG = b"\x89PNG\r\n\x1a\n"


async def seed(live: LiveBot) -> None:
    """Register the trainer (granted) and one officer directly; the newcomer stays unknown."""
    async with live.app.database.transaction() as session:
        for user_id in (TRAINER, OFFICER, COLLEAGUE):
            session.add(
                User(id=user_id, first_name=f"User{user_id}", language="mn", registered=True)
            )
        await session.flush()
        session.add(RoleGrant(user_id=TRAINER, role="trainer"))


async def test_a_training_checks_in_takes_answers_and_keeps_evaluation_to_attendees(live: LiveBot):
    fake = live.fake
    await seed(live)
    await live.say(TRAINER, "/training Хорооны хурлын арга зүй")
    async with live.app.database.transaction() as session:
        training = (await session.scalars(select(Training))).one()
    photo = fake.calls("sendPhoto")[-1]
    upload = photo.params["photo"]
    assert isinstance(upload, Upload) and upload.data.startswith(PNG)
    assert f"https://t.me/khoroo_test_bot?start=tr_{training.code}" in photo.params["caption"]

    replies = await live.say(OFFICER, f"/start tr_{training.code}")  # the deep link
    assert "сургалтад бүртгүүллээ" in replies[-1].text

    await live.press(TRAINER, "Асуулт асуух")
    await live.say(TRAINER, "Сайн засаглалыг нэг үгээр?")
    await live.receives(OFFICER, "Сайн засаглалыг нэг үгээр?")  # sent to the attendee
    replies = await live.say(OFFICER, "ил тодоор")
    assert "Хариулт тань бүртгэгдлээ" in replies[-1].text
    async with live.app.database.transaction() as session:
        answers = (await session.scalars(select(OpenAnswer))).all()
    assert [(a.user_id, a.text) for a in answers] == [(OFFICER, "ил тодоор")]
    await live.press(TRAINER, "Үгийн үүл")
    assert "ил тодоор — 1" in live.last_text(TRAINER)

    await live.press(TRAINER, "Үнэлгээ эхлүүлэх")
    assert "Үнэлэх" in (await live.receives(OFFICER, "Үнэлэх")).button_texts[0]
    # A newcomer who never checked in can neither check in now nor evaluate.
    replies = await live.say(NEWCOMER, training.code)
    assert "бүртгэл хаагдсан" in replies[-1].text
    replies = await live.say(NEWCOMER, f"/evaluate {training.code}")
    assert "зөвхөн сургалтад бүртгүүлсэн" in replies[-1].text
    await live.press(OFFICER, "Үнэлэх")
    assert "1/3" in live.last_text(OFFICER)
    answered = fake.calls("answerCallbackQuery")
    assert answered and all(call.ok for call in answered)


@pytest.fixture
async def aiogram(settings: Settings, fake: FakeTelegram) -> AsyncIterator[LiveBot]:
    """Run the bot on aiogram only: the whole training is long, one stack carries it."""
    async with live_bot("aiogram", settings, fake) as bot:
        yield bot


async def count(live: LiveBot, model: type) -> int:
    async with live.app.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_whole_training_through_aiogram(aiogram: LiveBot):
    live, fake = aiogram, aiogram.fake
    await seed(live)
    await live.say(TRAINER, "/training Иргэдийн оролцоо")
    async with live.app.database.transaction() as session:
        training = (await session.scalars(select(Training))).one()
    pages = TrainingPages(live.app, "mn")

    # Check-in: by the deep link and by the typed code (typed again: once is enough).
    await live.say(OFFICER, f"/start tr_{training.code}")
    replies = await live.say(COLLEAGUE, training.code.lower())
    assert "сургалтад бүртгүүллээ" in replies[-1].text
    await live.say(COLLEAGUE, training.code)
    assert "бүртгүүлсэн байна" in live.last_text(COLLEAGUE)

    # A vote inside the training: its results stay hidden until the trainer reveals them.
    await live.press(TRAINER, "Санал хураах")
    await live.say(TRAINER, "Аль арга илүү вэ?")
    for option in ("Хурал", "Цахим санал", "Өдөрлөг"):
        await live.say(TRAINER, option)
    for label in ("Болсон", "Нэг сонголт", "Нэргүй", "Гараар хаана", "Эхлүүлэх"):
        await live.press(TRAINER, label)
    await live.receives(OFFICER, "Аль арга илүү вэ?")
    await live.press(OFFICER, "Санал өгөх")
    await live.press(OFFICER, "Цахим санал")
    await live.receives(COLLEAGUE, "Санал өгөх")
    await live.press(COLLEAGUE, "Санал өгөх")
    await live.press(COLLEAGUE, "Цахим санал")
    assert await count(live, Ballot) == 2
    await live.press(COLLEAGUE, "📊 Дүн")
    hidden = fake.calls("answerCallbackQuery")[-1].params
    assert "хараахан нээгээгүй" in hidden["text"] and "2" in hidden["text"]
    state = await pages.state(training.id)
    assert state["vote"]["ballots"] == 2 and state["vote"]["show"] is False
    await live.press(TRAINER, "Дүнг нээх")
    async with live.app.database.transaction() as session:
        assert (await session.scalars(select(VoteSession))).one().live is True
    await live.press(COLLEAGUE, "📊 Дүн")
    assert "Цахим санал" in live.last_text(COLLEAGUE)
    assert (await pages.state(training.id))["vote"]["show"] is True

    # Open answers: typed in either script, one word in the cloud; the trainer hides one.
    await live.press(TRAINER, "Асуулт асуух")
    await live.say(TRAINER, "Оролцоог нэг үгээр?")
    await live.receives(COLLEAGUE, "Оролцоог нэг үгээр?")
    await live.say(OFFICER, "ил тод")
    await live.say(COLLEAGUE, "il tod")
    await live.say(COLLEAGUE, "=1+1 шалгалт")
    await live.press(TRAINER, "Үгийн үүл")
    assert "ил тод — 2" in live.last_text(TRAINER)
    await live.press(TRAINER, "🙈 3")
    assert [w["text"] for w in (await pages.state(training.id))["words"]] == ["ил тод"]

    # Questions from the room, upvoted by others once each; the trainer marks one answered.
    await live.press(OFFICER, "Сургагчаас асуух")
    await live.say(OFFICER, "Иргэдийг яаж татан оролцуулах вэ?")
    await live.press(COLLEAGUE, "Танхимын асуултууд")
    press = fake.user_presses(COLLEAGUE, live.with_button(COLLEAGUE, "👍 #1"), button="👍 #1")
    await live.push(press)
    fake.push_update(dict(press))  # Telegram delivers the same press again: no toggle back
    await live.push(press, times=2)
    assert await count(live, RoomQuestionVote) == 1
    await live.press(COLLEAGUE, "✅ #1")  # the ✅ button takes the upvote back
    assert await count(live, RoomQuestionVote) == 0
    await live.press(COLLEAGUE, "👍 #1")
    assert await count(live, RoomQuestionVote) == 1
    await live.press(TRAINER, "Танхимын асуултууд")
    assert "Иргэдийг яаж татан оролцуулах вэ? — 👍 1" in live.last_text(TRAINER)
    await live.press(TRAINER, "✅ #1")
    async with live.app.database.transaction() as session:
        assert (await session.scalars(select(RoomQuestion))).one().answered
    assert (await pages.state(training.id))["questions"][0]["votes"] == 1

    # The evaluation: only those who checked in; the trainer reads the means and comments.
    await live.press(TRAINER, "Үнэлгээ эхлүүлэх")
    replies = await live.say(NEWCOMER, f"/evaluate {training.code}")
    assert "зөвхөн сургалтад бүртгүүлсэн" in replies[-1].text
    for user_id, scores, comment in ((OFFICER, "545", "Хэрэгтэй"), (COLLEAGUE, "434", None)):
        await live.receives(user_id, "Үнэлэх")
        await live.press(user_id, "Үнэлэх")
        for score in scores:
            await live.press(user_id, score)
        if comment:
            await live.say(user_id, comment)
        else:
            await live.press(user_id, "Алгасах")
        assert "баярлалаа" in live.last_text(user_id)
    assert await count(live, Evaluation) == 2
    await live.press(TRAINER, "Үнэлгээний дүн")
    summary = live.last_text(TRAINER)
    assert "Үнэлсэн: 2" in summary and "Агуулга: 4.5" in summary
    assert "Сургагч багш: 3.5" in summary and "Хэрэгтэй" in summary
    answered = fake.calls("answerCallbackQuery")
    assert answered and all(call.ok for call in answered)


@pytest.fixture
async def ptb(settings: Settings, fake: FakeTelegram) -> AsyncIterator[LiveBot]:
    """Run the bot on python-telegram-bot only."""
    async with live_bot("ptb", settings, fake) as bot:
        yield bot


async def test_a_shorter_training_through_python_telegram_bot(ptb: LiveBot):
    live, fake = ptb, ptb.fake
    await seed(live)
    await live.say(TRAINER, "/training Богино сургалт")
    async with live.app.database.transaction() as session:
        training = (await session.scalars(select(Training))).one()
    for user_id in (OFFICER, COLLEAGUE):
        await live.say(user_id, f"/checkin {training.code}")

    await live.press(TRAINER, "Санал хураах")
    await live.say(TRAINER, "Тийм үү?")
    for option in ("Тийм", "Үгүй"):
        await live.say(TRAINER, option)
    for label in ("Болсон", "Нэг сонголт", "Нэргүй", "Гараар хаана", "Эхлүүлэх"):
        await live.press(TRAINER, label)
    await live.receives(OFFICER, "Санал өгөх")
    await live.press(OFFICER, "Санал өгөх")
    await live.press(OFFICER, "Тийм")
    await live.press(OFFICER, "📊 Дүн")
    assert "хараахан нээгээгүй" in fake.calls("answerCallbackQuery")[-1].params["text"]
    await live.press(TRAINER, "Дүнг нээх")
    await live.press(OFFICER, "📊 Дүн")
    assert "Тийм" in live.last_text(OFFICER) and "100%" in live.last_text(OFFICER)

    await live.press(COLLEAGUE, "Сургагчаас асуух")
    await live.say(COLLEAGUE, "Дараагийн сургалт хэзээ вэ?")
    await live.press(OFFICER, "Танхимын асуултууд")
    await live.press(OFFICER, "👍 #1")
    await live.press(TRAINER, "Танхимын асуултууд")
    assert "Дараагийн сургалт хэзээ вэ? — 👍 1" in live.last_text(TRAINER)

    await live.press(TRAINER, "Үнэлгээ эхлүүлэх")
    await live.receives(OFFICER, "Үнэлэх")
    await live.press(OFFICER, "Үнэлэх")
    for score in "555":
        await live.press(OFFICER, score)
    await live.press(OFFICER, "Алгасах")
    await live.press(TRAINER, "Үнэлгээний дүн")
    assert "Үнэлсэн: 1" in live.last_text(TRAINER)
    assert all(call.ok for call in fake.calls("answerCallbackQuery"))
