"""Submitting a practice step by step through the core: validation, navigation, drafts."""

from __future__ import annotations

from bot.app import build_app
from handlers.html import plain
from handlers.messages import SendAlbum, SendDocument, SendPhoto, SendText
from storage.models import Practice
from tests.support.chat import Chat, register
from tests.support.practices import (
    PROBLEM,
    RESULTS,
    SOLUTION,
    TITLE,
    grant,
    practice,
    sent_to,
    submit,
)


def said(chat: Chat, text: str) -> bool:
    """Tell whether any message the user saw contains the text."""
    return any(text in plain(s.text) for s in chat.screens.values())


async def test_full_submission_with_a_restart_and_wrong_input_at_each_step(settings):
    first = await build_app(settings, migrate=False)
    chat = Chat(first, 21, first_name="Сараа")
    reviewer = Chat(first, 22)
    await register(reviewer, khoroo="8")  # not the author's khoroo
    await grant(first, 22, "bayangol")
    await register(chat, district="Баянгол", khoroo="5")

    await chat.press("Туршлага илгээх")
    assert said(chat, "Баянгол дүүрэг, 5-р хороо")
    assert "5–120 тэмдэгт" in plain(chat.last().text)
    await chat.send("Хог")  # too short
    assert said(chat, "хамгийн багадаа 5 тэмдэгт")
    await chat.send("Х" * 121)  # too long
    assert said(chat, "120 тэмдэгтээс хэтрүүлэлгүй")
    await chat.attach("sticker")
    assert said(chat, "стикер, байршил")
    await chat.send("2026 🎉🎉🎉")  # no words: a title says something
    assert said(chat, "Үгээр бичнэ үү")
    await chat.send(TITLE)
    assert "Ангилал" in plain(chat.last().text)

    await chat.send("сансар")  # not a category
    assert said(chat, "ангиллаа сонгоно уу")
    await chat.press("Байгаль орчин")
    await chat.attach("photo")  # a photo where text is expected
    assert said(chat, "сүүлийн алхамд хавсаргана")
    await chat.send(PROBLEM)
    await first.close()

    second = await build_app(settings, migrate=False)
    try:
        chat.app = reviewer.app = second
        assert "4. Хэрэгжүүлсэн арга" in plain(chat.last().text)
        await chat.send("Богино")  # solution too short, after the restart
        assert said(chat, "хамгийн багадаа 20")
        await chat.send(SOLUTION)
        await chat.send("Хог их багассан, иргэд сэтгэл хангалуун байна")  # no numbers
        assert said(chat, "Үр дүнд тоо алга")
        assert "5. Үр дүн" in plain(chat.last().text)
        await chat.send("Хог их багассан, иргэд сэтгэл хангалуун байна")  # accepted the 2nd time
        assert "6. Нөөц" in plain(chat.last().text)
        await chat.attach("location")
        assert said(chat, "стикер, байршил")
        await chat.send("Ангилах сав 120 ширхэг")
        await chat.press("Алгасах")  # partners
        assert "Сараа" in plain(chat.last().text)  # the contact comes from the profile
        await chat.send("Ж")  # too short a contact
        await chat.send("Б. Сараа, 9911-2233")
        await chat.send("зураг")  # text where files are expected
        assert said(chat, "Зураг эсвэл баримт бичиг илгээнэ үү")
        await chat.attach("photo", file_size=25 * 1024 * 1024)
        assert said(chat, "20 МБ-аас ихгүй файл")
        await chat.attach("voice")
        assert said(chat, "Зөвхөн зураг болон баримт бичиг")
        await chat.attach("photo")
        await chat.attach("document")
        assert "зураг 1, баримт бичиг 1" in plain(chat.last().text)
        await chat.press("Болсон")
        preview = plain(chat.last().text)
        assert "Илгээхийн өмнө шалгана уу" in preview
        assert TITLE in preview and "Б. Сараа, 9911-2233" in preview

        await chat.press("✏️ Үр дүн")  # edit one field and come back to the preview
        assert "Одоо хадгалагдсан" in plain(chat.last().text)
        await chat.send(RESULTS)
        assert "Илгээхийн өмнө шалгана уу" in plain(chat.last().text)
        assert "4 тонн" in plain(chat.last().text)

        replies = await chat.press("Илгээх")
        assert said(chat, "Баярлалаа")
        to_reviewer = sent_to(replies, 22)
        assert any(TITLE in plain(r.text) for r in to_reviewer)
        assert to_reviewer[-1].buttons[0][0].label == "✅ Батлах"
        assert any(isinstance(r, SendPhoto) and r.chat_id == 22 for r in replies)
        assert any(isinstance(r, SendDocument) and r.chat_id == 22 for r in replies)

        saved = await practice(second)
        assert (saved.status, saved.stage, saved.submitter_id) == ("submitted", "identify", 21)
        assert (saved.district.code, saved.khoroo_number, saved.category) == (
            "bayangol",
            5,
            "environment",
        )
        assert saved.results == RESULTS and saved.resources == "Ангилах сав 120 ширхэг"
        assert saved.partners is None and saved.external_id == f"bot-{saved.id}"
        assert [a.kind for a in saved.attachments] == ["photo", "document"]
    finally:
        await second.close()


