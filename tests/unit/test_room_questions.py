"""Questions from the room and a training's own votes, through the core."""

from __future__ import annotations

from sqlalchemy import select

from bot.training_projector import TrainingPages
from handlers.html import plain, visible_length
from handlers.messages import AnswerButton, Reply, SendText
from storage.models import RoomQuestion, RoomQuestionVote, VoteSession
from tests.support.chat import Chat
from tests.support.outbox import delivered
from tests.unit.test_trainings import open_training, participant, rows_of, sent, trainer


def notices(replies: list[Reply]) -> list[str]:
    return [r.text or "" for r in sent(replies, AnswerButton)]


async def ask(chat: Chat, text: str) -> list[Reply]:
    await chat.press("Сургагчаас асуух")
    return await chat.send(text)


async def test_the_room_asks_upvotes_once_each_and_the_trainer_curates(app):
    coach = await trainer(app)
    training = await open_training(coach)
    bold, dulmaa, saraa = (
        await participant(app, 21, "Болд"),
        await participant(app, 22, "Дулмаа"),
        await participant(app, 23, "Сараа"),
    )
    for chat in (bold, dulmaa, saraa):
        await chat.send(training.code)
        assert "🙋 Сургагчаас асуух" in chat.last().labels()

    replies = await ask(bold, "Хурлын тэмдэглэлийг хэн <b>хөтлөх</b> вэ?")
    assert "нэргүйгээр илгээлээ" in bold.texts(replies)[-1]
    await ask(dulmaa, "Иргэдийг яаж оролцуулах вэ?")
    replies = await ask(dulmaa, "12")  # too short: asked again, nothing kept
    assert "Арай богино" in dulmaa.texts(replies)[0]
    await dulmaa.send("/cancel")
    assert len(await rows_of(app, RoomQuestion)) == 2

    # Saraa upvotes Dulmaa's question, takes it back and upvotes it again; numbers stay put.
    await saraa.press("Танхимын асуултууд")
    listed = plain(saraa.last().text)
    assert "#1 Хурлын тэмдэглэлийг хэн <b>хөтлөх</b> вэ? — 👍 0" in listed  # escaped, as text
    await saraa.press("👍 #2")
    assert "Иргэдийг яаж оролцуулах вэ? — 👍 1" in plain(saraa.last().text)
    listed = plain(saraa.last().text)
    assert listed.index("#2 Иргэдийг") < listed.index("#1 Хурлын")  # most upvoted first
    await saraa.press("✅ #2")
    assert "Иргэдийг яаж оролцуулах вэ? — 👍 0" in plain(saraa.last().text)
    await saraa.press("👍 #2")
    await bold.press("Танхимын асуултууд")
    await bold.press("👍 #2")
    assert len(await rows_of(app, RoomQuestionVote)) == 2

    # One's own question takes no upvote: no button, and a forged press is refused.
    own = (await rows_of(app, RoomQuestion))[0]
    assert own.user_id == 21
    assert bold.last().labels()[0] == "✅ #2" and "👍 #1" not in bold.last().labels()
    replies = await bold.press_data(f"rqv:{own.id}")
    assert "өөрийн асуулт" in notices(replies)[0]
    # Someone who never checked in can neither upvote nor ask.
    stranger = await participant(app, 30, "Гадны")
    replies = await stranger.press_data(f"rqv:{own.id}")
    assert "бүртгүүлсэн оролцогчид" in notices(replies)[0]
    replies = await stranger.press_data(f"rqp:{training.id}:ask")
    assert "бүртгүүлсэн оролцогчид" in notices(replies)[0]
    assert len(await rows_of(app, RoomQuestionVote)) == 2

    # The trainer: most upvoted first; pins the other, marks one answered, hides one.
    await coach.press("Танхимын асуултууд")
    text = plain(coach.last().text)
    assert text.index("Иргэдийг") < text.index("Хурлын тэмдэглэлийг")
    await coach.press("📌 #1")
    assert plain(coach.last().text).index("Хурлын") < plain(coach.last().text).index("Иргэдийг")
    await coach.press("✅ #2")
    await coach.press("🙈 #1")
    stored = {q.text[:5]: q for q in await rows_of(app, RoomQuestion)}
    assert stored["Хурлы"].pinned and not stored["Хурлы"].answered
    assert stored["Иргэд"].answered and not stored["Иргэд"].pinned
    assert stored["Хурлы"].hidden
    # Others may not curate: a participant's forged press is refused.
    replies = await saraa.press_data(f"rqc:{own.id}:hide")
    assert "зөвхөн эрх олгогдсон сургагч багш" in notices(replies)[0]

    state = await TrainingPages(app, "mn").state(training.id)
    assert state["questions"] == [
        {
            "text": "Иргэдийг яаж оролцуулах вэ?",
            "votes": 2,
            "answered": True,
            "pinned": False,
            "author": "",
        }
    ]


