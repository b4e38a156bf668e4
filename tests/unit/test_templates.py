"""Templates and nudges through the core: clone, bank, reset, targets, reminders once."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.vote_reminders import VoteReminders
from handlers.html import plain
from handlers.messages import AnswerButton, Reply, SendDocument, SendPhoto
from handlers.nudges import NudgePress
from handlers.trainer_tools import TrainingToolsPress, VoteToolsPress
from handlers.training_templates import BankPress
from handlers.trainings import TrainingVotePress
from handlers.votes import VoteAdminPress
from storage.models import (
    Announcement,
    ArchivedBallot,
    Ballot,
    BankQuestion,
    Delivery,
    District,
    NudgeSent,
    Training,
    TrainingVote,
    User,
    VoteRound,
    VoteSession,
    utcnow,
)
from storage.templates import Templates
from storage.trainings import Trainings
from storage.votes import Votes
from tests.conftest import ADMIN_ID
from tests.support.chat import Chat, register
from tests.support.outbox import delivered
from tests.unit.test_votes import open_vote

TRAINER, OTHER = 10, 11
QUESTION = "Аль туршлагыг нутагшуулах вэ?"


def sent(replies: list[Reply], kind: type) -> list[Any]:
    return [r for r in replies if isinstance(r, kind)]


def alerts(replies: list[Reply]) -> list[str]:
    return [plain(r.text or "") for r in sent(replies, AnswerButton)]


async def trainer(app, user_id: int = TRAINER) -> Chat:
    chat = Chat(app, user_id, first_name="Сургагч")
    await register(chat, grant="trainer")
    return chat


async def officer(app, user_id: int, khoroo: str = "5", district: str = "Баянгол") -> Chat:
    chat = Chat(app, user_id, first_name=f"Ажилтан{user_id}")
    await register(chat, khoroo=khoroo, district=district)
    return chat


async def rows(app, model: type, *where: Any) -> list[Any]:
    async with app.database.transaction() as session:
        return list((await session.scalars(select(model).where(*where))).all())


async def count(app, model: type, *where: Any) -> int:
    async with app.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def vote_in(chat: Chat, vote: VoteSession, option: str = "Ногоон хороо") -> None:
    await chat.send(f"/vote {vote.code}")
    await chat.press(option)


async def test_a_trainer_clones_a_vote_without_its_ballots_and_others_may_not(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    await vote_in(await officer(app, 20), vote)
    await owner.press("Загвар, сануулга")
    assert "1-р ээлж · 1 санал" in plain(owner.last().text)
    replies = await owner.press("Хувилах")
    assert any("Хуулбар санал хураалт нээгдлээ" in a for a in alerts(replies))
    assert sent(replies, SendPhoto)  # the copy's QR code, as for a new vote
    copy = (await rows(app, VoteSession, VoteSession.id != vote.id))[0]
    assert (copy.question, copy.options, copy.kind) == (vote.question, vote.options, vote.kind)
    assert copy.code != vote.code and copy.state == "open"
    assert await count(app, Ballot, Ballot.vote_id == copy.id) == 0
    # Another trainer, an officer and a forged press are refused at the press.
    stranger = await trainer(app, OTHER)
    replies = await stranger.press_data(VoteToolsPress(vote.id, "clone").pack())
    assert alerts(replies) == ["Үүнийг үүсгэсэн сургагч багш л ашиглах боломжтой."]
    replies = await (await officer(app, 21)).press_data(VoteToolsPress(vote.id, "bank").pack())
    assert "сургагч багш, админ" in alerts(replies)[0]
    assert await count(app, VoteSession) == 2 and await count(app, BankQuestion) == 0
    # An admin may, and /help lists the bank for trainers.
    admin = Chat(app, ADMIN_ID, first_name="Админ")
    await register(admin)
    replies = await admin.press_data(VoteToolsPress(vote.id, "clone").pack())
    assert any("Хуулбар" in a for a in alerts(replies)) and await count(app, VoteSession) == 3
    replies = await owner.send("/help")
    assert "/bank" in "".join(owner.texts(replies))


async def test_the_question_bank_keeps_a_question_once_and_starts_votes(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    await owner.press("Загвар, сануулга")
    replies = await owner.press("Асуултын санд хадгалах")
    assert "Санд 1 асуулт байна" in alerts(replies)[0]
    replies = await owner.press("Асуултын санд хадгалах")  # twice: still one entry
    assert "шинэчиллээ" in alerts(replies)[0]
    [entry] = await rows(app, BankQuestion)
    assert entry.question == QUESTION and entry.options == vote.options
    await owner.send("/bank")
    assert "Асуултын сан" in plain(owner.last().text) and QUESTION in plain(owner.last().text)
    replies = await owner.press("▶️ 1")
    started = await rows(app, VoteSession, VoteSession.id != vote.id)
    assert len(started) == 1 and started[0].question == QUESTION
    assert any(started[0].code in a for a in alerts(replies))
    # Not the owner's entry: refused; an officer has no /bank.
    stranger = await trainer(app, OTHER)
    replies = await stranger.press_data(BankPress("start", entry.id).pack())
    assert "сургагч багш л" in alerts(replies)[0]
    await stranger.send("/bank")
    assert "хоосон" in plain(stranger.last().text)
    reader = await officer(app, 21)
    replies = await reader.send("/bank")
    assert "сургагч багш, админ" in reader.texts(replies)[0]
    await owner.send("/bank")
    await owner.press("🗑 1")
    assert await count(app, BankQuestion) == 0 and await count(app, VoteSession) == 2


async def test_a_reset_keeps_the_code_archives_the_round_and_exports_every_round(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    await owner.press("Загвар, сануулга")
    replies = await owner.press("Дараагийн бүлэгт шинээр")  # no ballots yet: nothing to reset
    assert "шаардлагагүй" in alerts(replies)[0]
    first, second = await officer(app, 20), await officer(app, 21)
    await vote_in(first, vote)
    await vote_in(second, vote, "Цахим хороо")
    await owner.press("Загвар, сануулга")
    await owner.press("Дараагийн бүлэгт шинээр")
    assert "1-р ээлжийн 2 санал архивт" in plain(owner.last().text)
    replies = await owner.press("Тийм, шинээр эхлүүлэх")
    assert "2-р ээлж эхэллээ." in alerts(replies)
    assert "Санал өгсөн: 0" in owner.texts(replies)[0]  # the confirmation shows the new round
    again = (await rows(app, VoteSession))[0]
    assert again.code == vote.code and again.state == "open"
    assert await count(app, Ballot, Ballot.vote_id == vote.id) == 0
    [finished] = await rows(app, VoteRound)
    assert (finished.number, finished.ballots) == (1, 2)
    assert await count(app, ArchivedBallot) == 2
    # The next group votes under the same code; the first group's voter may vote again.
    await vote_in(first, vote, "Эрүүл хороо")
    replies = await owner.press("CSV файл")
    [document] = sent(replies, SendDocument)
    table = list(csv.reader(io.StringIO(document.document.decode("utf-8-sig"))))
    assert table[0][0] == "Ээлж"
    assert sorted((row[0], row[-2]) for row in table[1:]) == [
        ("1", "Ногоон хороо"),
        ("1", "Цахим хороо"),
        ("2", "Эрүүл хороо"),
    ]
    assert "3" in plain(document.caption or "")
    # A forged confirmation from someone else resets nothing.
    stranger = await trainer(app, OTHER)
    await stranger.press_data(VoteToolsPress(vote.id, "resetok").pack())
    assert await count(app, VoteRound) == 1


async def test_a_training_clones_with_its_votes_ready_to_start(app):
    owner = await trainer(app)
    await owner.send("/training Хорооны хурлын арга зүй")
    [training] = await rows(app, Training)
    await open_vote(owner)  # opened while the training is open: one of its votes
    await open_vote(owner, "Хамгийн хэрэгтэй сэдэв?", ("Төсөв", "Иргэдийн оролцоо"))
    assert await count(app, TrainingVote, TrainingVote.training_id == training.id) == 2
    await owner.press("Санал хураалтууд, сануулга, хувилах")
    assert "Хамгийн хэрэгтэй сэдэв?" in plain(owner.last().text)
    replies = await owner.press("Сургалтыг хувилах")
    assert "2 санал хураалт бэлэн" in "\n".join(owner.texts(replies))
    copy = (await rows(app, Training, Training.id != training.id))[0]
    assert copy.title == training.title and copy.code != training.code
    async with app.database.transaction() as session:
        votes = await Trainings(session).votes(copy, None, oldest_first=True)
    assert [v.question for v in votes] == [QUESTION, "Хамгийн хэрэгтэй сэдэв?"]
    assert all(v.state == "closed" for v in votes)  # ready: the trainer opens each in turn
    # Opening one in the new session offers it to the room, as a vote opened new would be.
    person = await officer(app, 20)
    await person.send(copy.code)
    panel = await owner.press_data(VoteAdminPress(votes[0].id, "r").pack())
    assert "🔓 Нээх" in [b.label for m in panel for row in getattr(m, "buttons", ()) for b in row]
    replies = await owner.press_data(VoteAdminPress(votes[0].id, "o").pack())
    assert any("Санал хураалт нээгдлээ" in a.text for a in sent(replies, AnswerButton))
    *_, offer = await rows(app, Announcement)
    assert offer.kind == "training" and offer.recipients == 1 and QUESTION in offer.text
    stranger = await trainer(app, OTHER)
    replies = await stranger.press_data(TrainingToolsPress(training.id, "clone").pack())
    assert "сургагч багш л" in alerts(replies)[0]
    assert await count(app, Training) == 2


async def test_nudges_count_the_silent_and_remind_each_once_through_the_outbox(app):
    owner = await trainer(app)
    await owner.send("/training Сургалт")
    [training] = await rows(app, Training)
    people = [await officer(app, 20 + i) for i in range(3)]
    for person in people:
        await person.send(training.code)
    vote, _ = await open_vote(owner)
    await vote_in(people[0], vote)
    await owner.press("Санал хураалтууд, сануулга, хувилах")
    assert "бүртгүүлсэн 3 оролцогчоос 2 нь санал өгөөгүй" in plain(owner.last().text)
    replies = await owner.press("2 хүнд сануулах")
    assert "2 оролцогчид сануулга" in alerts(replies)[0]
    offer, announcement = await rows(app, Announcement)  # the vote's offer to the room first
    assert offer.kind == "training" and offer.recipients == 3
    assert announcement.kind == "nudge" and announcement.state == "sending"
    assert vote.code in announcement.text and vote.code in (announcement.text_en or "")

    async def reminded() -> list[int]:
        return sorted(d.chat_id for d in await rows(app, Delivery) if d.announcement_id != offer.id)

    assert await reminded() == [21, 22]
    # A second tap (or a duplicate) reminds nobody again; a forged press is refused.
    replies = await owner.press("2 хүнд сануулах")
    assert "өмнө нь сануулга очсон" in alerts(replies)[0]
    assert len(await reminded()) == 2
    late = await officer(app, 29)  # a late arrival is reminded; the others are not again
    await late.send(training.code)
    await owner.press("Санал хураалтууд, сануулга, хувилах")
    replies = await owner.press("1 хүнд сануулах")  # only the one not reminded yet
    assert "1 оролцогчид" in alerts(replies)[0] and "2 хүнд дахин" in alerts(replies)[0]
    assert await reminded() == [21, 22, 29]
    stranger = await trainer(app, OTHER)
    forged = NudgePress(training.id, "v", vote.id).pack()
    assert "сургагч багш л" in alerts(await stranger.press_data(forged))[0]
    # The vote's panel shows the same count.
    await owner.press("Загвар, сануулга")
    assert "4 оролцогчоос 3 нь" in plain(owner.last().text)
    # An open question is nudged separately.
    await owner.press("Асуулт асуух")
    await owner.send("Сайн засаглалыг нэг үгээр?")
    await people[1].send("ил тод")
    await owner.press("Санал хураалтууд, сануулга, хувилах")
    assert "4 оролцогчоос 3 нь хариулаагүй" in plain(owner.last().text)
    await owner.press_data(NudgePress(training.id, "q", 1).pack())
    assert await count(app, NudgeSent, NudgeSent.item == "question:1") == 3


async def test_targets_are_typed_politely_and_the_deadline_reminds_each_officer_once(app):
    now = [utcnow()]
    app.services.clock = lambda: now[0]
    owner = await trainer(app)
    vote, _ = await open_vote(owner, autoclose="15 мин")
    voter, silent = await officer(app, 20), await officer(app, 21)
    elsewhere = await officer(app, 22, khoroo="7")
    await vote_in(voter, vote)
    await owner.press("Загвар, сануулга")
    await owner.press("Хороод сонгох")
    replies = await owner.send("Марс 5")
    assert "дүүргийн нэр танигдсангүй" in owner.texts(replies)[0]
    replies = await owner.send("Баянгол 500")
    assert "хороо бий" in owner.texts(replies)[0]
    replies = await owner.send("Баянгол 5, 6")
    assert "Баянгол 5, 6" in owner.texts(replies)[0]
    async with app.database.transaction() as session:
        assert len(await Templates(session).targets(vote)) == 2
    reminders = VoteReminders(
        app.database, app.services.catalogue, before=timedelta(minutes=10), clock=lambda: now[0]
    )
    assert await reminders.queue() == 0  # closes in 15 minutes: not yet
    now[0] += timedelta(minutes=6)
    # Claimed and put in the outbox in one transaction: nothing is lost between the two.
    assert await reminders.queue() == 1
    assert await count(app, Announcement, Announcement.kind == "deadline") == 1
    assert [d.chat_id for d in await rows(app, Delivery)] == [silent.user_id]
    assert await count(app, NudgeSent, NudgeSent.item == f"deadline:{vote.id}") == 1
    [message] = await delivered(app)
    assert message.chat_id == silent.user_id != elsewhere.user_id
    assert vote.code in plain(message.text) and "9 минутын дараа хаагдана" in plain(message.text)
    assert await reminders.queue() == 0
    # A restart or a second process finds the reminder claimed.
    other = VoteReminders(
        app.database, app.services.catalogue, before=timedelta(minutes=10), clock=lambda: now[0]
    )
    assert await other.queue() == 0
    now[0] += timedelta(minutes=10)  # closed: nothing more
    assert await other.queue() == 0
    assert await delivered(app) == [] and await count(app, Announcement) == 1


# --- the repository on its own ---------------------------------------------------------------


async def seeded(app, ids: list[int]) -> int:
    """Add registered officers of one khoroo directly; return the district's id."""
    async with app.database.transaction() as session:
        district = await session.scalar(select(District).where(District.name_mn == "Баянгол"))
        assert district is not None
        for user_id in ids:
            session.add(
                User(
                    id=user_id,
                    first_name=f"U{user_id}",
                    language="en" if user_id % 2 else "mn",
                    district_id=district.id,
                    khoroo_number=5,
                    registered=True,
                )
            )
        return district.id


