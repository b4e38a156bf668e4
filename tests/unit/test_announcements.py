"""Announcements through the core: compose, preview, schedule, list, cancel, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select

from handlers.announcements import check_html
from handlers.html import plain
from handlers.messages import EditText, SendPhoto, SendText
from handlers.steps import Invalid
from storage.models import Announcement, Practice, RoleGrant, User
from storage.units import Units
from tests.conftest import ADMIN_ID
from tests.support.chat import Chat, register

NOW = datetime(2026, 2, 20, 3, 0, tzinfo=UTC)  # 11:00 in Ulaanbaatar


@pytest.fixture
def clocked(app):
    app.services.clock = lambda: NOW
    return app


async def admin(app) -> Chat:
    chat = Chat(app, ADMIN_ID, first_name="Админ")
    await register(chat)
    return chat


async def officers(app) -> dict[str, Chat]:
    """Register users in several districts, khoroos and roles."""
    chats = {
        "bayangol5": (101, "Баянгол", "5", "Хорооны ажилтан"),
        "bayangol7": (102, "Баянгол", "7", "Хорооны ажилтан"),
        "khanuul3": (103, "Хан-Уул", "3", "Хорооны ажилтан"),
        "trainer": (104, "Хан-Уул", "3", "Бусад"),
    }
    out = {}
    for name, (user_id, district, khoroo, position) in chats.items():
        chat = Chat(app, user_id)
        grant = "trainer" if name == "trainer" else None
        await register(chat, district=district, khoroo=khoroo, position=position, grant=grant)
        out[name] = chat
    return out


async def compose(chat: Chat, text: str = "<b>Анхаар</b>: уралдаан эхэллээ") -> None:
    await chat.send("/announce")
    await chat.send(text)
    await chat.press("Алгасах")


async def stored(app) -> list[Announcement]:
    async with app.database.transaction() as session:
        return list((await session.scalars(select(Announcement).order_by(Announcement.id))).all())


async def test_compose_preview_and_send_now(clocked):
    boss = await admin(clocked)
    await officers(clocked)
    await compose(boss)
    await boss.press("Бүх хэрэглэгчид")
    replies = await boss.press("Одоо")

    # The preview is the very message recipients get, then who, how many and when.
    exact = [r for r in replies if isinstance(r, SendText)]
    assert exact[0].text == "<b>Анхаар</b>: уралдаан эхэллээ"
    summary = plain(boss.last().text)
    assert "Хүлээн авагч: 5" in summary and "Хэзээ: одоо" in summary
    confirm_screen = boss.last()

    await boss.press("Батлах")
    [announcement] = await stored(clocked)
    assert announcement.state == "scheduled" and announcement.scheduled_at == NOW
    assert announcement.audience == {"kind": "all"} and announcement.author_id == ADMIN_ID
    # The confirmed message becomes the progress report the sender edits.
    assert announcement.progress_message_id == confirm_screen.message_id
    assert "дараалалд" in plain(boss.screens[confirm_screen.message_id].text)


async def test_schedule_list_and_cancel(clocked):
    boss = await admin(clocked)
    await compose(boss)
    await boss.press("Бүх хэрэглэгчид")
    refusal = boss.texts(await boss.send("2026-02-19 09:00"))
    assert "Энэ цаг өнгөрсөн байна" in refusal[0]
    refusal = boss.texts(await boss.send("маргааш"))
    assert "ойлгосонгүй" in refusal[0]
    await boss.send("2026.03.01 09:30")
    assert "2026 оны 3-р сарын 1, 09:30" in plain(boss.last().text)
    await boss.press("Батлах")
    [announcement] = await stored(clocked)
    assert announcement.scheduled_at == datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    assert "товлолоо" in plain(boss.last().text)

    await boss.send("/announcements")
    listing = plain(boss.last().text)
    assert f"№{announcement.id}" in listing and "Анхаар" in listing
    await boss.press(f"№{announcement.id} зарлалыг цуцлах")
    # One tap only asks; "No" keeps it scheduled, "Yes" cancels it.
    assert "цуцлах уу?" in plain(boss.last().text)
    await boss.press("Үгүй, үлдээх")
    [announcement] = await stored(clocked)
    assert announcement.state == "scheduled"
    assert "товлосон зарлал алга" not in plain(boss.last().text)
    await boss.press(f"№{announcement.id} зарлалыг цуцлах")
    await boss.press("Тийм, цуцлах")
    assert "Зарлалыг цуцаллаа." in boss.notices
    [announcement] = await stored(clocked)
    assert announcement.state == "cancelled"
    assert "товлосон зарлал алга" in plain(boss.last().text)


async def test_preview_counts_the_chosen_districts_khoroos_and_roles(clocked):
    boss = await admin(clocked)  # Баянгол 5, an officer, subscribed
    chats = await officers(clocked)
    async with clocked.database.transaction() as session:
        (await session.get(User, 102)).subscribed = False  # type: ignore[union-attr]

    await compose(boss)
    await boss.press("Сонгосон дүүргүүд")
    await boss.press("Баянгол")
    await boss.press("Болсон")
    await boss.press("Одоо")
    assert "Хүлээн авагч: 2" in plain(boss.last().text)  # Баянгол 5 twice; 7 unsubscribed

    await boss.press("Хүлээн авагч")
    await boss.press("Сонгосон хороод")
    await boss.press("Хан-Уул")
    await boss.press("3")
    await boss.press("Дүүргүүд")
    await boss.press("Баянгол")
    await boss.press("7")
    await boss.press("Болсон")
    assert "Хүлээн авагч: 2" in plain(boss.last().text)  # Хан-Уул 3 officer and trainer
    assert "Хан-Уул 3-р хороо" in plain(boss.last().text)

    await boss.press("Хүлээн авагч")
    await boss.press("Албан тушаал, эрхээр")
    await boss.press("Сургагч багш")
    await boss.press("Болсон")
    assert "Хүлээн авагч: 1" in plain(boss.last().text)
    await boss.press("Батлах")
    [announcement] = await stored(clocked)
    assert announcement.audience == {"kind": "roles", "roles": ["trainer"]}
    assert chats["trainer"].user_id == 104


async def test_khoroos_can_be_typed_as_votes_take_them(clocked):
    boss = await admin(clocked)
    await officers(clocked)
    await compose(boss)
    await boss.press("Сонгосон хороод")
    await boss.send("Хан-Уул 3; bayangol 5, 7")  # names in either script, numbers listed
    await boss.press("Хан-Уул")
    await boss.send("4")  # numbers alone: of the district open in the picker
    await boss.press("Болсон")
    await boss.press("Одоо")
    await boss.press("Батлах")
    [announcement] = await stored(clocked)
    async with clocked.database.transaction() as session:
        units = Units(session)
        khan_uul = (await units.district_by_code("khan-uul")).id  # type: ignore[union-attr]
        bayangol = (await units.district_by_code("bayangol")).id  # type: ignore[union-attr]
    expected = sorted([[khan_uul, 3], [khan_uul, 4], [bayangol, 5], [bayangol, 7]])
    assert sorted(announcement.audience["khoroos"]) == expected


async def test_khoroos_that_have_not_submitted(clocked):
    boss = await admin(clocked)
    await officers(clocked)
    async with clocked.database.transaction() as session:
        district = (await session.get(User, 101)).district_id  # type: ignore[union-attr]
        session.add(
            Practice(
                title="Ногоон хороо",
                district_id=district,
                khoroo_number=5,
                category="environment",
                status="submitted",
                year=2026,
            )
        )
        session.add(
            Practice(
                title="Ноорог",
                district_id=district,
                khoroo_number=7,
                category="environment",
                status="draft",
                year=2026,
            )
        )
    await compose(boss)
    await boss.press("Туршлага илгээгээгүй хороод")
    await boss.press("Одоо")
    # Баянгол 5 (the admin and 101) submitted; Баянгол 7 only has a draft; Хан-Уул 3 nothing.
    # Khoroo staff only: the trainer of Хан-Уул 3 (position "other") is not counted.
    assert "Хүлээн авагч: 2" in plain(boss.last().text)


async def test_a_photo_is_previewed_as_recipients_see_it(clocked):
    boss = await admin(clocked)
    await boss.send("/announce")
    await boss.send("Зурагтай мэдээ")
    await boss.attach("photo")
    await boss.press("Бүх хэрэглэгчид")
    replies = await boss.press("Одоо")
    photos = [r for r in replies if isinstance(r, SendPhoto)]
    assert len(photos) == 1 and photos[0].caption == "Зурагтай мэдээ"
    await boss.press("Батлах")
    [announcement] = await stored(clocked)
    assert announcement.media_kind == "photo" and announcement.media_file_id


async def test_bad_html_is_explained_and_stray_signs_are_escaped(clocked):
    boss = await admin(clocked)
    await boss.send("/announce")
    await boss.send("<b>Тод")
    assert "хаагдаагүй" in plain(boss.screens[max(boss.screens) - 1].text)
    await boss.send("<blink>Анхаар</blink>")
    assert "дэмждэггүй" in plain(boss.screens[max(boss.screens) - 1].text)
    await boss.send("Q&A: 5 < 6, <i>заавал</i>")
    await boss.press("Алгасах")
    await boss.press("Бүх хэрэглэгчид")
    replies = await boss.press("Одоо")
    preview = next(r for r in replies if isinstance(r, SendText))
    assert preview.text == "Q&amp;A: 5 &lt; 6, <i>заавал</i>"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("<b>a</i>", "announce.html_mismatch"),
        ("a</b>", "announce.html_unexpected_end"),
        ('<a href="">x</a>', "announce.html_attribute"),
        ('<span class="x">x</span>', "announce.html_attribute"),
        ("&nbsp;", "announce.html_entity"),
        ("<b", "announce.html_broken"),
    ],
)
def test_html_mistakes(text, key):
    with pytest.raises(Invalid) as refusal:
        check_html(text)
    assert refusal.value.key == key


def test_telegram_html_passes_unchanged():
    text = (
        '<b>a</b> <i>b</i> <a href="https://example.org/?a=1&amp;b=2">c</a> '
        '<tg-spoiler>d</tg-spoiler> <span class="tg-spoiler">e</span> <code>f</code> '
        "<pre>g</pre> <blockquote>h</blockquote> &lt;&#33;"
    )
    assert check_html(text) == text


async def test_non_admins_are_refused_at_every_step(clocked):
    boss = await admin(clocked)
    await compose(boss)
    await boss.press("Бүх хэрэглэгчид")
    await boss.press("Одоо")
    await boss.press("Батлах")
    [announcement] = await stored(clocked)

    stranger = Chat(clocked, 555)
    await register(stranger)
    await stranger.send("/announce")
    assert "зөвхөн админ" in plain(stranger.last().text)
    await stranger.send("/announcements")
    assert "зөвхөн админ" in plain(stranger.last().text)
    # Forged presses change nothing.
    await stranger.press_data(f"ann:cancel:{announcement.id}")
    await stranger.press_data("announce:preview:ok")
    await stranger.press_data("stages:add")
    [announcement] = await stored(clocked)
    assert announcement.state == "scheduled"
    assert len(await stored(clocked)) == 1


async def test_a_granted_admin_may_announce_until_the_grant_is_revoked(clocked):
    helper = Chat(clocked, 556)
    await register(helper)
    async with clocked.database.transaction() as session:
        session.add(RoleGrant(user_id=556, role="admin"))
    await compose(helper)
    await helper.press("Бүх хэрэглэгчид")
    await helper.press("Одоо")
    assert "Илгээх үү?" in plain(helper.last().text)

    async with clocked.database.transaction() as session:
        await session.execute(delete(RoleGrant).where(RoleGrant.user_id == 556))
    replies = await helper.press("Батлах")
    assert any("зөвхөн админ" in plain(r.text) for r in replies if isinstance(r, SendText))
    assert await stored(clocked) == []
    assert not any(isinstance(r, EditText) and "дараалал" in r.text for r in replies)
