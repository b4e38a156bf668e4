"""Queues people can reach: /review after a late grant, reminders, /myvotes, /roles, /help."""

from __future__ import annotations

from datetime import timedelta

from bot.review_reminders import ReviewReminders
from handlers.html import plain
from handlers.messages import EditText, Incoming, Kind, SetCommands
from storage.models import utcnow
from tests.conftest import ADMIN_ID
from tests.support.chat import Chat, register
from tests.support.practices import TITLE, grant, practice, sent_to, submit

TRAINER = 10


async def officer(app, user_id: int, name: str, username: str, **profile) -> Chat:
    """Register a user who has a @username (as Telegram tells the bot)."""
    chat = Chat(app, user_id, first_name=name)
    await register(chat, **profile)
    await chat.handle(
        Incoming(kind=Kind.TEXT, user_id=user_id, chat_id=user_id, text="hi", username=username)
    )
    return chat


async def test_a_reviewer_granted_after_the_submission_finds_it_in_review(app):
    author = Chat(app, 31, first_name="Сараа")
    await register(author)
    replies = await submit(author)
    assert not sent_to(replies, 32)  # nobody reviewed Bayangol then
    reviewer = Chat(app, 32)
    await register(reviewer, khoroo="8")
    await reviewer.send("/review")
    assert "хянагч болон админ" in plain(reviewer.last().text)  # not a reviewer yet
    await grant(app, 32, "bayangol")

    await reviewer.send("/review")
    queue = reviewer.last()
    assert "Хянагдахыг хүлээж буй туршлага: 1" in plain(queue.text)
    assert TITLE[:30] in plain(queue.text) and "Баянгол" in plain(queue.text)
    await reviewer.press(queue.labels()[0], screen=queue)
    card = reviewer.last()
    assert TITLE in plain(card.text) and "✅ Батлах" in card.labels()
    await reviewer.press("Батлах", screen=card)
    assert (await practice(app)).status == "approved"
    await reviewer.send("/review")
    assert "алга" in plain(reviewer.last().text)


async def test_the_queue_is_oldest_first_by_district_and_admins_see_counts(app):
    author, other = Chat(app, 31), Chat(app, 33)
    await register(author)
    await register(other, district="Сонгинохайрхан", khoroo="3")
    await submit(author, title="Эхний туршлага хоёр хорооны")
    await submit(other, title="Сонгинохайрхан дахь туршлага")
    await submit(author, title="Сүүлийн туршлага гурав дахь")
    reviewer = Chat(app, 32)
    await register(reviewer, khoroo="8")
    await grant(app, 32, "bayangol")
    await reviewer.send("/review")
    text = plain(reviewer.last().text)
    assert "туршлага: 2" in text and "Сонгинохайрхан дахь" not in text
    assert text.index("Эхний") < text.index("Сүүлийн")

    admin = Chat(app, ADMIN_ID)
    await register(admin, khoroo="20")
    await admin.send("/review")
    text = plain(admin.last().text)
    assert "туршлага: 3" in text and "• Баянгол: 2" in text and "• Сонгинохайрхан: 1" in text
    await admin.send("/pending")
    assert "нийт 3" in plain(admin.last().text)
    await reviewer.send("/pending")
    assert "зөвхөн админ" in plain(reviewer.last().text)


async def test_own_khoroo_practices_are_listed_without_decisions(app):
    author = Chat(app, 31)
    await register(author)
    await submit(author)
    colleague = Chat(app, 34)
    await register(colleague)  # the same khoroo as the author
    await grant(app, 34, "bayangol")
    await colleague.send("/review")
    queue = colleague.last()
    assert "танай хороо" in plain(queue.text)
    await colleague.press(queue.labels()[0], screen=queue)
    assert "Батлах" not in colleague.last().labels()


async def test_overdue_practices_remind_reviewers_once_a_day(app):
    now = [utcnow()]
    app.services.clock = lambda: now[0]
    author = Chat(app, 31)
    await register(author)
    await submit(author)
    reviewer = Chat(app, 32)
    await register(reviewer, khoroo="8")
    await grant(app, 32, "bayangol")
    reminders = ReviewReminders(
        app.database, app.services.catalogue, after_days=3, clock=lambda: now[0]
    )
    assert await reminders.due() == []  # not waiting long enough yet
    now[0] += timedelta(days=3, hours=1)
    [message] = await reminders.due()
    assert message.chat_id == 32 and TITLE[:20] in plain(message.text)
    assert "3 хоногоос удаан" in plain(message.text)
    assert plain(message.buttons[0][0].label) == "📋 Хянах жагсаалт"
    # A restart (a new worker) the same day sends nothing again; the next day it does.
    again = ReviewReminders(app.database, app.services.catalogue, clock=lambda: now[0])
    assert await again.due() == []
    now[0] += timedelta(hours=23)
    assert await again.due() == []
    now[0] += timedelta(hours=2)
    assert [m.chat_id for m in await again.due()] == [32]
    # The button opens the queue.
    await reviewer.press_data(message.buttons[0][0].data or "")
    assert "туршлага: 1" in plain(reviewer.last().text)


