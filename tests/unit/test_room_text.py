"""What a participant types during a training: answers, questions, codes and links."""

from __future__ import annotations

from handlers.html import plain
from handlers.trainings import shorten
from storage.models import OpenAnswer, RoomQuestion, Training, VoteSession
from tests.support.chat import Chat
from tests.unit.test_trainings import open_training, participant, room, rows_of, trainer


async def asked(coach: Chat, question: str = "Сайн засаглалыг нэг үгээр?") -> None:
    await coach.press("Асуулт асуух")
    await coach.send(question)


async def test_short_answers_count_while_the_question_is_open(app):
    coach, training, [bold] = await room(app, "Болд")
    await asked(coach, "Та хэдэн жил ажиллаж байна?")
    said = []
    for short in ("Тийм", "12", "Ok", "👍"):
        replies = await bold.send(short)
        said.append(bold.texts(replies)[0])
        assert "Хариулт тань бүртгэгдлээ" in said[-1], short
    assert [a.text for a in await rows_of(app, OpenAnswer)] == ["Тийм", "12", "Ok", "👍"]
    # The first answer says how to ask the bot instead; the fifth says it was the last.
    assert "«❓ Асуулт асуух»" in said[0] and "«❓" not in said[1]
    replies = await bold.send("тав дахь")
    assert "хариултын тоо дууслаа" in bold.texts(replies)[0]
    replies = await bold.send(f"/checkin {training.code}")  # all given: not asked again
    assert not any("Хариултаа нэг үг" in text for text in bold.texts(replies))


async def test_the_menus_ask_a_question_sends_text_to_the_faq_not_the_cloud(app):
    coach, _training, [bold] = await room(app, "Болд")
    await asked(coach)
    await bold.send("/menu")
    await bold.press("Асуулт асуух")
    replies = await bold.send("Туршлагыг яаж баримтжуулах вэ?")
    assert "Хариулт тань бүртгэгдлээ" not in " ".join(bold.texts(replies))
    assert await rows_of(app, OpenAnswer) == []
    replies = await bold.send("ил тод")  # the screen is left: the room's question again
    assert "Хариулт тань бүртгэгдлээ" in bold.texts(replies)[0]


async def test_a_late_answer_is_told_the_question_closed_once(app):
    coach, _training, [bold] = await room(app, "Болд")
    await asked(coach)
    await bold.send("ил тод")
    await coach.press("Асуултыг хаах")
    replies = await bold.send("хариуцлага")
    assert "хаагдсан тул энэ хариултыг бүртгэсэнгүй" in bold.texts(replies)[0]
    replies = await bold.send("Хүний нөөц")  # told once; then text goes where it would
    assert "хаагдсан тул" not in " ".join(bold.texts(replies))
    assert len(await rows_of(app, OpenAnswer)) == 1


async def test_a_newcomers_question_for_the_trainer_is_not_an_answer(app):
    coach = await trainer(app)
    training = await open_training(coach)
    newcomer = Chat(app, 23, first_name="Зочин")
    await newcomer.send(f"/start tr_{training.code}")
    await asked(coach)
    await newcomer.press("Сургагчаас асуух")
    replies = await newcomer.send("Хороо бүр сайтгүй бол яах вэ?")
    assert "илгээлээ" in newcomer.texts(replies)[-1]
    assert [q.text for q in await rows_of(app, RoomQuestion)] == ["Хороо бүр сайтгүй бол яах вэ?"]
    assert await rows_of(app, OpenAnswer) == []
    replies = await newcomer.send("ил тод")  # no form now: an answer, before registering
    assert "Хариулт тань бүртгэгдлээ" in newcomer.texts(replies)[0]


async def test_pasted_links_check_in_and_open_votes(app):
    coach = await trainer(app)
    training = await open_training(coach)
    bold = await participant(app, 21, "Болд")
    replies = await bold.send(f"https://t.me/khoroo_bot?start=tr_{training.code}")
    assert "сургалтад бүртгүүллээ" in bold.texts(replies)[0]
    newcomer = Chat(app, 24, first_name="Зочин", language_code="en")
    replies = await newcomer.send(f"t.me/khoroo_bot?start=tr_{training.code.lower()}")
    assert "checked in" in newcomer.texts(replies)[0]
    await coach.press("Санал хураах")
    await coach.send("Аль нь вэ?")
    for text in ("Нэг", "Хоёр"):
        await coach.send(text)
    for label in ("Болсон", "Нэг сонголт", "Нэргүй", "Гараар хаана", "Эхлүүлэх"):
        await coach.press(label)
    vote = (await rows_of(app, VoteSession))[0]
    dulmaa = await participant(app, 22, "Дулмаа")
    replies = await dulmaa.send(f"https://t.me/khoroo_bot?start=vote_{vote.code}")
    assert "Аль нь вэ?" in plain(dulmaa.last().text)


async def test_cancelling_with_nothing_typed_keeps_no_draft(app):
    _coach, _training, [bold] = await room(app, "Болд")
    await bold.press("Сургагчаас асуух")
    replies = await bold.send("/cancel")
    said = bold.texts(replies)[0]
    assert "цуцаллаа" in said and "хадгалагдсан" not in said
    replies = await bold.send("/start")  # and /start offers no draft to continue
    assert "ноорог" not in " ".join(bold.texts(replies))


async def test_the_named_questions_switch_sets_what_it_says(app):
    coach = await trainer(app)
    training = await open_training(coach)
    screen, button = coach.find("Асуулт: нэргүй")
    for _ in range(2):  # a double tap on the same panel: named, and named again
        await coach.press_data(button.data or "", message_id=screen.message_id)
    assert (await rows_of(app, Training))[0].questions_named is True
    assert training.id == (await rows_of(app, Training))[0].id


def test_a_question_on_a_button_is_shortened_at_a_words_end():
    assert shorten("Аль арга хамгийн үр дүнтэй вэ?") == "Аль арга хамгийн үр…"
    assert shorten("Тийм үү?") == "Тийм үү?"


async def test_a_second_open_training_is_pointed_out_and_the_list_shows_states(app):
    coach = await trainer(app)
    first = await open_training(coach, "Эхний сургалт")
    replies = await coach.send("/training Хоёр дахь сургалт")
    assert any(f"({first.code})" in t and "бас нээлттэй" in t for t in coach.texts(replies))
    replies = await coach.send("/training")
    labels = coach.last().labels()
    assert any(label.startswith(f"🟢 {first.code} · Эхний сургалт · ") for label in labels)


async def test_a_buttons_label_typed_instead_of_pressed_counts_as_the_press(app):
    coach = await trainer(app)
    await coach.send("/newvote")
    await coach.send("Аль арга илүү үр дүнтэй вэ?")
    for option in ("Иргэдийн хурал", "Цахим санал асуулга"):
        await coach.send(option)
    for typed in ("Болсон", "нэг сонголт", "Нэргүй", "шууд харуулах", "Гараар хаана"):
        replies = await coach.send(typed)
        assert "Доорх товчнуудаас сонгоно уу" not in " ".join(coach.texts(replies)), typed
    replies = await coach.send("Эхлүүлэх")
    [vote] = await rows_of(app, VoteSession)
    assert vote.kind == "single" and vote.live is True and not vote.named
    replies = await coach.send("/newvote")
    await coach.send("Өөр асуулт байна уу?")
    for option in ("Тийм", "Үгүй"):
        await coach.send(option)
    await coach.send("Болсон")
    replies = await coach.send("аль нь ч биш")  # no button says that: asked again
    assert "Доорх товчнуудаас сонгоно уу" in " ".join(coach.texts(replies))