async def test_a_reminder_is_claimed_once_per_item_and_user(app):
    await seeded(app, [1, 2, 3])
    now = utcnow()
    async with app.database.transaction() as session:
        templates = Templates(session)
        assert await templates.claim("vote:1:1", [1, 2], now) == [1, 2]
        assert await templates.claim("vote:1:1", [2, 3], now) == [3]
        assert await templates.claim("vote:1:2", [1, 2, 3], now) == [1, 2, 3]  # a new round
        assert await templates.claim("vote:1:1", [], now) == []
        assert await templates.reminded("vote:1:1") == 3


async def test_rounds_number_on_and_keep_every_ballot(app):
    await seeded(app, [1, 2, 3])
    async with app.database.transaction() as session:
        votes, templates = Votes(session), Templates(session)
        vote = await votes.create(
            owner_id=1, question="Q?", options=["a", "b"], kind="single", named=True, live=True
        )
        await votes.cast(vote, 2, [0])
        await votes.cast(vote, 3, [1])
        first = await templates.reset(vote)
        await votes.cast(vote, 2, [1])
        second = await templates.reset(vote)
        assert (first.number, first.ballots, second.number, second.ballots) == (1, 2, 2, 1)
        assert await templates.round_number(vote) == 3
        kept = [(n, b.voter_id, b.choices) for n, b, _ in await templates.archived(vote)]
        assert sorted(kept) == [(1, 2, [0]), (1, 3, [1]), (2, 2, [1])]
        assert await votes.count(vote) == 0 and vote.state == "open"


