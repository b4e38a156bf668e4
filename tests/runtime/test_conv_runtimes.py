"""Issue 15's queues, roles, questions and menus, each through both Telegram runtimes."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.review_reminders import ReviewReminders
from storage.models import Practice, User
from storage.practices import Practices
from storage.units import Units
from storage.users import Users
from tests.conftest import ADMIN_ID
from tests.runtime.harness import LiveBot

AUTHOR, REVIEWER, FAR, TRAINER, ASKER, OTHER = 7201, 7202, 7203, 7204, 7205, 7206


async def seed(live: LiveBot, user_id: int, district: str, khoroo: int, **fields) -> int:
    """Register one user directly (registration has its own tests); return the district id."""
    async with live.app.database.transaction() as session:
        found = next(d for d in await Units(session).districts() if d.code == district)
        session.add(
            User(
                id=user_id,
                first_name=fields.pop("first_name", f"User{user_id}"),
                language="mn",
                district_id=found.id,
                khoroo_number=khoroo,
                position="officer",
                registered=True,
                **fields,
            )
        )
        return found.id


async def pending(live: LiveBot, title: str, district_id: int, author: int, days_ago: float):
    """Submit a practice as if it came that many days ago."""
    when = live.app.services.clock() - timedelta(days=days_ago)
    async with live.app.database.transaction() as session:
        practice = Practice(
            title=title,
            district_id=district_id,
            khoroo_number=5,
            category="public-services",
            problem="Ахмадууд үйлчилгээ авахаар дугаарлана.",
            solution="Гэрээс нь цахимаар үйлчилнэ.",
            results="120 ахмад гэрээсээ үйлчилгээ авсан.",
            submitter_id=author,
        )
        await Practices(session).submit(practice, when)


def scope(chat_id: int) -> str:
    return json.dumps({"chat_id": chat_id, "type": "chat"}, sort_keys=True)


async def test_queues_by_district_for_admins_and_a_reminder_after_days(live: LiveBot):
    bayangol = await seed(live, AUTHOR, "bayangol", 5)
    await seed(live, REVIEWER, "bayangol", 8)
    far = await seed(live, FAR, "songinokhairkhan", 3)
    await seed(live, ADMIN_ID, "bayangol", 20)
    await pending(live, "Эхний туршлага Баянголд", bayangol, AUTHOR, days_ago=5)
    await pending(live, "Алс дүүргийн туршлага", far, FAR, days_ago=4)
    await pending(live, "Сүүлийн туршлага Баянголд", bayangol, AUTHOR, days_ago=1)
    async with live.app.database.transaction() as session:
        await Users(session).grant(REVIEWER, "reviewer", bayangol, ADMIN_ID)

    await live.say(REVIEWER, "/review")
    text = live.last_text(REVIEWER)
    assert "Хянагдахыг хүлээж буй туршлага: 2" in text and "Алс дүүргийн" not in text
    assert text.index("Эхний") < text.index("Сүүлийн")  # oldest first
    await live.say(REVIEWER, "/pending")
    assert "зөвхөн админ" in live.last_text(REVIEWER)
    await live.say(ADMIN_ID, "/review")
    text = live.last_text(ADMIN_ID)
    assert "• Баянгол: 2" in text and "• Сонгинохайрхан: 1" in text
    await live.say(ADMIN_ID, "/pending")
    assert "нийт 3" in live.last_text(ADMIN_ID)

    # Past REVIEW_REMIND_DAYS the reviewer is reminded once that day, of their district only.
    now = live.app.services.clock()
    reminders = ReviewReminders(
        live.app.database, live.app.services.catalogue, after_days=3, clock=lambda: now
    )
    assert await reminders.send_due(live.runtime) >= 1
    text = live.last_text(REVIEWER)
    assert "3 хоногоос удаан" in text and "Эхний туршлага" in text
    assert "Сүүлийн туршлага" not in text and "Алс дүүргийн" not in text
    assert await reminders.send_due(live.runtime) == 0  # not twice the same day
    await live.press(REVIEWER, "Хянах жагсаалт")
    assert "Хянагдахыг хүлээж буй туршлага: 2" in live.last_text(REVIEWER)


async def test_roles_shows_ids_and_usernames_and_filters(live: LiveBot):
    await seed(live, ADMIN_ID, "bayangol", 20)
    bayangol = await seed(live, AUTHOR, "bayangol", 5, first_name="Бат", username="bat_bgd")
    await seed(live, FAR, "songinokhairkhan", 3, first_name="Бат", username="bat_sh")
    async with live.app.database.transaction() as session:
        await Users(session).grant(AUTHOR, "reviewer", bayangol, ADMIN_ID)
        await Users(session).grant(FAR, "trainer", None, ADMIN_ID)
    await live.say(ADMIN_ID, "/roles")
    text = live.last_text(ADMIN_ID)
    assert f"Бат @bat_bgd · {AUTHOR}" in text and f"Бат @bat_sh · {FAR}" in text
    for query, shown, hidden in (
        ("reviewer", "@bat_bgd", "@bat_sh"),
        ("сургагч багш", "@bat_sh", "@bat_bgd"),
        ("хянагч", "@bat_bgd", "@bat_sh"),  # the role as officers say it
        ("bayangol", "@bat_bgd", "@bat_sh"),
        ("@bat_s", "@bat_sh", "@bat_bgd"),
        (str(FAR), "@bat_sh", "@bat_bgd"),
    ):
        await live.say(ADMIN_ID, f"/roles {query}")
        text = live.last_text(ADMIN_ID)
        assert shown in text and hidden not in text, (query, text)
    await live.say(ADMIN_ID, "/roles Дорж")
    assert "олдсонгүй" in live.last_text(ADMIN_ID)
    await live.say(ADMIN_ID, f"/grant сургагч багш {AUTHOR}")  # named in Mongolian
    assert "«сургагч багш» эрх олголоо" in live.last_text(ADMIN_ID)


async def test_trainers_dismiss_and_merge_questions(live: LiveBot):
    for user_id in (TRAINER, ASKER, OTHER, AUTHOR):
        await seed(live, user_id, "bayangol", 5)
    async with live.app.database.transaction() as session:
        await Users(session).grant(TRAINER, "trainer", None, ADMIN_ID)
    for user_id, text in (
        (ASKER, "Хорооны цахилгааны тариф хэд вэ"),
        (OTHER, "Хорооны ажилтны цалин хэд вэ"),
        (AUTHOR, "Биткойн худалдаж авах уу"),
    ):
        await live.say(user_id, text)
        await live.press(user_id, "📨 Тийм, илгээх")
    await live.say(TRAINER, "/questions")
    assert len(live.fake.last_message(TRAINER).button_texts) >= 3  # type: ignore[union-attr]
    await live.press(TRAINER, "Биткойн")
    await live.press(TRAINER, "🚫 Хасах")
    assert live.fake.calls("answerCallbackQuery")[-1].params["text"] == (
        "Асуултыг жагсаалтаас хаслаа."
    )
    assert not any("Биткойн" in b for b in live.fake.last_message(TRAINER).button_texts)  # type: ignore[union-attr]
    await live.press(TRAINER, "цалин")
    await live.press(TRAINER, "🔗 Өөр асуулттай нэгтгэх")
    await live.press(TRAINER, "тариф")
    await live.fake.wait_for(
        lambda: any("(2)" in b for b in live.fake.last_message(TRAINER).button_texts),  # type: ignore[union-attr]
        timeout=10,
    )
    await live.press(TRAINER, "(2)")
    await live.press(TRAINER, "Хариулах")
    await live.say(TRAINER, "Тарифыг Эрчим хүчний зохицуулах хороо тогтоодог.")
    await live.press(TRAINER, "Сэдэвт нэмэхгүй")
    assert "Хариултыг 2 хүнд илгээлээ" in live.last_text(TRAINER)
    for asker in (ASKER, OTHER):
        assert "Эрчим хүчний зохицуулах хороо" in live.last_text(asker)


async def test_changing_the_language_resets_the_command_menu(live: LiveBot):
    await seed(live, TRAINER, "bayangol", 5)
    await seed(live, ASKER, "bayangol", 5)
    async with live.app.database.transaction() as session:
        await Users(session).grant(TRAINER, "trainer", None, ADMIN_ID)

    def menu(chat_id: int) -> dict[str, str]:
        entries = live.fake.commands.get((scope(chat_id), ""), [])
        return {entry["command"]: entry["description"] for entry in entries}

    await live.say(TRAINER, "/language")
    await live.press(TRAINER, "English")
    await live.fake.wait_for(lambda: menu(TRAINER).get("help") == "What the bot does", timeout=10)
    assert menu(TRAINER)["myvotes"].startswith("My votes")  # still the trainer's own menu
    assert "Main menu" in live.last_text(TRAINER)
    await live.say(TRAINER, "/language")
    await live.press(TRAINER, "Монгол")
    await live.fake.wait_for(lambda: "myvotes" in menu(TRAINER), timeout=10)
    await live.fake.wait_for(lambda: menu(TRAINER)["help"] != "What the bot does", timeout=10)
    assert not menu(TRAINER)["myvotes"].startswith("My votes")

    # Someone without a role gets everyone's commands in the language they chose.
    await live.say(ASKER, "/profile")
    await live.press(ASKER, "Хэл")
    await live.press(ASKER, "English")
    await live.fake.wait_for(lambda: menu(ASKER).get("help") == "What the bot does", timeout=10)
    assert "myvotes" not in menu(ASKER) and "submit" in menu(ASKER)


async def test_asking_for_practices_on_a_topic_searches(live: LiveBot):
    from tests.support.library import share

    await share(live.app, "Хог хаягдлыг эх үүсвэр дээр нь ангилах аян")
    await seed(live, ASKER, "bayangol", 5)
    await live.say(ASKER, "хог ангилах туршлага байна уу")
    text = live.last_text(ASKER)
    assert "«хог ангилах»: 1 туршлага олдлоо" in text and "Хог хаягдлыг" in text
    await live.say(ASKER, "/menu")  # off the results screen, where any text searches again
    await live.say(ASKER, "шатар тоглох туршлага байна уу")  # none: offered to the trainers
    assert "сургагч багш нарт илгээ" in live.last_text(ASKER)


async def test_a_menu_item_typed_instead_of_pressed_opens_it(live: LiveBot):
    await seed(live, ASKER, "bayangol", 5)
    await live.say(ASKER, "туршлага илгээх")  # not a question for the FAQ
    assert "1. Туршлагын нэр" in live.last_text(ASKER)
    await live.say(ASKER, "Ахмадуудад халуун хоол хүргэх аян")
    replies = await live.say(ASKER, "Туршлага хайх")  # in a form: leaves it like a command
    assert "ноорог хадгалагдсан" in (replies[0].text or "")
    assert "Хайх үгээ бичнэ үү" in live.last_text(ASKER)
    await live.say(ASKER, "цэс")  # the search step: the menu's name is not a query
    assert live.last_text(ASKER).startswith("Үндсэн цэс")
    await live.say(ASKER, "Тохиргоо")
    assert "Таны тохиргоо" in live.last_text(ASKER)
