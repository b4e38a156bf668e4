"""The free-text policy through the real aiogram and python-telegram-bot stacks."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import FaqQuestion
from tests.runtime.harness import LiveBot
from tests.support.library import share

OFFICER, OTHER = 9101, 9102
TITLE = "Ахмадын өдрийн төвийн сайн дурын аян"
UNKNOWN = "Хорооны цахилгааны тариф хэд вэ"


async def register(live: LiveBot, user_id: int) -> None:
    await live.say(user_id, "/start")
    await live.press(user_id, "Монгол")
    await live.press(user_id, "Баянгол")
    await live.say(user_id, "5")
    await live.press(user_id, "Хорооны ажилтан")


async def kept_questions(live: LiveBot) -> list[FaqQuestion]:
    async with live.app.database.transaction() as session:
        return list((await session.scalars(select(FaqQuestion))).all())


async def test_a_command_leaves_the_form_and_start_offers_the_draft(live: LiveBot):
    await register(live, OFFICER)
    await live.press(OFFICER, "Туршлага илгээх")
    await live.say(OFFICER, TITLE)
    replies = await live.say(OFFICER, "/menu")
    assert "ноорог хадгалагдсан" in (replies[0].text or "")
    await live.say(OFFICER, "ХСАЗ гэж юу вэ")  # a question, not the practice's category
    assert "Харилцан суралцах арга зүй" in live.last_text(OFFICER)
    await live.say(OFFICER, "/start")
    assert "дуусаагүй" in live.last_text(OFFICER)
    await live.say(OFFICER, "6 сарын хугацаанд 120 ахмадад үйлчилгээ үзүүлсэн")
    assert await kept_questions(live) == []  # offered to the trainers at most, never sent
    await live.press(OFFICER, "▶️ Үргэлжлүүлэх")
    assert "Ангилал" in live.last_text(OFFICER)


async def test_a_new_search_on_results_and_small_talk_are_not_forwarded(live: LiveBot):
    await share(live.app, "Цахим үйлчилгээг ахмадад заах сургалт")
    await share(live.app, "Хог хаягдлыг эх үүсвэр дээр нь ангилах аян")
    await register(live, OFFICER)
    await live.say(OFFICER, "/search хог")
    await live.say(OFFICER, "tsahim uilchilgee")
    assert "Цахим үйлчилгээг" in live.last_text(OFFICER)
    for text in ("сайн уу", "баярлалаа", "3"):
        await live.say(OFFICER, text)
        assert "📝 Туршлага илгээх" in live.fake.last_message(OFFICER).button_texts  # type: ignore[union-attr]
    assert await kept_questions(live) == []


async def test_a_question_is_forwarded_once_when_agreed_and_merged(live: LiveBot):
    await register(live, OFFICER)
    await register(live, OTHER)
    await live.say(OFFICER, UNKNOWN)
    offer = live.with_button(OFFICER, "📨 Тийм, илгээх")
    data = offer.button("📨 Тийм, илгээх").callback_data
    await live.press(OFFICER, "📨 Тийм, илгээх", offer)
    assert "илгээлээ" in live.last_text(OFFICER)
    await live.push(live.fake.user_presses(OFFICER, offer, data, check=False))  # pressed again
    notice = live.fake.calls("answerCallbackQuery")[-1].params["text"]
    assert notice == "Энэ асуултыг аль хэдийн шийдсэн."
    await live.say(OTHER, UNKNOWN.lower() + "?")
    await live.press(OTHER, "📨 Тийм, илгээх")
    kept = await kept_questions(live)
    assert len(kept) == 2 and len({q.key for q in kept}) == 1
