"""Announcements, scheduling, cancelling, targeting and reminders through both real stacks.

The sender runs as the runtime's background worker, as in `khoroo-bot run`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.settings import Settings
from storage.contest import Contest, StageSpec
from storage.models import Announcement, Practice, User, utcnow
from tests.conftest import ADMIN_ID
from tests.runtime.harness import LiveBot
from tests.support.chat import grant_role

OFFICER, OTHER_DISTRICT, TRAINER = 7101, 7102, 7103


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Let the sender look at the outbox often, so the test does not wait for it."""
    return settings.model_copy(
        update={"sender_idle": 0.05, "sender_progress": 0.0, "contest_check": 0.1}
    )


async def register(
    live: LiveBot,
    user_id: int,
    district: str = "Баянгол",
    khoroo: str = "5",
    position: str = "Хорооны ажилтан",
) -> None:
    await live.say(user_id, "/start", first_name=f"U{user_id}")
    await live.press(user_id, "Монгол")
    await live.press(user_id, district)
    await live.say(user_id, khoroo)
    await live.press(user_id, position)


async def everyone(live: LiveBot) -> None:
    await register(live, ADMIN_ID)
    await register(live, OFFICER)
    await register(live, OTHER_DISTRICT, district="Хан-Уул", khoroo="3")
    await register(live, TRAINER, district="Хан-Уул", khoroo="3", position="Бусад")
    await grant_role(live.app, TRAINER, "trainer")  # granted by an admin, never chosen


def got(live: LiveBot, user_id: int, text: str) -> int:
    return sum(text in (m.text or "") for m in live.fake.sent_messages(user_id))


async def compose(live: LiveBot, text: str) -> None:
    await live.say(ADMIN_ID, "/announce")
    await live.say(ADMIN_ID, text)
    await live.press(ADMIN_ID, "Алгасах")


async def test_announce_now_to_everyone_with_progress(live: LiveBot):
    await everyone(live)
    await compose(live, "<b>Анхаар</b>: уралдаан эхэллээ")
    await live.press(ADMIN_ID, "Бүх хэрэглэгчид")
    await live.press(ADMIN_ID, "Одоо")
    preview = live.fake.sent_messages(ADMIN_ID)[-2]
    assert preview.raw_text == "<b>Анхаар</b>: уралдаан эхэллээ"
    assert "Хүлээн авагч: 4" in live.last_text(ADMIN_ID)
    confirm = live.with_button(ADMIN_ID, "Батлах")
    await live.press(ADMIN_ID, "Батлах")

    for user in (OFFICER, OTHER_DISTRICT, TRAINER):
        await live.fake.wait_for(lambda user=user: got(live, user, "уралдаан эхэллээ") == 1)
    await live.fake.wait_for(lambda: got(live, ADMIN_ID, "илгээж дууслаа") == 2)
    # The confirmed message itself became the progress report, ending as the summary.
    final = live.fake.message(ADMIN_ID, confirm.message_id)
    assert final is not None and "Хүргэсэн: 4 / 4" in final["text"]


async def test_schedule_list_and_cancel(live: LiveBot):
    await everyone(live)
    await compose(live, "Маргаашийн сургалт")
    await live.press(ADMIN_ID, "Бүх хэрэглэгчид")
    later = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%d 09:00")
    await live.say(ADMIN_ID, later)
    await live.press(ADMIN_ID, "Батлах")
    assert "товлолоо" in live.last_text(ADMIN_ID)
    await live.say(ADMIN_ID, "/announcements")
    assert "Маргаашийн сургалт" in live.last_text(ADMIN_ID)
    await live.press(ADMIN_ID, "цуцлах")
    assert "цуцлах уу?" in live.last_text(ADMIN_ID)  # one tap asks first
    await live.press(ADMIN_ID, "Тийм, цуцлах")
    assert "товлосон зарлал алга" in live.last_text(ADMIN_ID)
    async with live.app.database.transaction() as session:
        [announcement] = (await session.scalars(select(Announcement))).all()
    assert announcement.state == "cancelled"
    assert got(live, OFFICER, "Маргаашийн сургалт") == 0


async def test_only_the_chosen_district_and_role_receive(live: LiveBot):
    await everyone(live)
    await compose(live, "Хан-Уулын мэдээ")
    await live.press(ADMIN_ID, "Сонгосон дүүргүүд")
    await live.press(ADMIN_ID, "Хан-Уул")
    await live.press(ADMIN_ID, "Болсон")
    await live.press(ADMIN_ID, "Одоо")
    assert "Хүлээн авагч: 2" in live.last_text(ADMIN_ID)
    await live.press(ADMIN_ID, "Хүлээн авагч")
    await live.press(ADMIN_ID, "Албан тушаал, эрхээр")
    await live.press(ADMIN_ID, "Сургагч багш")
    await live.press(ADMIN_ID, "Болсон")
    assert "Хүлээн авагч: 1" in live.last_text(ADMIN_ID)
    await live.press(ADMIN_ID, "Батлах")

    await live.fake.wait_for(lambda: got(live, TRAINER, "Хан-Уулын мэдээ") == 1)
    await live.fake.wait_for(lambda: got(live, ADMIN_ID, "илгээж дууслаа") == 2)
    assert got(live, OTHER_DISTRICT, "Хан-Уулын мэдээ") == 0
    assert got(live, OFFICER, "Хан-Уулын мэдээ") == 0


async def test_stage_start_and_deadline_reminder(live: LiveBot):
    await everyone(live)
    now = utcnow()
    async with live.app.database.transaction() as session:
        district = (await session.get(User, OFFICER)).district_id  # type: ignore[union-attr]
        session.add(
            Practice(
                title="Ногоон хороо",
                district_id=district,
                khoroo_number=5,
                category="environment",
                status="submitted",
                year=now.year,
            )
        )
        await Contest(session).add(
            StageSpec(
                "Туршлага хүлээн авах",
                "Practice submission",
                "submission",
                now - timedelta(days=3),
                now + timedelta(hours=20),
                now.year,
            )
        )

    # Everyone hears that the stage started; only the officer of Хан-Уул 3, whose khoroo
    # has not submitted, is reminded of the deadline.
    for user in (ADMIN_ID, OFFICER, OTHER_DISTRICT, TRAINER):
        await live.fake.wait_for(
            lambda user=user: got(live, user, "Уралдааны шинэ үе шат эхэллээ") == 1
        )
    await live.fake.wait_for(lambda: got(live, OTHER_DISTRICT, "Сануулга") == 1)
    async with live.app.database.transaction() as session:
        kinds = sorted((await session.scalars(select(Announcement.kind))).all())
    assert kinds == ["reminder", "stage"]
    assert got(live, OFFICER, "Сануулга") == 0 and got(live, ADMIN_ID, "Сануулга") == 0
    assert got(live, TRAINER, "Сануулга") == 0


async def test_a_non_admin_is_refused(live: LiveBot):
    await register(live, OFFICER)
    await live.say(OFFICER, "/announce")
    assert "зөвхөн админ" in live.last_text(OFFICER)
    last = live.fake.last_message(OFFICER)
    assert last is not None
    await live.push(live.fake.user_presses(OFFICER, last, "ann:cancel:1", check=False))
    assert "зөвхөн админ" in live.last_text(OFFICER)
