"""One policy for free text, driven through the dispatcher as an officer would type."""

from __future__ import annotations

from sqlalchemy import select

from handlers.conversation import small_talk_kind
from handlers.html import plain
from storage.audit import AuditLog
from storage.models import Announcement, FaqQuestion
from tests.support.chat import Chat, register
from tests.support.library import share
from tests.unit.test_votes import open_vote, trainer

TITLE = "Ахмадын өдрийн төвийн сайн дурын аян"
RESULT = "6 сарын хугацаанд 120 ахмадад үйлчилгээ үзүүлсэн"
UNKNOWN = "Хорооны цахилгааны тариф хэд вэ"


async def questions(app) -> list[FaqQuestion]:
    async with app.database.transaction() as session:
        return list((await session.scalars(select(FaqQuestion).order_by(FaqQuestion.id))).all())


async def test_a_command_during_a_form_leaves_it_and_keeps_the_draft(app):
    chat = Chat(app, 301)
    await register(chat)
    await chat.press("Туршлага илгээх")
    await chat.send(TITLE)
    assert "Ангилал" in plain(chat.last().text)
    await chat.send("/menu")
    kept = plain(chat.screens[max(chat.screens) - 1].text)
    assert (
        "ноорог хадгалагдсан" in kept
        and "▶️ Үргэлжлүүлэх" in chat.screens[max(chat.screens) - 1].labels()
    )
    await chat.send("ХСАЗ гэж юу вэ")  # a question now, not the practice's category or title
    assert "Харилцан суралцах арга зүй" in plain(chat.last().text)
    await chat.press("▶️ Үргэлжлүүлэх")
    assert "Ангилал" in plain(chat.last().text)  # back at the step it left, title kept
    await chat.press("Байгаль орчин")
    assert "Ангилал" not in plain(chat.last().text)


async def test_menu_at_the_first_step_then_a_question_is_not_the_title(app):
    chat = Chat(app, 302)
    await register(chat)
    await chat.press("Туршлага илгээх")
    await chat.send("/menu")
    await chat.send("ХСАЗ гэж юу вэ")
    assert "Харилцан суралцах арга зүй" in plain(chat.last().text)
    assert await questions(app) == []


async def test_start_with_a_draft_offers_to_continue_it(app):
    chat = Chat(app, 303)
    await register(chat)
    await chat.press("Туршлага илгээх")
    await chat.send(TITLE)
    await chat.send("/start")
    offer = chat.last()
    assert "дуусаагүй" in plain(offer.text)
    assert offer.labels() == ["▶️ Үргэлжлүүлэх", "🗑 Ноорог устгаад шинээр эхлэх", "🏠 Үндсэн цэс"]
    await chat.send(RESULT)  # not an answer to a step, not forwarded to the trainers
    assert await questions(app) == []
    await chat.press("▶️ Үргэлжлүүлэх", screen=offer)
    assert "Ангилал" in plain(chat.last().text)
    await chat.send("/start")
    await chat.press("🗑 Ноорог устгаад шинээр эхлэх")
    assert chat.notices[-1] == "Ноорог устгагдлаа."
    await chat.send("/start")
    assert "дуусаагүй" not in plain(chat.last().text)  # nothing left to offer: the menu


async def test_a_text_on_the_results_screen_is_a_new_search(app):
    await share(app, "Цахим үйлчилгээг ахмадад заах сургалт")
    await share(app, "Хог хаягдлыг эх үүсвэр дээр нь ангилах аян")
    chat = Chat(app, 304)
    await register(chat)
    await chat.send("/search хог")
    assert "Хог хаягдлыг" in plain(chat.last().text)
    await chat.send("tsahim uilchilgee")
    results = plain(chat.last().text)
    assert "Цахим үйлчилгээг" in results and "олдлоо" in results
    assert await questions(app) == []
    await chat.press("1. ")  # a practice card: the results screen is left
    await chat.send("ХСАЗ гэж юу вэ")
    assert "Харилцан суралцах арга зүй" in plain(chat.last().text)


