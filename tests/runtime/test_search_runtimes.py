"""Search, inline mode, adoption, reporting, evaluation and a reminder on both runtimes."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.reminders import Reminders
from storage.models import utcnow
from tests.runtime.harness import LiveBot
from tests.support.library import share

AUTHOR, ADOPTER = 8001, 8002
TITLE = "Хог хаягдлыг эх үүсвэр дээр нь ангилах аян"
SCHOOL = "Хог ангилах сургалт сургуульд"


async def register(live: LiveBot, user_id: int, district: str, khoroo: str) -> None:
    await live.say(user_id, "/start")
    await live.press(user_id, "Монгол")
    await live.press(user_id, district)
    await live.say(user_id, khoroo)
    await live.press(user_id, "Хорооны ажилтан")


def heard(live: LiveBot, user_id: int, text: str) -> bool:
    return any(text in (m.text or "") for m in live.fake.sent_messages(user_id)[-3:])


async def test_search_adopt_report_evaluate_inline_and_a_reminder(live: LiveBot):
    fake = live.fake
    await register(live, AUTHOR, "Сонгинохайрхан", "30")
    await register(live, ADOPTER, "Баянгол", "5")
    for number in range(20):
        await share(live.app, f"Хог цэвэрлэх аян №{number + 1}", submitter=AUTHOR)
    await share(live.app, TITLE, submitter=AUTHOR)
    await share(live.app, SCHOOL, category="education", submitter=AUTHOR)

    await live.say(ADOPTER, "/search хог")
    assert "22 туршлага олдлоо" in live.last_text(ADOPTER)
    await live.press(ADOPTER, "▶")
    assert "2/3" in fake.last_message(ADOPTER).button_texts
    await live.press(ADOPTER, "Шүүлтүүр")
    await live.press(ADOPTER, "Ангилал: Бүгд")
    await live.press(ADOPTER, "Боловсрол")
    await live.press(ADOPTER, "Үр дүнг харах")
    assert "1 туршлага олдлоо" in live.last_text(ADOPTER)

    await live.press(ADOPTER, f"1. {SCHOOL}")
    assert "Нутагшуулсан хороо: 0" in live.last_text(ADOPTER)
    await live.press(ADOPTER, "Бид нутагшуулна")
    assert heard(live, AUTHOR, "Сайхан мэдээ")
    await live.press(ADOPTER, "Явцаа тайлагнах")
    await live.press(ADOPTER, "Хэрэгжүүлж дууссан")
    await live.press(ADOPTER, "Алгасах")
    await live.press(ADOPTER, "Үр дүнг үнэлэх")
    await live.press(ADOPTER, "4 ⭐")
    await live.say(ADOPTER, "Сурагчид гэртээ хог ангилдаг болсон.")
    await live.say(ADOPTER, "3 сургууль, 900 сурагч хамрагдсан")
    assert "Үнэлгээг хадгаллаа" in live.last_text(ADOPTER)
    assert heard(live, AUTHOR, "4 ⭐")

    first = fake.user_inline_query(ADOPTER, "hog")
    await live.push(first)
    answer = fake.calls("answerInlineQuery")[-1].params
    assert len(answer["results"]) == 20 and answer["next_offset"] == "20"
    await live.push(fake.user_inline_query(ADOPTER, "hog", offset="20"))
    answer = fake.calls("answerInlineQuery")[-1].params
    assert len(answer["results"]) == 2 and answer.get("next_offset", "") == ""

    await live.say(ADOPTER, "/search хог хаягдал ангилах")
    await live.press(ADOPTER, "Шүүлтүүр (1)")  # the category filter is still on
    await live.press(ADOPTER, "Шүүлтүүрийг арилгах")
    await live.press(ADOPTER, "Үр дүнг харах")
    await live.press(ADOPTER, "1. Хог хаягдлыг")
    await live.press(ADOPTER, "Бид нутагшуулна")
    later = utcnow() + timedelta(days=31)
    reminders = Reminders(live.app.database, live.app.services.catalogue, clock=lambda: later)
    assert await reminders.send_due(live.runtime) == 1
    assert await reminders.send_due(live.runtime) == 0
    assert "Сануулга" in live.last_text(ADOPTER)
    await live.press(ADOPTER, "Явцаа тайлагнах")
    await live.press(ADOPTER, "Хэрэгжүүлж байна")
    await live.say(ADOPTER, "Орц бүрт сав байрлууллаа.")
    assert "Явцыг хадгаллаа" in live.last_text(ADOPTER)


async def test_a_100_kb_text_without_spaces_breaks_nothing(live: LiveBot):
    """A legacy row far over the field limits still renders, and other users are answered."""
    fake = live.fake
    await register(live, ADOPTER, "Баянгол", "5")
    practice = await share(live.app, TITLE, solution="ж" * 100_000, problem="x" * 30_000)
    await live.say(ADOPTER, f"/start p_{practice}")
    parts = [m.text or "" for m in fake.sent_messages(ADOPTER)[-30:] if "ж" in (m.text or "")]
    runs = [run for part in parts for run in re.findall("ж{100,}", part)]
    assert len(parts) >= 25 and sum(len(run) for run in runs) == 100_000  # nothing lost
    await live.push(fake.user_inline_query(ADOPTER, "hog hayagdal"))
    results = fake.calls("answerInlineQuery")[-1].params["results"]
    assert results and results[0]["input_message_content"]["message_text"].endswith("…")
    replies = await live.say(AUTHOR, "/help")
    assert replies and "/help" in (replies[-1].text or "")  # an unregistered user is helped
    assert fake.rejected == []
