"""Submitting, reviewing and resubmitting a practice through the real Telegram stacks."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from tests.fake_telegram import FakeTelegram
from tests.runtime.harness import LiveBot, live_bot
from tests.support.practices import PROBLEM, RESULTS, SOLUTION, TITLE, grant, practice

AUTHOR, REVIEWER = 7001, 7002


async def register(live: LiveBot, user_id: int, first_name: str, khoroo: str = "5") -> None:
    await live.say(user_id, "/start", first_name=first_name)
    await live.press(user_id, "Монгол")
    await live.press(user_id, "Баянгол")
    await live.say(user_id, khoroo)
    await live.press(user_id, "Хорооны ажилтан")


def said(live: LiveBot, user_id: int, text: str) -> bool:
    return any(text in (m.text or "") for m in live.fake.sent_messages(user_id)[-4:])


@pytest.mark.parametrize("kind", ["aiogram", "ptb"])
async def test_submit_with_a_restart_review_return_and_resubmit(
    kind, settings: Settings, fake: FakeTelegram
):
    async with live_bot(kind, settings, fake) as live:
        await register(live, AUTHOR, "Сараа")
        await register(live, REVIEWER, "Бат", khoroo="8")  # not the author's own khoroo
        await grant(live.app, REVIEWER, "bayangol")
        await live.press(AUTHOR, "Туршлага илгээх")
        await live.say(AUTHOR, "Хог")
        assert said(live, AUTHOR, "хамгийн багадаа 5 тэмдэгт")
        await live.push(fake.user_sends_sticker(AUTHOR))
        assert said(live, AUTHOR, "стикер, байршил")
        await live.say(AUTHOR, TITLE)
        await live.press(AUTHOR, "Байгаль орчин")
        await live.say(AUTHOR, PROBLEM)

    async with live_bot(kind, settings, fake) as live:  # the bot restarted: nothing is lost
        await live.say(AUTHOR, "Богино")
        assert said(live, AUTHOR, "хамгийн багадаа 20")
        await live.say(AUTHOR, SOLUTION)
        await live.say(AUTHOR, RESULTS)
        await live.press(AUTHOR, "Алгасах")  # resources
        await live.press(AUTHOR, "Алгасах")  # partners
        await live.press(AUTHOR, "Хэвээр үлдээх")
        await live.push(fake.user_sends_photo(AUTHOR))
        await live.push(fake.user_sends_photo(AUTHOR))
        await live.press(AUTHOR, "Болсон")
        assert "Илгээхийн өмнө шалгана уу" in live.last_text(AUTHOR)
        await live.press(AUTHOR, "✏️ Үр дүн")
        await live.say(AUTHOR, RESULTS + " Ангилах сав 120 ширхэг.")
        assert "120 ширхэг" in live.last_text(AUTHOR)
        await live.press(AUTHOR, "Илгээх")

        reviewer_sees = fake.sent_messages(REVIEWER)
        assert any(m.kind == "photo" for m in reviewer_sees)  # the two photos as an album
        await live.press(REVIEWER, "буцаах")
        await live.say(REVIEWER, "Хэдэн өрх хамрагдсаныг нэмж бичнэ үү.")
        assert said(live, AUTHOR, "Хэдэн өрх хамрагдсаныг")
        await live.press(AUTHOR, "нээх")
        await live.press(AUTHOR, "Засаад дахин илгээх")
        await live.press(AUTHOR, "✏️ Үр дүн")
        await live.say(AUTHOR, RESULTS + " 250 өрх хамрагдсан.")
        await live.press(AUTHOR, "Илгээх")
        await live.press(REVIEWER, "✅ Батлах")
        saved = await practice(live.app)
        assert saved.status == "approved" and "250 өрх" in saved.results
        assert [a.kind for a in saved.attachments] == ["photo", "photo"]