async def test_myvotes_gives_the_trainer_the_controls_back(app):
    from tests.unit.test_votes import open_vote, trainer

    owner = await trainer(app)
    await open_vote(owner, question="Эхний санал хураалт юу вэ?")
    second, _ = await open_vote(owner, question="Хоёр дахь санал хураалт юу вэ?")
    await owner.send("Сайн уу")  # the results message scrolls away
    await owner.send("/myvotes")
    listing = owner.last()
    text = plain(listing.text)
    assert "санал хураалт: 2" in text and text.index("Хоёр дахь") < text.index("Эхний")
    replies = await owner.press(listing.labels()[1], screen=listing)
    panel = next(r for r in replies if isinstance(r, EditText))
    labels = [plain(b.label) for row in panel.buttons for b in row]
    assert "Эхний санал хураалт" in plain(panel.text)
    assert any("Хаах" in label for label in labels), labels
    await owner.press(next(label for label in labels if "Хаах" in label))
    labels = owner.last().labels()
    assert any("Дахин нээх" in label for label in labels), labels
    voter = Chat(app, 20)
    await register(voter)
    await voter.send("/myvotes")
    assert "сургагч багш" in plain(voter.last().text)
    await voter.send(f"/vote {second.code}")  # the voter's view, as before
    assert "Хаах" not in " ".join(voter.last().labels())


async def test_roles_shows_ids_and_usernames_and_filters(app):
    admin = Chat(app, ADMIN_ID)
    await register(admin)
    await officer(app, 41, "Бат", "bat_bgd")
    await officer(app, 42, "Бат", "bat_sh", district="Сонгинохайрхан")
    await admin.send("/grant reviewer 41 bayangol")
    await admin.send("/grant trainer 42")
    await admin.send("/roles")
    listing = plain(admin.last().text)
    assert "Бат @bat_bgd · 41" in listing and "Бат @bat_sh · 42" in listing
    await admin.send("/roles reviewer")
    listing = plain(admin.last().text)
    assert "@bat_bgd" in listing and "@bat_sh" not in listing
    await admin.send("/roles сургагч багш")
    listing = plain(admin.last().text)
    assert "@bat_sh" in listing and "@bat_bgd" not in listing
    await admin.send("/roles bayangol")
    assert "@bat_bgd" in plain(admin.last().text)
    await admin.send("/roles @bat_s")
    listing = plain(admin.last().text)
    assert "@bat_sh" in listing and "@bat_bgd" not in listing
    await admin.send("/roles Дорж")
    assert "олдсонгүй" in plain(admin.last().text)


async def test_help_lists_each_role_s_commands_and_grants_set_the_menu(app):
    member = Chat(app, 41)
    await register(member)
    await member.send("/help")
    text = plain(member.last().text)
    assert "/submit" in text and "/review" not in text and "/grant" not in text
    assert "шүүмжлэгч" not in text and "хянагч" in text

    admin = Chat(app, ADMIN_ID)
    replies = await admin.send("/start")
    [menu] = [r for r in replies if isinstance(r, SetCommands)]
    assert menu.chat_id == ADMIN_ID and ("grant", "Эрх олгох (админ)") in menu.commands
    await register(admin, khoroo="20")
    replies = await admin.send("/grant trainer 41")
    [menu] = [r for r in replies if isinstance(r, SetCommands)]
    names = [name for name, _ in menu.commands]
    assert menu.chat_id == 41 and "myvotes" in names and "grant" not in names
    await member.send("/help")
    text = plain(member.last().text)
    assert "Сургагч багш" in text and "/myvotes" in text and "/review" not in text
    replies = await admin.send("/revoke trainer 41")
    [menu] = [r for r in replies if isinstance(r, SetCommands)]
    assert "myvotes" not in [name for name, _ in menu.commands]
    await admin.send("/help")
    text = plain(admin.last().text)
    for heading in ("Туршлага хянагч", "Сургагч багш", "Админ"):
        assert heading in text
    english = Chat(app, 43, language_code="en")
    await english.send("/help")
    assert "Commands: everyone" in plain(english.last().text)