async def targeted_vote(
    app, closes_at: datetime, places: list[tuple[int, int | None]], voter: int | None = None
) -> None:
    """Open a vote of user 1's closing then, aimed at the places (one voter already voted)."""
    async with app.database.transaction() as session:
        vote = await Votes(session).create(
            owner_id=1,
            question="Q?",
            options=["a", "b"],
            kind="single",
            named=False,
            live=True,
            closes_at=closes_at,
        )
        if voter is not None:
            await Votes(session).cast(vote, voter, [0])
        await Templates(session).set_targets(vote, places)


async def test_two_workers_at_once_remind_each_officer_once(app):
    district_id = await seeded(app, [1, 2, 3, 4, 5])
    now = utcnow()
    await targeted_vote(app, now + timedelta(minutes=20), [(district_id, 5)], voter=2)
    workers = [
        VoteReminders(app.database, app.services.catalogue, clock=lambda: now) for _ in range(2)
    ]
    assert sorted(await asyncio.gather(*(worker.queue() for worker in workers))) == [0, 3]
    sent = await delivered(app)
    assert sorted(m.chat_id for m in sent) == [3, 4, 5]  # not the owner (1) nor the voter (2)
    english = next(m for m in sent if m.chat_id == 3)
    assert "closes at" in plain(english.text)  # in the officer's own language
    assert "in 20 minutes" in plain(english.text)
    mongolian = next(m for m in sent if m.chat_id == 4)
    assert "20 минутын дараа хаагдана" in plain(mongolian.text)
    assert [await w.queue() for w in workers] == [0, 0]
    assert await delivered(app) == []


