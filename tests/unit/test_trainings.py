"""Trainings through the core: a trainer's session with check-in, open answers, evaluation."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from handlers.html import plain
from handlers.messages import Reply, SendDocument, SendPhoto, SendText
from handlers.trainings import EvaluatePress, TrainingPress, normalize_code
from storage.models import Attendance, Evaluation, OpenAnswer, Training
from storage.trainings import new_code
from tests.support.chat import Chat, register
from tests.support.outbox import delivered

TRAINER = 10


def sent(replies: list[Reply], kind: type) -> list[Any]:
    return [r for r in replies if isinstance(r, kind)]


def to(replies: Sequence[Reply], chat_id: int | None) -> list[str]:
    return [plain(r.text) for r in sent(replies, SendText) if r.chat_id == chat_id]


async def trainer(app) -> Chat:
    chat = Chat(app, TRAINER, first_name="Сургагч")
    await register(chat, grant="trainer")
    return chat


async def participant(app, user_id: int, name: str = "Оролцогч") -> Chat:
    chat = Chat(app, user_id, first_name=name)
    await register(chat)
    return chat


async def open_training(chat: Chat, title: str = "Хорооны хурлын арга зүй") -> Training:
    replies = await chat.send(f"/training {title}")
    async with chat.app.database.transaction() as session:
        training = (await session.scalars(select(Training).order_by(Training.id.desc()))).first()
    assert training is not None
    photo = sent(replies, SendPhoto)[0]
    assert photo.photo.startswith(b"\x89PNG")
    assert f"?start=tr_{training.code}" in plain(photo.caption)
    return training


async def room(app, *names: str) -> tuple[Chat, Training, list[Chat]]:
    """Open a training and check registered participants in (ids 21, 22, … in order)."""
    coach = await trainer(app)
    training = await open_training(coach)
    people = [await participant(app, 21 + i, name) for i, name in enumerate(names)]
    for person in people:
        await person.send(training.code)
    return coach, training, people


async def rows_of(app, model: type) -> list[Any]:
    async with app.database.transaction() as session:
        return list((await session.scalars(select(model).order_by(model.id))).all())


def csv_rows(reply: SendDocument) -> list[list[str]]:
    assert isinstance(reply.document, bytes)
    return list(csv.reader(io.StringIO(reply.document.decode("utf-8-sig"))))


def test_codes_are_five_characters_and_read_in_either_script():
    for code in {new_code() for _ in range(200)}:
        assert normalize_code(code.lower()) == code
    assert normalize_code("ав3 к7") == "AB3K7"  # Cyrillic look-alikes, a space
    assert normalize_code("AB3K7M") is None  # a vote's code is six characters
    assert normalize_code("HELLO") is None  # a word is never a code


async def test_only_granted_trainers_open_trainings(app):
    officer = await participant(app, 20)
    replies = await officer.send("/training Миний сургалт")
    assert "эрх олгогдсон сургагч" in officer.texts(replies)[0]
    assert await rows_of(app, Training) == []
    coach = await trainer(app)
    replies = await coach.send("/training 1234")  # no letters
    assert "үсэгтэй байна" in coach.texts(replies)[0]
    replies = await coach.send("/training ab")  # a command: no "draft kept" as in a form
    assert "3–200 тэмдэгт" in coach.texts(replies)[0]
    assert "хадгалагдсан" not in coach.texts(replies)[0]
    replies = await coach.send("/training")
    assert "/training" in coach.texts(replies)[0]


async def test_participants_check_in_by_link_command_or_code(app):
    coach = await trainer(app)
    training = await open_training(coach)
    assert f"Код: {training.code}" in plain(coach.last().text)

    bold = await participant(app, 21, "Болд")
    replies = await bold.send(f"/start tr_{training.code}")
    assert "сургалтад бүртгүүллээ" in bold.texts(replies)[-1]
    dulmaa = await participant(app, 22, "Дулмаа")
    await dulmaa.send(f"/checkin {training.code.lower()}")
    await dulmaa.send(training.code)  # again: already in, nothing doubled
    assert "бүртгүүлсэн байна" in plain(dulmaa.last().text)
    newcomer = Chat(app, 23, first_name="=HYPERLINK(1)")  # never registered
    replies = await newcomer.send(f" {training.code.lower()} ")
    assert "/start дарж" in newcomer.texts(replies)[-1]  # asked to register later
    replies = await bold.send("/checkin ZZZ22")
    assert "олдсонгүй" in bold.texts(replies)[-1]

    attendance = await rows_of(app, Attendance)
    assert [(a.user_id, a.via, a.khoroo_number) for a in attendance] == [
        (21, "link", 5),
        (22, "command", 5),
        (23, "code", None),
    ]
    assert attendance[0].district_id is not None and attendance[2].district_id is None

    await coach.press("Шинэчлэх")
    assert "Бүртгүүлсэн: 3" in plain(coach.last().text)
    replies = await coach.press("Ирц (CSV)")
    table = csv_rows(sent(replies, SendDocument)[0])
    assert table[0][:2] == ["Цаг", "Нэр"] and len(table) == 4
    assert table[1][1:6] == ["Болд", "", "Баянгол", "5", "тийм"]
    assert table[3][1] == "'=HYPERLINK(1)" and table[3][5] == "үгүй"  # formula neutralised


async def test_open_answers_group_into_a_cloud_and_the_trainer_hides_one(app):
    coach = await trainer(app)
    training = await open_training(coach)
    bold, dulmaa = await participant(app, 21, "Болд"), await participant(app, 22, "Дулмаа")
    newcomer = Chat(app, 23, first_name="Guest", language_code="en")
    for chat in (bold, dulmaa, newcomer):
        await chat.send(training.code)

    await coach.press("Асуулт асуух")
    replies = await coach.send("Сайн засаглалыг нэг үгээр?")
    assert "бүртгүүлсэн 3 оролцогчид илгээж байна" in to(replies, None)[0]
    # Everyone checked in gets the question through the outbox, in their own language.
    notices = await delivered(app)
    for user_id in (21, 22, 23):
        assert "Сайн засаглалыг нэг үгээр?" in to(notices, user_id)[0]
    assert "Cyrillic or Latin" in to(notices, 23)[0] and "Кирилл" in to(notices, 21)[0]
    assert to(notices, TRAINER) == [] and await delivered(app) == []  # once

    for chat, answer in ((bold, "ил тод"), (dulmaa, "il tod"), (newcomer, "ил тодоор")):
        replies = await chat.send(answer)
        taken = "Your answer is in" if chat is newcomer else "Хариулт тань бүртгэгдлээ"
        assert taken in chat.texts(replies)[0]  # not the FAQ's answer
    await bold.send("хамтын ажиллагаа")
    await dulmaa.send("hamtiin ajillagaa")
    outsider = await participant(app, 24)  # did not check in: the FAQ takes the text
    await outsider.send("ил тод")
    assert len(await rows_of(app, OpenAnswer)) == 5

    await coach.press("Үгийн үүл")
    cloud = plain(coach.last().text)
    assert "ил тод — 3" in cloud and "хамтын ажиллагаа — 2" in cloud
    await coach.press("🙈 1")  # one tap hides Болд's "ил тод"
    assert "ил тодоор — 2" in plain(coach.last().text)  # a tie: Cyrillic over Latin
    assert "👁 1" in coach.last().labels()
    assert [a.hidden for a in await rows_of(app, OpenAnswer)] == [True] + [False] * 4

    replies = await coach.press_data(TrainingPress(training.id, "csv").pack())
    table = csv_rows(sent(replies, SendDocument)[0])
    assert [row[2] for row in table[1:]] == [
        "ил тод",
        "il tod",
        "ил тодоор",
        "хамтын ажиллагаа",
        "hamtiin ajillagaa",
    ]
    assert table[1][6] == "тийм" and table[2][6] == ""

    await coach.press("Асуултыг хаах")
    replies = await bold.send("дахиад нэг санаа")  # closed: not an answer any more
    assert len(await rows_of(app, OpenAnswer)) == 5

    other = Chat(app, 30, first_name="Өөр сургагч")
    await register(other, grant="trainer")
    await other.press_data(TrainingPress(training.id, "cloud").pack())
    await other.press_data(TrainingPress(training.id, "end").pack())
    assert other.notices[-1].startswith("Энэ сургалтыг зөвхөн")
    assert (await rows_of(app, Training))[0].state == "open"


async def test_only_attendees_evaluate_and_the_trainer_sees_the_means(app):
    coach = await trainer(app)
    training = await open_training(coach)
    bold, dulmaa = await participant(app, 21, "Болд"), await participant(app, 22, "Дулмаа")
    late = await participant(app, 24, "Хоцорсон")
    await bold.send(training.code)
    await dulmaa.send(training.code)

    await bold.press_data(EvaluatePress(training.id).pack())  # too early
    assert "хараахан эхлүүлээгүй" in bold.notices[-1]
    await coach.press("Үнэлгээ эхлүүлэх")
    notices = await delivered(app)
    assert sorted(r.chat_id for r in notices) == [21, 22]  # not the trainer, not the late
    invite = next(r for r in notices if r.chat_id == 21)
    assert "Сургалтыг үнэлнэ үү" in plain(invite.text)
    assert invite.buttons[0][0].data == EvaluatePress(training.id).pack()

    # Someone who did not check in can neither check in now nor evaluate.
    replies = await late.send(training.code)
    assert "бүртгэл хаагдсан" in late.texts(replies)[0]
    await late.press_data(EvaluatePress(training.id).pack())
    assert "зөвхөн сургалтад бүртгүүлсэн" in late.notices[-1]
    replies = await late.send(f"/evaluate {training.code}")
    assert "зөвхөн сургалтад бүртгүүлсэн" in late.texts(replies)[0]

    await bold.press_data(EvaluatePress(training.id).pack())
    for score in ("4", "5", "3"):
        await bold.press(score)
    replies = await bold.send("Маш хэрэгтэй сургалт байлаа")
    assert "баярлалаа" in bold.texts(replies)[0]
    await dulmaa.send(f"/evaluate {training.code}")
    await dulmaa.press("2")
    await dulmaa.send("9")  # not a rating: asked again
    assert "1" in plain(dulmaa.last().text)
    await dulmaa.send("3")
    await dulmaa.press("5")
    await dulmaa.press("Алгасах")

    evaluations = await rows_of(app, Evaluation)
    assert [(e.user_id, e.content, e.trainer, e.usefulness, e.comment) for e in evaluations] == [
        (21, 4, 5, 3, "Маш хэрэгтэй сургалт байлаа"),
        (22, 2, 3, 5, None),
    ]
    replies = await coach.press("Үнэлгээний дүн")
    summary = coach.texts(replies)[0]
    assert "Үнэлсэн: 2 (бүртгүүлсэн 2)" in summary
    assert "Агуулга: 3.0" in summary and "Сургагч багш: 4.0" in summary
    assert "Агуулга: 3.0 (2★×1, 4★×1)" in summary  # how many gave each score
    assert "Ажилд хэрэгтэй байдал: 4.0" in summary and "Маш хэрэгтэй" in summary

    # Ending asks first, says who evaluated, and evaluations go on for 48 hours after it.
    await coach.press("Сургалтыг дуусгах")
    confirm = plain(coach.find("Тийм, дуусгах")[0].text)  # the panel asks
    assert "дуусгах уу?" in confirm and "Бүртгүүлсэн 2 хүнээс 2 нь үнэлсэн" in confirm
    assert (await rows_of(app, Training))[0].state == "evaluation"  # not yet
    await coach.press("Тийм, дуусгах")
    assert (await rows_of(app, Training))[0].state == "closed"
    assert "48 цагийн дотор үнэлж болно" in coach.notices[-1]
    await coach.press_data(TrainingPress(training.id, "endok").pack())  # a repeat: nothing new
    replies = await dulmaa.send("/evaluate")  # no code: the training she checked in to
    assert "1/3" in plain(dulmaa.last().text)
    assert "өмнөх үнэлгээ тань шинэчлэгдэнэ" in dulmaa.texts(replies)[0]  # she rated already
    await dulmaa.send("/cancel")
    ended = app.services.clock()
    app.services.clock = lambda: ended + timedelta(hours=49)
    await bold.press_data(EvaluatePress(training.id).pack())
    assert "хаагдсан" in bold.notices[-1]


async def test_the_cloud_exports_as_a_picture(app):
    coach = await trainer(app)
    training = await open_training(coach)
    bold = await participant(app, 21, "Болд")
    await bold.send(training.code)
    replies = await coach.press_data(TrainingPress(training.id, "png").pack())
    assert "асуулт асуугаагүй" in coach.texts(replies)[0]
    await coach.press("Асуулт асуух")
    await coach.send("Сайн засаглалыг нэг үгээр?")
    for answer in ("ил тод", "хариуцлага", "оролцоо", "il tod"):
        await bold.send(answer)
    await coach.press("Үгийн үүл")
    replies = await coach.press("PNG")
    picture = sent(replies, SendPhoto)[0]
    assert isinstance(picture.photo, bytes) and picture.photo.startswith(b"\x89PNG")
    assert "4" in plain(picture.caption)
