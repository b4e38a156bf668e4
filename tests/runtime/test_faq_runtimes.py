"""Methodology questions through the real aiogram and python-telegram-bot stacks."""

from __future__ import annotations

from sqlalchemy import select

from handlers.faq import TOPICS_PER_PAGE
from knowledge.faq import FaqBase
from storage.models import FaqFeedback
from tests.runtime.harness import LiveBot
from tests.support.chat import grant_role

OFFICER, TRAINER = 6001, 6002


async def register(live: LiveBot, user_id: int, position: str) -> None:
    await live.say(user_id, "/start")
    await live.press(user_id, "Монгол")
    await live.press(user_id, "Налайх")
    await live.say(user_id, "3")
    await live.press(user_id, position)


async def test_questions_are_answered_browsed_and_taught(live: LiveBot):
    fake = live.fake
    await register(live, OFFICER, "Хорооны ажилтан")
    await register(live, TRAINER, "Бусад")
    await grant_role(live.app, TRAINER, "trainer")

    replies = await live.say(OFFICER, "sain turshlagiig yaaj todorhoiloh ve")
    assert replies[-1].text.startswith("Сайн туршлагыг")  # the identify topic's answer
    await live.press(OFFICER, "👍 Тустай")
    assert fake.calls("answerCallbackQuery")[-1].params["text"] == "Санал өгсөнд баярлалаа!"

    await live.say(OFFICER, "/faq")
    await live.press(OFFICER, "▶")
    pages = -(-len(FaqBase.load().entries()) // TOPICS_PER_PAGE)
    assert f"2/{pages}" in fake.last_message(OFFICER).button_texts

    await live.say(OFFICER, "Гэр хорооллын зам засвар хэзээ хийгдэх вэ")
    assert "сургагч багш нарт илгээх үү" in live.last_text(OFFICER)
    await live.press(OFFICER, "📨 Тийм, илгээх")
    assert "сургагч багш нарт илгээлээ" in live.last_text(OFFICER)
    await live.say(TRAINER, "/questions")
    await live.press(TRAINER, "(1)")
    await live.press(TRAINER, "Хариулах")
    await live.say(TRAINER, "Зам засварын төлөвлөгөөг дүүргийн Засаг даргын Тамгын газар гаргадаг.")
    await live.press(TRAINER, "Сэдэвт нэмэхгүй")
    assert "Засаг даргын Тамгын газар" in live.last_text(OFFICER)
    assert live.last_text(OFFICER).startswith("📬")


async def test_feedback_for_a_topic_that_does_not_exist_is_not_stored(live: LiveBot):
    fake = live.fake
    await register(live, OFFICER, "Хорооны ажилтан")
    await live.say(OFFICER, "sain turshlagiig yaaj todorhoiloh ve")
    card = live.with_button(OFFICER, "👍 Тустай")
    # A well-formed press for a topic that is not in the knowledge base, and a malformed one.
    for data in ("faqf:no-such-topic:1", "faqf:" + "x" * 58 + ":0"):
        await live.push(fake.user_presses(OFFICER, card, data, check=False))
        answer = fake.calls("answerCallbackQuery")[-1].params
        assert answer["text"] == live.app.services.catalogue.text("mn", "error.outdated_button")
    await live.press(OFFICER, "👍 Тустай")
    assert fake.calls("answerCallbackQuery")[-1].params["text"] == "Санал өгсөнд баярлалаа!"
    async with live.app.database.transaction() as session:
        topics = (await session.scalars(select(FaqFeedback.topic_id))).all()
    assert topics == ["plm-identify"]