async def test_small_talk_gets_a_short_answer_and_the_menu_never_forwarded(app):
    chat = Chat(app, 305)
    await register(chat)
    for text in ("сайн уу", "Сайн байна уу?", "баярлалаа", "hi", "thanks", "ok", "3", "👍"):
        await chat.send(text)
        assert "📝 Туршлага илгээх" in chat.last().labels(), text
        assert "илгээх үү" not in plain(chat.last().text), text
    assert await questions(app) == []


def test_the_small_talk_table_is_folded():
    assert small_talk_kind("sain uu") == small_talk_kind("САЙН УУ!") == "greeting"
    assert small_talk_kind("bayarlalaa") == "thanks"
    assert small_talk_kind("42") == small_talk_kind("🙂") == "noise"
    assert small_talk_kind("Өнөөдөр цаг агаар ямар байх вэ") is None


async def test_an_unknown_question_is_forwarded_only_when_agreed_once_and_merged(app):
    asker, other, third = Chat(app, 306), Chat(app, 307), Chat(app, 308)
    for chat in (asker, other, third):
        await register(chat)
    await asker.send("Маргааш цаг агаар ямар байх вэ")
    assert "илгээх үү" in plain(asker.last().text)
    await asker.press("Үгүй")
    assert await questions(app) == []

    await asker.send(UNKNOWN)
    offer, yes = asker.find("📨 Тийм, илгээх")
    await asker.press_data(yes.data or "", offer.message_id)
    assert "илгээлээ" in plain(asker.last().text)
    await asker.press_data(yes.data or "", offer.message_id)  # a second press: nothing more
    assert asker.notices[-1] == "Энэ асуултыг аль хэдийн шийдсэн."
    await other.send(UNKNOWN.lower() + "?")  # the same question, folded
    await other.press("📨 Тийм, илгээх")
    await third.send("Хорооны цахилгааны тарифф хэд вэ")  # nearly the same words
    await third.press("📨 Тийм, илгээх")
    await asker.send(UNKNOWN)  # the same officer again: still one asker
    await asker.press("📨 Тийм, илгээх")
    assert "өмнө нь илгээсэн" in plain(asker.last().text)
    kept = await questions(app)
    assert len(kept) == 3 and len({q.key for q in kept}) == 1
    # The trainers hear of a new question once, through the outbox: not of each asker.
    async with app.database.transaction() as session:
        notices = (
            await session.scalars(select(Announcement).where(Announcement.kind == "question"))
        ).all()
    assert [n.text for n in notices] == []  # no trainer registered yet: nobody to tell


async def test_trainers_dismiss_and_merge_questions(app):
    asker, other, trainer, officer = Chat(app, 310), Chat(app, 311), Chat(app, 312), Chat(app, 313)
    await register(asker)
    await register(other)
    await register(officer)
    await register(trainer, grant="trainer")
    for chat, text in (
        (asker, UNKNOWN),
        (other, "Хорооны ажилтны цалин хэд вэ"),
        (officer, "Биткойн худалдаж авах уу"),
    ):
        await chat.send(text)
        await chat.press("📨 Тийм, илгээх")

    await officer.send("/questions")  # not a trainer
    assert "сургагч багш, админ" in plain(officer.last().text)
    await trainer.send("/questions")
    assert len(trainer.last().labels()) == 3
    await trainer.press("Биткойн")
    assert "Асуусан: 1 хүн" in plain(trainer.last().text)
    await trainer.press("🚫 Хасах")
    assert trainer.notices[-1] == "Асуултыг жагсаалтаас хаслаа."
    assert not any("Биткойн" in label for label in trainer.last().labels())

    await trainer.press("цалин")
    await trainer.press("🔗 Өөр асуулттай нэгтгэх")
    await trainer.press("тариф")
    assert "Одоо 2 хүн асуусан" in plain(trainer.screens[max(trainer.screens) - 1].text)
    assert trainer.last().labels() == [f"(2) {UNKNOWN}"]
    await trainer.press(f"(2) {UNKNOWN}")
    await trainer.press("Хариулах")
    await trainer.send("Тарифыг Эрчим хүчний зохицуулах хороо тогтоодог.")
    await trainer.press("Сэдэвт нэмэхгүй")
    assert "Хариултыг 2 хүнд илгээлээ" in plain(trainer.last().text)  # both askers answered
    async with app.database.transaction() as session:
        actions = [e.action for e in await AuditLog(session).entries()]
    assert "faq.question_dismissed" in actions and "faq.question_merged" in actions


