"""Questions from the room: each button does what was tapped, however often, from any message."""

from __future__ import annotations

from handlers.html import plain
from handlers.i18n import Catalogue
from handlers.messages import EditText, Reply
from storage.models import AuditEntry, RoomQuestion, RoomQuestionVote, Training
from tests.support.chat import Chat
from tests.unit.test_room_questions import ask, notices
from tests.unit.test_trainings import open_training, participant, rows_of, sent, trainer

QUESTIONS = ("Хурлын тэмдэглэлийг хэн хөтлөх вэ?", "Иргэдийн саналыг яаж авах вэ?", "Тайлан хэзээ?")


async def room(app) -> tuple[Chat, Training, list[Chat]]:
    """Open a training where three participants each asked one question (#1, #2, #3)."""
    coach = await trainer(app)
    training = await open_training(coach)
    people = [
        await participant(app, 21, "Болд"),
        await participant(app, 22, "Дулмаа"),
        await participant(app, 23, "Сараа"),
    ]
    for chat, text in zip(people, QUESTIONS, strict=True):
        await chat.send(training.code)
        await ask(chat, text)
    return coach, training, people


async def twice(chat: Chat, label: str) -> tuple[list[Reply], list[Reply]]:
    """Press the newest button with this label two times, both from that same old message."""
    screen, button = chat.find(label)
    assert button.data
    first = await chat.press_data(button.data, screen.message_id)
    second = await chat.press_data(button.data, screen.message_id)
    return first, second


def edited(replies: list[Reply]) -> str:
    """Return the plain text the press put on the pressed message."""
    edits = sent(replies, EditText)
    assert len(edits) == 1
    return plain(edits[0].text)


async def stored(app) -> dict[str, RoomQuestion]:
    return {q.text: q for q in await rows_of(app, RoomQuestion)}


async def test_a_double_upvote_counts_once_and_a_double_withdrawal_takes_back_once(app):
    _, _, (_, _, saraa) = await room(app)
    await saraa.press("Танхимын асуултууд")

    first, second = await twice(saraa, "👍 #2")
    assert notices(first) == ["👍 #2 асуултыг дэмжлээ."]
    assert notices(second) == ["Та #2 асуултыг аль хэдийн дэмжсэн байна."]
    assert "#2 Иргэдийн саналыг яаж авах вэ? — 👍 1" in edited(second)
    assert len(await rows_of(app, RoomQuestionVote)) == 1

    first, second = await twice(saraa, "✅ #2")
    assert notices(first) == ["#2 асуултаас дэмжлэгээ буцаалаа."]
    assert notices(second) == ["Та #2 асуултаас дэмжлэгээ аль хэдийн буцаасан байна."]
    assert "#2 Иргэдийн саналыг яаж авах вэ? — 👍 0" in edited(second)
    assert await rows_of(app, RoomQuestionVote) == []


async def test_a_tap_on_an_older_list_does_not_undo_a_newer_one(app):
    _, _, (_, _, saraa) = await room(app)
    await saraa.press("Танхимын асуултууд")
    old, button = saraa.find("👍 #1")
    replies = await saraa.press("Танхимын асуултууд")  # a second list, on another message
    other = saraa.screens[sent(replies, EditText)[0].message_id]
    assert other.message_id != old.message_id
    await saraa.press("👍 #1", screen=other)
    assert button.data
    replies = await saraa.press_data(button.data, old.message_id)
    assert notices(replies) == ["Та #1 асуултыг аль хэдийн дэмжсэн байна."]
    votes = await rows_of(app, RoomQuestionVote)
    assert [(v.user_id, v.question_id) for v in votes] == [
        (23, (await stored(app))[QUESTIONS[0]].id)
    ]


