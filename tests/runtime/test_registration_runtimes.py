"""Registration end to end through the real aiogram and python-telegram-bot stacks."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import select

from bot.app import build_app
from bot.runtimes import telegram_runtime
from bot.runtimes.telegram import TokenRefused
from bot.settings import Settings
from storage.models import User
from tests.fake_telegram import FakeTelegram
from tests.runtime.harness import RUNTIMES, LiveBot, live_bot, settings_for

USER = 5001


async def registered(live: LiveBot, user_id: int) -> User:
    async with live.app.database.transaction() as session:
        user = (await session.scalars(select(User).where(User.id == user_id))).one()
        return user


async def test_registration_end_to_end(live: LiveBot):
    fake = live.fake
    replies = await live.say(USER, "/start", first_name="Сараа", language_code="mn")
    assert "Сайн байна уу, Сараа" in replies[0].text
    await live.press(USER, "Монгол")
    await live.press(USER, "Сонгинохайрхан")
    await live.press(USER, "▶")  # turn the khoroo page: the message is edited in place
    assert "32" in fake.last_message(USER).button_texts
    edits = len(fake.calls("editMessageText"))
    await live.press(USER, "2/3")  # the page it is on: nothing to change, so no edit is sent
    assert len(fake.calls("editMessageText")) == edits
    await live.press(USER, "32")
    await live.press(USER, "Хорооны ажилтан")
    texts = [m.text for m in fake.sent_messages(USER)]
    assert "Бүртгэл амжилттай боллоо: Сонгинохайрхан дүүргийн 32-р хороо, Хорооны ажилтан." in texts
    assert live.last_text(USER).startswith("Үндсэн цэс")
    user = await registered(live, USER)
    assert (user.registered, user.khoroo_number, user.first_name) == (True, 32, "Сараа")
    # Every button press was answered, so no client shows a spinner.
    assert len(fake.calls("answerCallbackQuery")) == 6


async def test_command_menu_is_set_in_both_languages(live: LiveBot):
    await live.fake.wait_for_calls("setMyCommands", 3)
    commands = live.fake.commands
    by_language = {language: entries for (_, language), entries in commands.items()}
    assert {"mn", "en", ""} <= set(by_language)
    assert by_language["mn"][0] == {"command": "start", "description": "Эхлэх, бүртгүүлэх"}
    assert by_language["en"][0] == {"command": "start", "description": "Start and register"}


async def test_wrong_input_and_old_buttons_are_answered_politely(live: LiveBot):
    fake = live.fake
    await live.say(USER, "/start")
    language = live.with_button(USER, "Монгол")
    await live.push(fake.user_sends_sticker(USER))
    assert "товчоор хэлээ сонгоно уу" in fake.sent_messages(USER)[-2].text
    await live.press(USER, "English")
    await live.press(USER, "Монгол", message=language)  # a button from an old message
    answer = fake.calls("answerCallbackQuery")[-1].params
    assert "out of date" in answer.get("text", "")
    assert "Which district" in live.last_text(USER)


async def test_a_duplicated_update_has_one_effect(live: LiveBot):
    fake = live.fake
    await live.say(USER, "/start")
    update = fake.user_sends(USER, "/help")
    await live.push(update)
    sent = len(fake.sent_messages(USER))
    fake.push_update(dict(update))  # Telegram delivers the same update again
    await live.push(update, times=2)
    assert len(fake.sent_messages(USER)) == sent


async def test_user_text_cannot_break_html(live: LiveBot):
    replies = await live.say(USER, "/start", first_name="<b>Tom & </i>Jerry")
    assert replies[0].text.startswith("Сайн байна уу, <b>Tom & </i>Jerry!")


async def test_a_user_who_blocked_the_bot_is_marked(live: LiveBot):
    fake = live.fake
    fake.forbid_chats([USER])
    await live.say(USER, "/start")
    user = await registered(live, USER)
    assert user.blocked


@pytest.mark.parametrize("kind", ["aiogram", "ptb"])
async def test_restart_in_the_middle_of_registration(kind, settings: Settings, fake: FakeTelegram):
    async with live_bot(kind, settings, fake) as first:
        await first.say(USER, "/start")
        await first.press(USER, "Монгол")
        await first.press(USER, "Хан-Уул")
    async with live_bot(kind, settings, fake) as second:
        await second.say(USER, "7")
        assert "албан тушаал" in second.last_text(USER)
        await second.press(USER, "Бусад")
        user = await registered(second, USER)
        assert (user.registered, user.khoroo_number, user.position) == (True, 7, "other")


@pytest.mark.parametrize("kind", RUNTIMES)
async def test_a_refused_token_is_reported(kind, settings: Settings):
    async with FakeTelegram(token="111:RIGHT") as fake:
        app = await build_app(settings_for(settings, fake), migrate=False)
        runtime = telegram_runtime(kind, app.hooks(), "111:WRONG", api_url=fake.base_url)
        try:
            with pytest.raises(TokenRefused):
                await runtime.start()
        finally:
            await runtime.stop()
            await app.close()


@pytest.mark.parametrize("kind", ["aiogram", "ptb"])
async def test_stopping_lets_the_replies_in_flight_arrive(
    kind, settings: Settings, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING)
    async with live_bot(kind, settings, fake) as live:
        gate = fake.hold("sendMessage")  # Telegram is slow to take the reply
        update = fake.user_sends(USER, "/help")
        await fake.wait_for(lambda: fake.held)
        stopping = asyncio.create_task(live.runtime.stop())
        for _ in range(20):
            await asyncio.sleep(0)
        assert not stopping.done()  # it waits for the reply being sent
        gate.set()
        await asyncio.wait_for(stopping, timeout=10)
        assert live.done[update["update_id"]] == 1
    assert [call.ok for call in fake.calls("sendMessage")] == [True]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_forged_or_malformed_press_gets_one_polite_answer(live: LiveBot):
    fake = live.fake
    await live.say(USER, "/start")
    await live.press(USER, "Монгол")
    await live.press(USER, "Баянгол")
    await live.say(USER, "5")
    await live.press(USER, "Хорооны ажилтан")
    menu = live.with_button(USER, "Туршлага хайх")
    sent, edits = len(fake.sent_messages(USER)), len(fake.calls("editMessageText"))
    for data in ("rv:a:1:2", "vt:x", "menu:home:1", "nonsense", "registration:role:officer"):
        answers = len(fake.calls("answerCallbackQuery"))
        await live.push(fake.user_presses(USER, menu, data, check=False))
        new = fake.calls("answerCallbackQuery")[answers:]
        assert len(new) == 1 and "хуучирсан" in new[0].params.get("text", ""), (data, new)
    assert len(fake.sent_messages(USER)) == sent  # nothing else was said or changed
    assert len(fake.calls("editMessageText")) == edits
