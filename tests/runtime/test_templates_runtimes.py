"""Templates and nudges through the real aiogram and python-telegram-bot stacks.

A trainer clones a vote, keeps its question in the bank and starts it again, resets a vote
for the next group, reminds the silent participants of a training with one tap (delivered by
the outbox sender), and the officers of a vote's khoroos get one reminder before it closes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from storage.models import (
    ArchivedBallot,
    Ballot,
    BankQuestion,
    District,
    RoleGrant,
    Training,
    User,
    VoteSession,
)
from tests.runtime.harness import LiveBot

TRAINER = 7301
PEOPLE = [8301, 8302, 8303]
QUESTION = "Аль туршлагыг нутагшуулах вэ?"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Let the sender look at the outbox often, so the test does not wait for it."""
    return settings.model_copy(update={"sender_idle": 0.05, "sender_progress": 0.0})


async def seed(live: LiveBot, khoroo: int = 5) -> int:
    """Register the trainer (granted) and the officers of one khoroo directly."""
    async with live.app.database.transaction() as session:
        district = await session.scalar(select(District).where(District.name_mn == "Баянгол"))
        assert district is not None
        for user_id in [TRAINER, *PEOPLE]:
            session.add(
                User(
                    id=user_id,
                    first_name=f"User{user_id}",
                    language="mn",
                    district_id=district.id,
                    khoroo_number=khoroo,
                    position="officer",
                    registered=True,
                )
            )
        await session.flush()
        session.add(RoleGrant(user_id=TRAINER, role="trainer"))
        return district.id


async def open_vote(live: LiveBot, autoclose: str = "Гараар хаана") -> VoteSession:
    await live.say(TRAINER, "/newvote")
    await live.say(TRAINER, QUESTION)
    for option in ("Ногоон хороо", "Цахим хороо"):
        await live.say(TRAINER, option)
    for label in ("Болсон", "Нэг сонголт", "Нэргүй", "Шууд харуулах", autoclose, "Эхлүүлэх"):
        await live.press(TRAINER, label)
    async with live.app.database.transaction() as session:
        return (await session.scalars(select(VoteSession).order_by(VoteSession.id.desc()))).first()


async def count(live: LiveBot, model: type, *where) -> int:
    async with live.app.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


def answered(live: LiveBot) -> str:
    return str(live.fake.calls("answerCallbackQuery")[-1].params.get("text", ""))


async def test_reset_clone_and_bank_a_vote(live: LiveBot):
    await seed(live)
    vote = await open_vote(live)
    await live.say(PEOPLE[0], f"/vote {vote.code}")
    await live.press(PEOPLE[0], "Ногоон хороо")

    await live.press(TRAINER, "Загвар, сануулга")
    assert "1-р ээлж · 1 санал" in live.last_text(TRAINER)
    await live.press(TRAINER, "Дараагийн бүлэгт шинээр")
    await live.press(TRAINER, "Тийм, шинээр эхлүүлэх")
    assert "2-р ээлж эхэллээ." in answered(live)
    assert "Санал өгсөн: 0" in live.last_text(TRAINER)  # the confirmation became the results
    assert await count(live, Ballot, Ballot.vote_id == vote.id) == 0
    assert await count(live, ArchivedBallot) == 1
    replies = await live.say(PEOPLE[0], f"/vote {vote.code}")  # the same code, a new round
    assert QUESTION in replies[-1].text

    await live.press(TRAINER, "Загвар, сануулга")
    await live.press(TRAINER, "Хувилах")
    assert "Хуулбар санал хураалт нээгдлээ" in answered(live)
    assert await count(live, VoteSession) == 2
    await live.press(TRAINER, "Загвар, сануулга")  # the copy's tools: the menu became its panel
    await live.press(TRAINER, "Асуултын санд хадгалах")
    assert "Санд 1 асуулт байна" in answered(live)
    assert await count(live, BankQuestion) == 1

    await live.say(TRAINER, "/bank")
    assert QUESTION in live.last_text(TRAINER)
    await live.press(TRAINER, "▶️ 1")
    assert "Санал хураалт нээгдлээ" in answered(live)
    assert await count(live, VoteSession, VoteSession.question == QUESTION) == 3
    panel = live.with_button(TRAINER, "Хаах").text or ""  # the bank's page became the vote's
    assert "Санал өгсөн: 0" in panel
    assert all(call.ok for call in live.fake.calls("answerCallbackQuery"))


async def test_a_nudge_tap_reaches_the_silent_through_the_outbox(live: LiveBot):
    await seed(live)
    await live.say(TRAINER, "/training Хорооны хурлын арга зүй")
    async with live.app.database.transaction() as session:
        training = (await session.scalars(select(Training))).one()
    for person in PEOPLE:
        await live.say(person, training.code)
    vote = await open_vote(live)
    await live.say(PEOPLE[0], f"/vote {vote.code}")
    await live.press(PEOPLE[0], "Ногоон хороо")

    await live.press(TRAINER, "Санал хураалтууд, сануулга, хувилах")
    assert "3 оролцогчоос 2 нь санал өгөөгүй" in live.last_text(TRAINER)
    await live.press(TRAINER, "🔔 Санал: 2 хүнд сануулах")
    assert "2 оролцогчид сануулга" in answered(live)
    for person in PEOPLE[1:]:
        await live.fake.wait_for(
            lambda person=person: "саналаа өгөөгүй" in (live.last_text(person) or ""), timeout=10
        )
    assert "саналаа өгөөгүй" not in live.last_text(PEOPLE[0])
    await live.press(TRAINER, "2 хүнд сануулах")  # again: nobody is reminded twice
    assert "өмнө нь сануулга очсон" in answered(live)
    # The reminder's button opens the ballot in the participant's chat.
    await live.press(PEOPLE[1], "Санал өгөх")
    assert QUESTION in live.last_text(PEOPLE[1])
    await live.press(PEOPLE[1], "Цахим хороо")
    assert await count(live, Ballot, Ballot.vote_id == vote.id) == 2


async def test_the_deadline_reminder_is_sent_once(live: LiveBot):
    await seed(live)
    vote = await open_vote(live, autoclose="15 мин")
    await live.say(PEOPLE[0], f"/vote {vote.code}")
    await live.press(PEOPLE[0], "Ногоон хороо")
    await live.press(TRAINER, "Загвар, сануулга")
    await live.press(TRAINER, "Хороод сонгох")
    await live.say(TRAINER, "Баянгол 5")
    assert "Баянгол 5" in live.last_text(TRAINER)
    reminders = live.app.vote_reminders
    assert reminders is not None
    # Closes within VOTE_REMIND_BEFORE (30 minutes): due now, for the two who have not voted.
    # They go in the outbox; the sender delivers them.
    queued = await reminders.send_due(live.runtime)
    queued += await reminders.send_due(live.runtime)  # a second look finds them claimed
    assert queued == 2
    for person in PEOPLE[1:]:
        message = await live.receives(person, "минутын дараа хаагдана")
        assert vote.code in (message.text or "")
    assert "хаагдана" not in live.last_text(PEOPLE[0])
    sent = [
        c
        for c in live.fake.calls("sendMessage")
        if "минутын дараа хаагдана" in c.params.get("text", "")
    ]
    assert len(sent) == 2  # once each