async def test_the_trainers_marks_are_set_once_whatever_the_taps(app):
    coach, _, _ = await room(app)
    await coach.press("Танхимын асуултууд")

    first, second = await twice(coach, "📌 #3")
    assert notices(first) == ["📌 #3 асуултыг дээр нь тогтоолоо."]
    assert notices(second) == ["#3 асуултыг аль хэдийн дээр нь тогтоосон байна."]
    assert (await stored(app))[QUESTIONS[2]].pinned
    first, second = await twice(coach, "📍 #3")
    assert notices(first) == ["#3 асуултыг дээр нь тогтоосныг болиулав."]
    assert notices(second) == ["#3 асуултыг дээр нь тогтоохоо аль хэдийн болиулсан байна."]
    assert not (await stored(app))[QUESTIONS[2]].pinned

    first, second = await twice(coach, "✅ #1")
    assert notices(first) == ["✅ #1 асуултыг хариулсан гэж тэмдэглэлээ."]
    assert "аль хэдийн хариулсан" in notices(second)[0]
    first, second = await twice(coach, "↩️ #1")
    assert notices(first) == ["#1 асуултын «хариулсан» тэмдгийг авлаа."]
    assert not (await stored(app))[QUESTIONS[0]].answered

    first, second = await twice(coach, "🙈 #2")
    assert notices(first)[0].startswith("🙈 #2 асуултыг нууллаа")
    assert notices(second) == ["#2 асуулт аль хэдийн нуугдсан байна."]
    first, second = await twice(coach, "👁 #2")
    assert notices(first) == ["👁 #2 асуултыг дахин харуулж байна."]
    assert notices(second) == ["#2 асуулт аль хэдийн харагдаж байна."]
    assert not (await stored(app))[QUESTIONS[1]].hidden
    # The audit log has one hiding and one showing, not four.
    actions = [e.action for e in await rows_of(app, AuditEntry) if "question" in e.action]
    assert actions == ["training.question_hide", "training.question_unhide"]


async def test_numbers_stay_with_their_questions_while_the_list_resorts(app):
    coach, _, (bold, _, saraa) = await room(app)
    await saraa.press("Танхимын асуултууд")
    await saraa.press("👍 #2")
    listed = plain(saraa.last().text)
    assert listed.index("#2 Иргэдийн") < listed.index("#1 Хурлын") < listed.index("#3 Тайлан")
    # The button labelled 3 still upvotes the third question asked, wherever it now stands.
    await saraa.press("👍 #1")
    await bold.press("Танхимын асуултууд")
    await bold.press("👍 #3")
    questions = await stored(app)
    votes = sorted((v.user_id, v.question_id) for v in await rows_of(app, RoomQuestionVote))
    assert votes == sorted(
        [
            (23, questions[QUESTIONS[1]].id),
            (23, questions[QUESTIONS[0]].id),
            (21, questions[QUESTIONS[2]].id),
        ]
    )

    # The trainer pins #3: it moves to the top, and "🙈 3" still means the third question.
    await coach.press("Танхимын асуултууд")
    await coach.press("📌 #3")
    trainer_text = plain(coach.last().text)
    assert trainer_text.index("#3 📌 Тайлан") < trainer_text.index("#2 Иргэдийн")
    await coach.press("🙈 #3")
    questions = await stored(app)
    assert questions[QUESTIONS[2]].hidden and questions[QUESTIONS[2]].pinned
    assert not questions[QUESTIONS[0]].hidden and not questions[QUESTIONS[1]].hidden
    # Hiding renumbers nothing: the room sees #2 and #1, no new #3.
    listed = edited(await saraa.press("Шинэчлэх"))
    assert "#2 Иргэдийн" in listed and "#1 Хурлын" in listed and "#3" not in listed.split("\n\n")[1]


