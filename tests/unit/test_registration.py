"""Registration, the menu, settings and the guarantees of the dispatcher, through the core."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.app import build_app
from handlers.html import plain
from handlers.messages import AnswerButton, EditText, SendText
from storage.models import ConversationState, ProcessedUpdate, User
from tests.support.chat import Chat, register


async def user(app, user_id: int) -> User:
    async with app.database.transaction() as session:
        found = await session.get(User, user_id)
        assert found is not None
        return found


async def test_registration_lands_on_main_menu(app):
    chat = Chat(app, 1)
    await chat.send("/start")
    assert "Сайн байна уу" in plain(chat.screens[1].text)
    assert chat.last().labels()[:2] == ["🇲🇳 Монгол", "🇬🇧 English"]
    await chat.press("Монгол")
    assert "дүүрэг" in plain(chat.last().text)
    assert len([b for row in chat.last().buttons[:-1] for b in row]) == 9
    await chat.press("Хан-Уул")
    assert "Хан-Уул" in plain(chat.last().text)
    await chat.send("12")
    assert "албан тушаал" in plain(chat.last().text)
    await chat.press("Хорооны Засаг дарга")
    texts = [plain(s.text) for s in chat.screens.values()]
    assert any("Хан-Уул дүүргийн 12-р хороо, Хорооны Засаг дарга" in t for t in texts)
    assert "Үндсэн цэс" in plain(chat.last().text)
    assert chat.last().labels() == [
        "📝 Туршлага илгээх",
        "🔎 Туршлага хайх",
        "❓ Асуулт асуух",
        "🗳 Санал өгөх",
        "📂 Миний туршлагууд",
        "🔔 Мэдээлэл авах: асаалттай",
        "⚙️ Тохиргоо",
    ]
    saved = await user(app, 1)
    assert (saved.registered, saved.khoroo_number, saved.position, saved.language) == (
        True,
        12,
        "governor",
        "mn",
    )


async def test_english_registration_and_paged_khoroos(app):
    chat = Chat(app, 2, language_code="en")
    await chat.send("/start")
    await chat.press("English")
    assert "Which district" in plain(chat.last().text)
    await chat.press("Songinokhairkhan")
    first_page = chat.last().labels()
    assert "1" in first_page and "21" not in first_page and "▶" in first_page
    replies = await chat.press("▶")
    assert isinstance(replies[-1], EditText)  # the page turns in place
    assert "32" in chat.last().labels()
    await chat.press("32")
    await chat.press("Khoroo officer")
    assert "Main menu" in plain(chat.last().text)


async def test_wrong_inputs_are_explained_and_keep_the_answers(app):
    chat = Chat(app, 3)
    await chat.send("/start")
    await chat.send("сайн уу")  # text where a language button is expected
    refused = plain(chat.screens[max(chat.screens) - 1].text)
    assert "хэлээ сонгоно уу" in refused and "choose your language" in refused  # in both
    await chat.press("Монгол")
    await chat.send("Улаанбаатар")  # not a district
    assert any("дүүрэг олдсонгүй" in t for t in map(plain, (s.text for s in chat.screens.values())))
    await chat.press("Налайх")
    await chat.send("99")
    assert "1-ээс 8 хүртэл" in plain(chat.screens[max(chat.screens) - 1].text)
    await chat.attach("sticker")
    assert "текстээр" in plain(chat.screens[max(chat.screens) - 1].text)
    await chat.send("7")
    await chat.press("Бусад")
    saved = await user(app, 3)
    assert (saved.khoroo_number, saved.position) == (7, "other")


async def test_a_district_can_be_typed(app):
    chat = Chat(app, 4)
    await chat.send("/start")
    await chat.press("Монгол")
    await chat.send("сүхбаатар")
    assert "Сүхбаатар" in plain(chat.last().text)


async def test_buttons_can_be_typed_in_either_script_and_in_part(app):
    chat = Chat(app, 5)
    await chat.send("/start")
    await chat.send("mongol")
    await chat.send("сүхбаатар")
    await chat.send("sain uu")  # no number at all: asked for one, not told it is out of range
    assert "тоогоор бичнэ үү" in plain(chat.screens[max(chat.screens) - 1].text)
    await chat.send("3")
    await chat.send("ажилтан")  # «Нийгмийн ажилтан» or «Хорооны ажилтан»: asked again
    assert "албан тушаал" in plain(chat.last().text)
    await chat.send("nariin bichgiin darga")  # «Хорооны нарийн бичгийн дарга»
    assert (await user(app, 5)).position == "secretary"


async def test_back_returns_to_the_previous_step(app):
    chat = Chat(app, 5)
    await chat.send("/start")
    await chat.press("Монгол")
    await chat.press("Баянгол")
    await chat.press("Буцах")
    assert "Аль дүүрэгт" in plain(chat.last().text)
    await chat.press("Чингэлтэй")
    assert "Чингэлтэй" in plain(chat.last().text)


async def test_cancel_keeps_answers_and_start_resumes(app):
    chat = Chat(app, 6)
    await chat.send("/start")
    await chat.press("Монгол")
    await chat.press("Баянзүрх")
    await chat.send("/cancel")
    assert "хадгалагдсан" in plain(chat.last().text)
    await chat.send("/start")
    assert "үргэлжлүүлье" in plain(chat.screens[max(chat.screens) - 1].text)
    assert "Баянзүрх дүүргийн хэддүгээр хороо" in plain(chat.last().text)


async def test_restart_in_the_middle_continues_where_the_user_was(settings):
    first = await build_app(settings, migrate=False)
    chat = Chat(first, 7)
    await chat.send("/start")
    await chat.press("Монгол")
    await chat.press("Сүхбаатар")
    await first.close()

    second = await build_app(settings, migrate=False)
    try:
        chat.app = second
        await chat.send("20")
        assert "албан тушаал" in plain(chat.last().text)
        await chat.press("Хорооны ажилтан")
        saved = await user(second, 7)
        assert (saved.registered, saved.khoroo_number) == (True, 20)
    finally:
        await second.close()


async def test_a_repeated_update_has_no_second_effect(app):
    chat = Chat(app, 8)
    await register(chat)
    await chat.press("Тохиргоо")
    first = await chat.send("/language", update_id=5000)
    again = await chat.send("/language", update_id=5000)
    assert first and again == []
    async with app.database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) > 0


async def test_quick_messages_of_one_user_apply_in_order(app):
    chat = Chat(app, 9)
    await chat.send("/start")
    await chat.press("Монгол")
    await chat.press("Баянгол")
    # Two messages arriving together: the second must see the state the first left.
    results = await asyncio.gather(chat.send("3"), chat.send("/cancel"))
    assert any("албан тушаал" in t for t in chat.texts(results[0]))
    assert any("цуцаллаа" in t for t in chat.texts(results[1]))
    async with app.database.transaction() as session:
        state = await session.get(ConversationState, 9)
        assert state is not None and state.flow is None
        assert state.data["forms"]["registration"]["values"]["khoroo"] == 3


async def test_many_users_at_once_all_register(app):
    chats = [Chat(app, 100 + n) for n in range(20)]
    await asyncio.gather(*(register(c, khoroo=str(n % 20 + 1)) for n, c in enumerate(chats)))
    async with app.database.transaction() as session:
        count = await session.scalar(select(func.count()).where(User.registered.is_(True)))
    assert count == 20


async def test_an_old_button_is_answered_and_the_step_shown_again(app):
    chat = Chat(app, 10)
    await chat.send("/start")
    await chat.press("Монгол")
    language_screen = chat.screens[2]
    replies = await chat.press("English", screen=language_screen)
    answers = [r for r in replies if isinstance(r, AnswerButton)]
    assert answers and "хуучирсан" in (answers[0].text or "")
    assert "Аль дүүрэгт" in plain(chat.last().text)


async def test_every_button_press_is_answered_once(app):
    chat = Chat(app, 11)
    await register(chat)
    for data in ("menu:settings", "menu:subscription", "nonsense:1", "settings:position", "x" * 64):
        replies = await chat.press_data(data)
        assert len([r for r in replies if isinstance(r, AnswerButton)]) == 1, data


async def test_unregistered_user_is_led_to_registration(app):
    chat = Chat(app, 12)
    await chat.send("/profile")
    assert "Хэлээ сонгоно уу" in plain(chat.last().text)
    replies = await chat.press_data("menu:search")
    assert any(isinstance(r, AnswerButton) for r in replies)


async def test_settings_change_district_and_language(app):
    chat = Chat(app, 13)
    await register(chat)
    await chat.send("/profile")
    assert "Баянгол" in plain(chat.last().text)
    await chat.press("Дүүрэг, хороо солих")
    await chat.press("Багануур")
    await chat.send("2")
    assert "Багануур" in plain(chat.last().text) and "Хадгаллаа" in plain(
        chat.screens[max(chat.screens) - 1].text
    )
    await chat.press("Хэл солих")
    await chat.press("English")
    assert "Main menu" in plain(chat.last().text)
    saved = await user(app, 13)
    assert (saved.language, saved.khoroo_number) == ("en", 2)


async def test_subscription_toggles_from_the_menu(app):
    chat = Chat(app, 14)
    await register(chat)
    await chat.press("Мэдээлэл авах")
    assert "унтраалттай" in " ".join(chat.last().labels())
    assert not (await user(app, 14)).subscribed
    await chat.press("Мэдээлэл авах")
    assert (await user(app, 14)).subscribed


async def test_help_and_unknown_text(app):
    chat = Chat(app, 15)
    await register(chat)
    await chat.send("/help")
    assert "Тушаалууд" in plain(chat.last().text)
    replies = await chat.send("/nosuchcommand")
    assert any("ойлгосонгүй" in plain(r.text) for r in replies if isinstance(r, SendText))


async def test_user_text_is_escaped(app):
    chat = Chat(app, 16, first_name="<b>Bold & Co</b>")
    await chat.send("/start")
    assert "&lt;b&gt;Bold &amp; Co&lt;/b&gt;" in chat.screens[1].text