async def test_the_menu_button_of_an_older_message_also_leaves_the_form(app):
    chat = Chat(app, 314)
    await register(chat)
    menu = chat.last()
    await chat.press("Туршлага илгээх", screen=menu)
    await chat.send(TITLE)
    await chat.press("Асуулт асуух", screen=menu)
    assert any("ноорог хадгалагдсан" in plain(s.text) for s in chat.screens.values())
    await chat.send("ХСАЗ гэж юу вэ")
    assert "Харилцан суралцах арга зүй" in plain(chat.last().text)


async def test_a_label_of_the_last_screen_typed_outside_a_form_is_its_press(app):
    asker = Chat(app, 320)
    await register(asker)
    await asker.send(UNKNOWN)
    await asker.send("тийм")  # «📨 Тийм, илгээх» typed: the question goes, not small talk
    assert "илгээлээ" in plain(asker.last().text)
    assert len(await questions(app)) == 1
    # A vote's panel: «хаах» closes the vote, and what a tap would toast is said.
    owner = await trainer(app)
    await open_vote(owner)
    replies = await owner.send("хаах")
    assert "Санал хураалт хаагдлаа." in owner.texts(replies)
    assert "🔴 хаагдсан" in plain(owner.last().text)
    # Words that are no label of the last screen keep their meaning: a question for the FAQ.
    replies = await owner.send("ХСАЗ гэж юу вэ")
    assert "хаагдсан" not in " ".join(owner.texts(replies))


async def test_two_drafts_both_survive_a_command_and_the_answer_resumes(app):
    asker, trainer = Chat(app, 330), Chat(app, 331)
    await register(asker)
    await register(trainer, grant="trainer")
    await asker.send(UNKNOWN)
    await asker.press("📨 Тийм, илгээх")
    await trainer.send("/submit")
    await trainer.send("Хогийн цэгийн шинэ журам")  # a practice draft, left at step 2
    await trainer.send("/questions")
    await trainer.press("тариф")
    await trainer.press("Хариулах")
    await trainer.send("Тарифыг зохицуулах хороо тогтоодог.")  # the answer, at its topic step
    await trainer.send("/search")
    replies = await trainer.send("/start")
    offer = plain(trainer.texts(replies)[-1])
    assert "Асуултад хариулах" in offer  # the draft used last is offered first
    assert "📝 Мөн ноорог: Туршлага илгээх" in trainer.last().labels()
    # «Хариулах» again on the same question resumes the answer instead of wiping it.
    await trainer.send("/questions")
    await trainer.press("тариф")
    await trainer.press("Хариулах")
    replies = await trainer.press("Сэдэвт нэмэхгүй")
    assert "Хариултыг 1 хүнд илгээлээ" in plain(trainer.last().text)
    assert any("зохицуулах хороо" in r.text for r in replies if getattr(r, "chat_id", 0) == 330)
    await trainer.send("/start")
    await trainer.press("Үргэлжлүүлэх")
    assert "2. Ангилал" in plain(trainer.last().text)  # the practice draft, where it was left


async def test_a_lone_word_the_bot_does_not_know_is_not_offered_to_the_trainers(app):
    chat = Chat(app, 340)
    await register(chat)
    replies = await chat.send("хаах")
    said = " ".join(chat.texts(replies))
    assert "ойлгосонгүй" in said and "сургагч багш нарт илгээх" not in said
    replies = await chat.send("хаах уу?")  # asked as a question, it may go to the trainers
    assert "сургагч багш нарт илгээ" in " ".join(chat.texts(replies))


async def test_trainers_are_told_of_a_new_question_once(app):
    asker, other, trainer = Chat(app, 350), Chat(app, 351), Chat(app, 352)
    for chat in (asker, other):
        await register(chat)
    await register(trainer, grant="trainer")
    for chat in (asker, other):
        await chat.send(UNKNOWN)
        await chat.press("📨 Тийм, илгээх")
    async with app.database.transaction() as session:
        [notice] = (
            await session.scalars(select(Announcement).where(Announcement.kind == "question"))
        ).all()
    assert notice.recipients == 1 and UNKNOWN in notice.text and "/questions" in notice.text