async def test_old_buttons_without_a_state_show_the_list_again_and_change_nothing(app):
    coach, _, (_, _, saraa) = await room(app)
    questions = await stored(app)
    first = questions[QUESTIONS[0]]
    await saraa.press("Танхимын асуултууд")
    replies = await saraa.press_data(f"rqv:{first.id}")  # as buttons were packed before
    assert notices(replies) == [
        "Энэ товч хуучирсан байна. Одоогийн жагсаалтыг харуулъя: дахин дарна уу."
    ]
    assert "#1 Хурлын" in edited(replies)
    assert await rows_of(app, RoomQuestionVote) == []

    await coach.press("Танхимын асуултууд")
    for action in ("pin", "answered", "hide"):
        replies = await coach.press_data(f"rqc:{first.id}:{action}")
        assert "хуучирсан" in notices(replies)[0]
        assert "#1 Хурлын" in edited(replies)
    first = (await stored(app))[QUESTIONS[0]]
    assert not (first.pinned or first.answered or first.hidden)


async def test_an_upvote_of_a_hidden_question_says_so_and_shows_the_list(app):
    coach, _, (_, _, saraa) = await room(app)
    await saraa.press("Танхимын асуултууд")
    stale, button = saraa.find("👍 #1")
    await coach.press("Танхимын асуултууд")
    await coach.press("🙈 #1")
    assert button.data
    replies = await saraa.press_data(button.data, stale.message_id)
    assert "нуусан" in notices(replies)[0]
    listed = edited(replies)
    assert "Хурлын" not in listed and "#2 Иргэдийн" in listed
    assert await rows_of(app, RoomQuestionVote) == []


async def test_the_anonymity_promised_at_the_prompt_is_kept(app):
    coach = await trainer(app)
    training = await open_training(coach)
    bold = await participant(app, 21, "Болд")
    await bold.send(training.code)
    await bold.press("Сургагчаас асуух")
    assert "нэргүйгээр" in plain(bold.last().text)
    await coach.press("Асуулт: нэргүй")  # the trainer switches to named meanwhile
    assert "👤 Асуулт: нэртэй" in coach.last().labels()
    replies = await bold.send("12")  # too short: asked again, still without the name
    assert "нэргүйгээр" in bold.texts(replies)[-1]
    replies = await bold.send("Тайланг хэзээ өгөх вэ?")
    said = bold.texts(replies)[-1]
    assert "нэргүйгээр илгээлээ" in said and "нэргүй хэвээр" in said
    assert not (await rows_of(app, RoomQuestion))[0].named
    await coach.press("Танхимын асуултууд")
    assert "Тайланг хэзээ өгөх вэ? — 👍 0\n" in plain(coach.last().text) + "\n"

    # Told "with your name", then switched to anonymous: anonymous, and said so.
    await bold.press("Сургагчаас асуух")
    assert "таны нэртэй" in plain(bold.last().text)
    await coach.press("Асуулт: нэртэй")
    replies = await bold.send("Дараагийн сургалт хэзээ вэ?")
    assert "нэргүйгээр илгээлээ" in bold.texts(replies)[-1]
    assert [q.named for q in await rows_of(app, RoomQuestion)] == [False, False]

    # Told "with your name" and still named: named.
    await coach.press("Асуулт: нэргүй")
    await bold.press("Сургагчаас асуух")
    replies = await bold.send("Гэрчилгээ хэзээ өгөх вэ?")
    assert "нэртэй нь илгээлээ" in bold.texts(replies)[-1]
    assert [q.named for q in await rows_of(app, RoomQuestion)] == [False, False, True]


def test_english_counts_and_toasts_read_naturally():
    catalogue = Catalogue.load()
    assert "sent 1 question in" in catalogue.text("en", "room_questions.enough", n=1)
    assert "sent 10 questions in" in catalogue.text("en", "room_questions.enough", n=10)
    assert catalogue.text("en", "room_questions.done.pinned", number=3) == (
        "📌 Question #3 is pinned to the top."
    )
    legend = catalogue.text(
        "en", "room_questions.trainer_text", title="T", n=1, privacy="", questions=""
    )
    assert "📌 pinned to the top" in legend
    assert "тэргүүлүүл" not in catalogue.text(
        "mn", "room_questions.trainer_text", title="T", n=1, privacy="", questions=""
    )
