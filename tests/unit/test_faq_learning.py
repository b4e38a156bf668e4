"""Every miss a trainer answers becomes an example of the topic it was answered with."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import build_app
from handlers.html import plain
from knowledge.faq import FaqBase
from storage.models import AuditEntry, FaqLesson
from tests.support.chat import Chat, register

# Worded the way an officer complains, not like any example of the topic: the bot is unsure.
MISS = "Манай багийнхан шинэ журмыг хүлээж авахгүй байна, яах вэ"
TOPIC = "change-resistance"
TITLE = "Өөрчлөлтийн эсэргүүцлийг"  # the start of the topic's Mongolian title
ANSWER_WORDS = "Эсэргүүцэл 2 янз"  # words of the topic's own answer


def test_the_miss_is_unsure_before_it_is_taught() -> None:
    result = FaqBase.load().ask(MISS)
    assert result.confidence != "confident"
    assert TOPIC in result.suggestions


async def test_a_miss_answered_with_a_topic_is_learned_audited_listed_and_kept(app, settings):
    asker, trainer = Chat(app, 30), Chat(app, 31, first_name="Сараа")
    await register(asker)
    await register(trainer, position="Бусад", grant="trainer")
    await asker.send(MISS)
    assert ANSWER_WORDS not in plain(asker.last().text)
    await asker.press("📨 Тийм, илгээх")

    await trainer.send("/questions")
    await trainer.press("(1)")
    await trainer.press("Хариулах")
    await trainer.send("Өөрчлөлтийг дэмжигчдийн баг бүрдүүлж, хэвшлийг аажмаар өөрчилнө.")
    replies = await trainer.press(TITLE)  # the topic the trainer answered it with
    to_asker = [text for text in trainer.texts(replies) if "дэмжигчдийн баг" in text]
    assert to_asker, "the asker gets the trainer's answer"

    # The bot now answers the officer's own words with the topic, without a trainer.
    await asker.send(MISS)
    assert ANSWER_WORDS in plain(asker.last().text)

    # Accountable: the lesson names who taught it, the audit log records it, /taught lists it.
    async with app.database.transaction() as session:
        lesson = (await session.scalars(select(FaqLesson))).one()
        assert (lesson.topic_id, lesson.question, lesson.answer) == (TOPIC, MISS, None)
        assert lesson.created_by == 31
        audit = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "faq.teach"))
        ).one()
    assert (audit.actor_id, audit.target) == (31, f"lesson:{lesson.id}")
    assert audit.details["topic"] == TOPIC and audit.details["kind"] == "example"
    await trainer.send("/taught")
    await trainer.press(f"#{lesson.id}")
    card = plain(trainer.last().text)
    assert "сэдвийн жишээ асуулт" in card and MISS in card and "Заасан: Сараа" in card

    # A restart loads the lesson again: the example outlives the process.
    restarted = await build_app(settings, migrate=False)
    try:
        assert restarted.services.faq is not None
        result = restarted.services.faq.ask(MISS)
        assert (result.confidence, result.topic) == ("confident", TOPIC)
    finally:
        await restarted.close()

    # Withdrawn, the example is forgotten again.
    await trainer.press("Буцаан татах")
    await asker.send(MISS)
    assert ANSWER_WORDS not in plain(asker.last().text)


def test_the_issue_examples_are_answered_with_their_topics() -> None:
    base = FaqBase.load()
    for question, topic in (
        ("Бусад хорооны туршлагыг манайд хэрэгжүүлэхэд юуг анхаарах вэ", "plm-adopt"),
        ("Шинэ санаачилгыг хамт олон эсэргүүцвэл яах вэ", "change-resistance"),
        ("how do we choose which practice to copy?", "plm-rank"),
    ):
        result = base.ask(question, "en" if question.isascii() else "mn")
        assert (result.confidence, result.topic) == ("confident", topic), (question, result)
