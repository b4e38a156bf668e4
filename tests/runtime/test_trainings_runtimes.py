"""A training through the real aiogram and python-telegram-bot stacks."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import OpenAnswer, RoleGrant, Training, User
from tests.fake_telegram import Upload
from tests.runtime.harness import LiveBot

TRAINER, OFFICER, NEWCOMER = 7101, 8101, 8102
PNG = b"\x89PNG\r\n\x1a\n"


async def seed(live: LiveBot) -> None:
    """Register the trainer (granted) and one officer directly; the newcomer stays unknown."""
    async with live.app.database.transaction() as session:
        for user_id in (TRAINER, OFFICER):
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
    assert "Сайн засаглалыг нэг үгээр?" in live.last_text(OFFICER)  # sent to the attendee
    replies = await live.say(OFFICER, "ил тодоор")
    assert "Хариулт тань бүртгэгдлээ" in replies[-1].text
    async with live.app.database.transaction() as session:
        answers = (await session.scalars(select(OpenAnswer))).all()
    assert [(a.user_id, a.text) for a in answers] == [(OFFICER, "ил тодоор")]
    await live.press(TRAINER, "Үгийн үүл")
    assert "ил тодоор — 1" in live.last_text(TRAINER)

    await live.press(TRAINER, "Үнэлгээ эхлүүлэх")
    assert "Үнэлэх" in live.with_button(OFFICER, "Үнэлэх").button_texts[0]
    # A newcomer who never checked in can neither check in now nor evaluate.
    replies = await live.say(NEWCOMER, training.code)
    assert "бүртгэл хаагдсан" in replies[-1].text
    replies = await live.say(NEWCOMER, f"/evaluate {training.code}")
    assert "зөвхөн сургалтад бүртгүүлсэн" in replies[-1].text
    await live.press(OFFICER, "Үнэлэх")
    assert "1/3" in live.last_text(OFFICER)
    answered = fake.calls("answerCallbackQuery")
    assert answered and all(call.ok for call in answered)