async def test_back_skip_and_cancel_keep_the_draft(app):
    chat = Chat(app, 23)
    await register(chat)
    await chat.send("/submit")
    assert chat.last().labels() == ["✖️ Цуцлах"]  # no Back or Skip on the first step
    await chat.send(TITLE)
    await chat.press("Буцах")
    assert "1. Туршлагын нэр" in plain(chat.last().text)
    assert TITLE in plain(chat.last().text)  # the saved answer is shown
    await chat.send(TITLE)
    await chat.press("Боловсрол")
    await chat.send(PROBLEM)
    await chat.send(SOLUTION)
    await chat.send(RESULTS)
    assert "Алгасах ⏭" in chat.last().labels()  # resources are optional
    await chat.press("Алгасах")
    await chat.press("Буцах")
    assert "6. Нөөц" in plain(chat.last().text)

    await chat.press("Цуцлах")
    assert said(chat, "хадгалагдсан тул дараа нь үргэлжлүүлж болно")
    await chat.send("/start")
    await chat.send("/profile")
    await chat.send("/menu")
    await chat.press("Туршлага илгээх")
    assert "дуусаагүй ноорог" in plain(chat.last().text) and TITLE in plain(chat.last().text)
    await chat.press("Үргэлжлүүлэх")
    assert "6. Нөөц" in plain(chat.last().text)

    await chat.send("/cancel")
    await chat.send("/submit")
    await chat.press("Ноорог устгах")
    assert said(chat, "Ноорог устгагдлаа")
    assert "1. Туршлагын нэр" in plain(chat.last().text)


async def test_back_skip_and_cancel_typed_move_like_the_buttons(app):
    chat = Chat(app, 25)
    await register(chat)
    await chat.send("/submit")
    await chat.send("Цуцлах")  # at the title: cancelled, not a practice named «Цуцлах»
    assert said(chat, "цуцаллаа")
    await chat.send("/submit")
    await chat.send(TITLE)
    await chat.send("butsah")  # typed in Latin letters too
    assert "1. Туршлагын нэр" in plain(chat.last().text)
    await chat.send(TITLE)
    await chat.send("bolovsrol")  # a button's label typed in Latin letters is the press
    await chat.send(PROBLEM)
    await chat.send(SOLUTION)
    await chat.send("алгасах")  # the results may not be skipped
    assert said(chat, "алгасах боломжгүй")
    assert "5. Үр дүн" in plain(chat.last().text)
    await chat.send(RESULTS)
    await chat.send("Алгасах")  # the resources may
    assert "7. Хамтрагч" in plain(chat.last().text)
    await chat.send("буцах")
    assert "6. Нөөц" in plain(chat.last().text)
    for word in ("алгасах", "алгасах", "хэвээр үлдээх", "алгасах"):  # «Хэвээр үлдээх» is Keep
        await chat.send(word)
    preview = plain(chat.last().text)
    assert "Илгээхийн өмнө шалгана уу" in preview and "үлдээх" not in preview.casefold()


async def test_discard_from_the_preview_asks_first(app):
    chat = Chat(app, 24)
    await register(chat)
    await chat.send("/submit")
    await chat.send(TITLE)
    await chat.press("Эрүүл мэнд")
    for answer in (PROBLEM, SOLUTION, RESULTS):
        await chat.send(answer)
    await chat.press("Алгасах")
    await chat.press("Алгасах")
    await chat.send("Дорж, 8811-2233")
    await chat.press("Алгасах")
    await chat.press("Ноорог устгах")
    assert "Ноорогоо устгах уу" in plain(chat.last().text)
    await chat.press("Үгүй, хадгалах")
    assert "Илгээхийн өмнө" in plain(chat.last().text)
    await chat.press("Ноорог устгах")
    await chat.press("Тийм, устгах")
    assert said(chat, "Ноорог устгагдлаа")
    await chat.press("Туршлага илгээх")
    assert "1. Туршлагын нэр" in plain(chat.last().text)  # nothing left to continue
    async with app.database.transaction() as session:
        assert await session.get(Practice, 1) is None


async def test_similar_practices_are_offered_after_the_title(app):
    author = Chat(app, 25)
    await register(author)
    await submit(author)
    admin = Chat(app, 900)
    await register(admin, khoroo="9")
    await admin.press_data("rv:a:1")

    chat = Chat(app, 26)
    await register(chat)
    await chat.send("/submit")
    await chat.send("Хог ангилах аян")
    text = plain(chat.last().text)
    assert "Таных эдгээрийн нэг биш үү" in text and TITLE in text
    await chat.press("1-р туршлагыг үзэх")  # an ordinal: no suffix to guess after a numeral
    assert any(PROBLEM in plain(s.text) for s in chat.screens.values())
    assert "2. Ангилал" in plain(chat.last().text)  # the question comes back below the card


async def test_attachments_album_and_limit(app):
    chat = Chat(app, 27)
    reviewer = Chat(app, 28)
    await register(reviewer, khoroo="8")
    await grant(app, 28, None)  # a capital-level reviewer sees every district
    await register(chat)
    await chat.send("/submit")
    await chat.send(TITLE)
    await chat.press("Бусад")
    for answer in (PROBLEM, SOLUTION, RESULTS):
        await chat.send(answer)
    await chat.press("Алгасах")
    await chat.press("Алгасах")
    await chat.press("Хэвээр үлдээх")
    for _ in range(10):
        await chat.attach("photo")
    await chat.attach("photo")
    assert said(chat, "Хамгийн ихдээ 10 файл")
    await chat.press("Бүгдийг устгах")
    assert "Хүлээн авсан" not in plain(chat.last().text)
    for _ in range(3):
        await chat.attach("photo")
    await chat.press("Болсон")
    replies = await chat.press("Илгээх")
    albums = [r for r in replies if isinstance(r, SendAlbum) and r.chat_id == 28]
    assert len(albums) == 1 and len(albums[0].photos) == 3
    assert all(isinstance(r, SendText) for r in sent_to(replies, 28))