async def test_the_trainer_chooses_named_questions(app):
    coach = await trainer(app)
    training = await open_training(coach)
    bold = await participant(app, 21, "Болд")
    await bold.send(training.code)
    await coach.press("Асуулт: нэргүй")
    assert "👤 Асуулт: нэртэй" in coach.last().labels()
    await bold.press("Сургагчаас асуух")
    assert "таны нэртэй" in plain(bold.last().text)
    replies = await bold.send("Тайланг хэзээ өгөх вэ?")
    assert "нэртэй нь илгээлээ" in bold.texts(replies)[-1]
    await coach.press("Танхимын асуултууд")
    assert "Тайланг хэзээ өгөх вэ? — 👍 0 · Болд" in plain(coach.last().text)
    state = await TrainingPages(app, "mn").state(training.id)
    assert state["questions"][0]["author"] == "Болд"


async def test_a_training_vote_hides_its_results_until_the_trainer_reveals_them(app):
    coach = await trainer(app)
    training = await open_training(coach)
    bold, dulmaa = await participant(app, 21, "Болд"), await participant(app, 22, "Дулмаа")
    for chat in (bold, dulmaa):
        await chat.send(training.code)

    await coach.press("Санал хураах")
    await coach.send("Аль арга илүү вэ?")
    for option in ("Хурал", "Цахим санал", "Өдөрлөг"):
        await coach.send(option)
    await coach.press("Болсон")
    await coach.press("Нэг сонголт")
    await coach.press("Нэргүй")
    await coach.press("Гараар хаана")
    assert "сургагч багш нээх үед" in plain(coach.last().text).lower()  # the preview: hidden
    replies = await coach.press("Эхлүүлэх")
    vote = (await rows_of(app, VoteSession))[0]
    assert vote.live is False
    assert [r for r in sent(replies, SendText) if r.chat_id in (21, 22)] == []  # the outbox's
    offers = await delivered(app)
    assert [r.chat_id for r in offers] == [21, 22] and "Аль арга илүү вэ?" in plain(offers[0].text)
    assert [b.data for b in offers[0].buttons[0]] == [
        f"trv:{vote.id}:ballot",
        f"trv:{vote.id}:count",
    ]
    assert "👁 Дүнг нээх: Аль арга илүү вэ?" in coach.last().labels()

    # A participant opens the ballot from the offer and votes; the results stay hidden.
    await bold.press_data(f"trv:{vote.id}:ballot")
    await bold.press("Цахим санал")
    assert "Дүн харах" not in bold.last().labels()
    replies = await bold.press_data(f"trv:{vote.id}:count")
    assert "хараахан нээгээгүй" in notices(replies)[0] and "1" in notices(replies)[0]
    state = await TrainingPages(app, "mn").state(training.id)
    assert state["vote"]["ballots"] == 1 and state["vote"]["show"] is False
    assert all(o["share"] == 0 and o["label"] == "" for o in state["vote"]["options"])
    # Outsiders: no ballot, no count, no reveal.
    stranger = await participant(app, 30, "Гадны")
    replies = await stranger.press_data(f"trv:{vote.id}:ballot")
    assert "бүртгүүлсэн оролцогчид" in notices(replies)[0]
    replies = await bold.press_data(f"trv:{vote.id}:reveal")
    assert "зөвхөн эрх олгогдсон сургагч багш" in notices(replies)[0]

    await coach.press("Дүнг нээх")
    assert "дүн нээлттэй" in plain(coach.last().text)
    replies = await dulmaa.press_data(f"trv:{vote.id}:count")
    assert "Цахим санал" in dulmaa.texts(replies)[0]
    state = await TrainingPages(app, "mn").state(training.id)
    assert state["vote"]["show"] is True
    assert [o["share"] for o in state["vote"]["options"]] == [0, 1.0, 0]

    # Someone checking in late is offered the vote still open.
    late = await participant(app, 24, "Хожимдсон")
    replies = await late.send(training.code)
    assert any("Аль арга илүү вэ?" in text for text in late.texts(replies))
    async with app.database.transaction() as session:
        assert (await session.scalars(select(VoteSession))).one().live is True

    # Ending the training ends its votes, and the room's questions with it.
    await coach.press("Сургалтыг дуусгах")
    await coach.press("Тийм, дуусгах")
    async with app.database.transaction() as session:
        assert (await session.scalars(select(VoteSession))).one().state == "closed"
    replies = await bold.press_data(f"rqp:{training.id}:ask")
    assert "Сургалт дууссан" in notices(replies)[0]


async def test_many_long_questions_fit_one_message(app):
    coach = await trainer(app)
    training = await open_training(coach)
    await coach.press("Асуулт: нэргүй")  # named: the names take room too
    for user_id in (21, 22):
        chat = await participant(app, user_id, "Нэр" * 20)
        await chat.send(training.code)
        for number in range(9):
            await ask(chat, f"{number} " + "Урт асуулт <b>&</b> " * 14)
    assert len(await rows_of(app, RoomQuestion)) == 18
    replies = await coach.press("Танхимын асуултууд")
    text = coach.texts(replies)[0]
    assert visible_length(sent(replies, SendText)[0].text) <= 4096
    assert "…" in text and "#15 " in text and "#16 " not in text
    await chat.press("Танхимын асуултууд")
    assert visible_length(chat.last().text) <= 4096