async def test_a_deadline_reminder_a_minute_before_says_minute(app):
    district_id = await seeded(app, [1, 3])
    now = utcnow()
    await targeted_vote(app, now + timedelta(seconds=50), [(district_id, None)])
    await VoteReminders(app.database, app.services.catalogue, clock=lambda: now).queue()
    [message] = await delivered(app)
    assert "in 1 minute." in plain(message.text)


# --- resets, nudges and clones that cannot misfire --------------------------------------------


async def test_a_reset_confirmation_resets_its_own_round_once(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    first, second = await officer(app, 20), await officer(app, 21)
    await vote_in(first, vote)
    await vote_in(second, vote, "Цахим хороо")
    await owner.press("Загвар, сануулга")
    await owner.press("Дараагийн бүлэгт шинээр")
    screen, button = owner.find("Тийм, шинээр эхлүүлэх")
    replies = await owner.press_data(button.data or "", screen.message_id)
    assert "2-р ээлж эхэллээ." in alerts(replies)
    # A double press: a polite answer, no empty round.
    replies = await owner.press_data(button.data or "", screen.message_id)
    assert alerts(replies) == [
        "Энэ ээлжийг аль хэдийн шинээр эхлүүлсэн тул юу ч өөрчлөгдсөнгүй. "
        "Одоо 2-р ээлж явагдаж байна."
    ]
    assert await count(app, VoteRound) == 1
    # The next group votes; the old confirmation tapped later leaves their ballots alone.
    await vote_in(first, vote, "Эрүүл хороо")
    await owner.press_data(button.data or "", screen.message_id)
    assert await count(app, VoteRound) == 1
    assert await count(app, Ballot, Ballot.vote_id == vote.id) == 1
    # A confirmation without its round (an old message) resets nothing either.
    replies = await owner.press_data(VoteToolsPress(vote.id, "resetok").pack())
    assert "юу ч өөрчлөгдсөнгүй" in alerts(replies)[0]
    assert await count(app, VoteRound) == 1
    # A fresh confirmation names round 2 and resets it, once.
    await owner.press("Загвар, сануулга")
    await owner.press("Дараагийн бүлэгт шинээр")
    assert "2-р ээлжийн 1 санал архивт" in plain(owner.last().text)
    replies = await owner.press("Тийм, шинээр эхлүүлэх")
    assert "3-р ээлж эхэллээ." in alerts(replies)
    assert [r.number for r in await rows(app, VoteRound)] == [1, 2]


async def test_two_resets_of_one_round_at_once_make_one_round(app):
    await seeded(app, [1, 2, 3])
    async with app.database.transaction() as session:
        vote = await Votes(session).create(
            owner_id=1, question="Q?", options=["a", "b"], kind="single", named=True, live=True
        )
        await Votes(session).cast(vote, 2, [0])
        vote_id = vote.id

    async def reset() -> int | None:
        async with app.database.transaction() as session:
            found = await session.get(VoteSession, vote_id)
            assert found is not None
            done = await Templates(session).reset(found, expected=1)
            return None if done is None else done.ballots

    assert sorted(await asyncio.gather(reset(), reset()), key=str) == [1, None]
    assert [(r.number, r.ballots) for r in await rows(app, VoteRound)] == [(1, 1)]


async def training_with_people(app, n: int = 3) -> tuple[Chat, Training, list[Chat]]:
    owner = await trainer(app)
    await owner.send("/training Сургалт")
    [training] = await rows(app, Training)
    people = [await officer(app, 20 + i) for i in range(n)]
    for person in people:
        await person.send(training.code)
    return owner, training, people


async def test_a_nudge_counts_only_those_not_reminded_and_names_what_it_reminds_of(app):
    owner, training, people = await training_with_people(app)
    vote, _ = await open_vote(owner)
    await vote_in(people[0], vote)
    await owner.press("Санал хураалтууд, сануулга, хувилах")
    text = plain(owner.last().text)
    assert f"({vote.code})" in text  # identical questions are told apart by their code
    replies = await owner.press("🔔 Санал: 2 хүнд сануулах")
    assert "2 оролцогчид сануулга" in alerts(replies)[0]
    # Reminded: the tools say so and offer no button for them.
    await owner.press("Санал хураалтууд, сануулга, хувилах")
    assert "3 оролцогчоос 2 нь санал өгөөгүй байна. Бүгдэд нь сануулга очсон." in plain(
        owner.last().text
    )
    assert not [label for label in owner.last().labels() if "сануулах" in label]
    replies = await owner.press_data(NudgePress(training.id, "v", vote.id).pack())
    assert "Санал өгөөгүй бүх оролцогчид өмнө нь сануулга очсон" in alerts(replies)[0]
    # A late arrival: the button counts only them.
    late = await officer(app, 29)
    await late.send(training.code)
    await owner.press("Санал хураалтууд, сануулга, хувилах")
    assert "Тэдний 2 нь сануулга авсан." in plain(owner.last().text)
    replies = await owner.press("🔔 Санал: 1 хүнд сануулах")
    assert alerts(replies) == [
        "🔔 1 оролцогчид сануулга илгээгдэж байна. Өмнө нь сануулга авсан 2 хүнд дахин илгээхгүй."
    ]
    # Everyone votes: said plainly, and a forged tap says who voted.
    for person in [*people[1:], late]:
        await vote_in(person, vote)
    await owner.press("Санал хураалтууд, сануулга, хувилах")
    assert "бүртгүүлсэн 4 оролцогч бүгд санал өгсөн" in plain(owner.last().text)
    assert "0 нь" not in plain(owner.last().text)
    replies = await owner.press_data(NudgePress(training.id, "v", vote.id).pack())
    assert alerts(replies) == ["Бүх оролцогч санал өгсөн байна. 👏"]
    # An open question's button is labelled as the question's, beside a vote's.
    second, _ = await open_vote(owner, "Дараагийн сэдэв?", ("Төсөв", "Оролцоо"))
    await owner.press("Асуулт асуух")
    await owner.send("Сайн засаглалыг нэг үгээр?")
    await owner.press("Санал хураалтууд, сануулга, хувилах")
    labels = [label for label in owner.last().labels() if "сануулах" in label]
    assert labels == ["🔔 Санал: 4 хүнд сануулах", "🔔 Асуулт: 4 хүнд сануулах"]
    for person in [*people, late]:
        await person.send("ил тод")
    await owner.press("Санал хураалтууд, сануулга, хувилах")
    assert "бүртгүүлсэн 4 оролцогч бүгд хариулсан" in plain(owner.last().text)
    question = NudgePress(training.id, "q", 1).pack()
    assert alerts(await owner.press_data(question)) == ["Бүх оролцогч хариулсан байна. 👏"]
    assert second.code in plain(owner.last().text)


async def test_a_vote_reminder_carries_a_button_that_opens_the_ballot(app):
    owner, _training, people = await training_with_people(app, 2)
    await english(app, people[1].user_id)
    vote, _ = await open_vote(owner)
    await owner.press("Санал хураалтууд, сануулга, хувилах")
    await delivered(app)  # the vote's offer to the room, sent before
    await owner.press("🔔 Санал: 2 хүнд сануулах")
    reminders = {m.chat_id: m for m in await delivered(app)}
    assert sorted(reminders) == [20, 21]
    [[mn]] = reminders[20].buttons
    assert mn.label == "🗳 Санал өгөх"
    assert mn.data == TrainingVotePress(vote.id, "ballot").pack()
    assert vote.code in plain(reminders[20].text)
    replies = await people[0].press_data(mn.data or "")
    assert QUESTION in "".join(people[0].texts(replies))  # the ballot, at one tap
    assert any("Ногоон хороо" in label for label in people[0].last().labels())
    [[en]] = reminders[21].buttons
    assert en.label == "🗳 Vote" and en.data == mn.data
    assert "You have not voted" in plain(reminders[21].text)


async def test_a_cloned_training_keeps_its_question_setting_and_says_it_is_a_copy(app):
    owner = await trainer(app)
    await owner.send("/training Хорооны хурлын арга зүй")
    [training] = await rows(app, Training)
    await owner.press("Асуулт: нэргүй")  # the room's questions carry their authors' names
    assert (await rows(app, Training))[0].questions_named
    await open_vote(owner)
    await owner.press("Санал хураалтууд, сануулга, хувилах")
    replies = await owner.press("Сургалтыг хувилах")
    copy = (await rows(app, Training, Training.id != training.id))[0]
    assert copy.questions_named
    said = "\n".join(owner.texts(replies))
    assert "«Хорооны хурлын арга зүй» сургалтын хуулбар" in said
    assert copy.code in said and training.code in said
    assert "одооноос бүртгүүлж болно" in said
    assert "1 санал хураалт" in said


async def test_the_training_tools_list_votes_newest_first_in_the_panels_words(app):
    owner = await trainer(app)
    await owner.send("/training Сургалт")
    older, _ = await open_vote(owner)
    await owner.press("Хаах")
    newer, _ = await open_vote(owner, "Дараагийн сэдэв?", ("Төсөв", "Оролцоо"))
    await owner.press("Санал хураалтууд, сануулга, хувилах")
    text = plain(owner.last().text)
    assert text.index(newer.code) < text.index(older.code)
    assert f"{older.code} {QUESTION} — 🔴 хаагдсан" in text
    assert f"{newer.code} Дараагийн сэдэв? — 🟢 нээлттэй" in text
    await owner.press("Сургалтыг хувилах")
    await owner.press("Санал хураалтууд, сануулга, хувилах")
    assert "⚪️ бэлэн, нээгээгүй" in plain(owner.last().text)  # the copies wait, never opened
    # Resetting a copy that has no ballots would only leave an empty round: it is reopened.
    ready = (
        await rows(app, VoteSession, VoteSession.closed_at.is_(None), VoteSession.state == "closed")
    )[0]
    # Its own panel says the same, not "closed".
    panel = "\n".join(owner.texts(await owner.press_data(VoteAdminPress(ready.id, "r").pack())))
    assert "⚪️ бэлэн, нээгээгүй" in panel and "хаагдсан" not in panel
    replies = await owner.press_data(VoteToolsPress(ready.id, "reset").pack())
    assert "«🔓 Нээх» товчоор нээнэ үү" in alerts(replies)[0]
    assert await count(app, VoteRound) == 0


async def english(app, user_id: int) -> None:
    """Switch a registered user's language to English (registration chooses Mongolian)."""
    async with app.database.transaction() as session:
        user = await session.get(User, user_id)
        assert user is not None
        user.language = "en"


async def test_english_trainer_screens_count_things_in_the_singular(app):
    owner = await trainer(app)
    await owner.send("/training Committee methods")
    vote, _ = await open_vote(owner)
    await vote_in(await officer(app, 20), vote)
    await english(app, TRAINER)
    await owner.press("Загвар, сануулга")  # the button was drawn in Mongolian; the menu is not
    assert "round 1 · 1 ballot\n" in plain(owner.last().text)
    await owner.press("Reset for the next group")
    assert "The 1 ballot of round 1 is archived" in plain(owner.last().text)
    [training] = await rows(app, Training)
    await owner.press_data(TrainingToolsPress(training.id, "menu").pack())
    replies = await owner.press("Clone the training")
    said = "\n".join(owner.texts(replies))
    assert "A copy of the training “Committee methods” is open" in said
    assert "0 answers · ⚪️ ready, not opened yet" in said  # a copy waits; it is not closed
    assert "1 vote is ready" in said
