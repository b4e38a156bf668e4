"""Reviewing practices, "My practices", and the practice card."""

from __future__ import annotations

from handlers.callbacks import Callback
from handlers.html import plain, split
from handlers.i18n import Catalogue
from handlers.messages import SendAlbum, SendPhoto, SendText
from handlers.practice_card import Card, CardFile, media_replies, render_card
from storage.models import Review
from tests.conftest import ADMIN_ID
from tests.support.chat import Chat, register
from tests.support.practices import RESULTS, TITLE, button, grant, practice, sent_to, submit


async def setup(app, *, reviewer_district: str | None = "bayangol") -> tuple[Chat, Chat]:
    author, reviewer = Chat(app, 31, first_name="Сараа"), Chat(app, 32)
    await register(reviewer, khoroo="8")  # nobody reviews their own khoroo's practice
    await register(author)
    await grant(app, 32, reviewer_district)
    return author, reviewer


def texts(replies, chat_id: int) -> str:
    return "\n".join(plain(r.text) for r in sent_to(replies, chat_id))


async def test_approve_shares_the_practice_and_tells_the_author(app):
    index = app.services.library.index
    author, reviewer = await setup(app)
    replies = await submit(author)
    approve = button(sent_to(replies, 32), "Батлах")
    replies = await reviewer.press_data(approve.data or "")
    assert "баталлаа" in plain(reviewer.last().text)
    assert "батлагдаж" in texts(replies, 31)
    saved = await practice(app)
    assert (saved.status, saved.stage) == ("approved", "share")
    assert [(r.decision, r.reviewer_id) for r in saved.reviews] == [("approve", 32)]
    assert 1 in index and index.search("хог ангилах").hits[0].id == 1

    again = await reviewer.press_data(approve.data or "")  # a second press changes nothing
    assert any("аль хэдийн" in (getattr(r, "text", "") or "") for r in again)


async def test_an_approval_that_rolls_back_leaves_the_search_index_alone(app):
    index = app.services.library.index
    author, reviewer = await setup(app)
    replies = await submit(author)
    approve = button(sent_to(replies, 32), "Батлах").data or ""
    record = Callback.record("rv")
    review_button = app.dispatcher.router.buttons[record]

    async def approve_then_fail(ctx, press):  # approved, then the update fails: rolled back
        await review_button(ctx, press)
        raise RuntimeError("after the approval")

    app.dispatcher.router.buttons[record] = approve_then_fail
    await reviewer.press_data(approve)
    assert (await practice(app)).status == "submitted"
    assert 1 not in index  # nobody finds a practice that was never approved

    app.dispatcher.router.buttons[record] = review_button
    await reviewer.press_data(approve)
    assert (await practice(app)).status == "approved" and 1 in index


async def test_return_with_a_comment_then_edit_and_resubmit(app):
    author, reviewer = await setup(app)
    replies = await submit(author)
    await reviewer.press_data(button(sent_to(replies, 32), "буцаах").data or "")
    assert "юуг засах" in plain(reviewer.last().text)
    await reviewer.send("Үр")  # too short
    replies = await reviewer.send("Үр дүнгээ өрхийн тоогоор тодруулна уу.")
    told = texts(replies, 31)
    assert "засварлуулахаар буцаалаа" in told and "өрхийн тоогоор" in told
    assert (await practice(app)).status == "returned"

    await author.press_data(button(sent_to(replies, 31), "нээх").data or "")
    card = plain(author.last().text)
    assert "Засварлуулахаар буцаасан" in card and "өрхийн тоогоор" in card
    await author.press("Засаад дахин илгээх")
    preview = plain(author.last().text)
    assert "Илгээхийн өмнө шалгана уу" in preview
    assert "Хянагчийн тайлбар: Үр дүнгээ өрхийн тоогоор" in preview  # in sight while fixing
    await author.press("✏️ Үр дүн")
    await author.send(RESULTS + " 250 өрх хамрагдсан.")
    replies = await author.press("Илгээх")
    saved = await practice(app)
    assert saved.status == "submitted" and "250 өрх" in saved.results
    assert any("250 өрх" in plain(r.text) for r in sent_to(replies, 32))  # reviewed again
    told = [plain(r.text) for r in sent_to(replies, 32)]
    assert any("дахин илгээлээ" in t and "өрхийн тоогоор" in t for t in told)


async def test_reject_needs_a_reason(app):
    author, reviewer = await setup(app)
    replies = await submit(author)
    await reviewer.press_data(button(sent_to(replies, 32), "Татгалзах").data or "")
    replies = await reviewer.send("Энэ нь туршлага биш, төлөвлөгөө байна.")
    assert "татгалзлаа" in texts(replies, 31)
    assert (await practice(app)).status == "rejected"


async def test_a_forged_press_by_a_non_reviewer_changes_nothing(app):
    author, reviewer = await setup(app, reviewer_district="khan-uul")  # another district
    replies = await submit(author)
    assert sent_to(replies, 32) == []  # not this reviewer's district
    await reviewer.press_data("rv:a:1")
    await author.press_data("rv:x:1")  # the author cannot judge their own practice
    assert any("эрх алга" in n for n in reviewer.notices)
    assert any("Өөрийн хорооны" in n for n in author.notices)
    saved = await practice(app)
    assert saved.status == "submitted" and saved.reviews == []


async def test_admins_select_approved_practices(app):
    author, _ = await setup(app)
    admin = Chat(app, ADMIN_ID)
    await register(admin, khoroo="9")
    await submit(author)
    await admin.press_data("rv:s:1")  # not approved yet
    assert any("аль хэдийн" in n for n in admin.notices)
    await admin.press_data("rv:a:1")
    replies = await admin.press("шалгаруулах")
    assert "нийслэлийн шатанд шалгарлаа" in texts(replies, 31)
    assert (await practice(app)).status == "selected"
    reviewer = Chat(app, 32)
    await reviewer.press_data("rv:s:1", message_id=1)  # only admins select
    assert any("эрх алга" in n for n in reviewer.notices)


async def test_only_admins_grant_the_reviewer_role(app):
    admin, someone = Chat(app, ADMIN_ID), Chat(app, 33)
    await register(admin)
    await register(someone)
    await someone.send("/grant_reviewer 33 bayangol")
    assert "зөвхөн админ" in plain(someone.last().text)
    await admin.send("/grant_reviewer 33 марс")
    assert "bayangol" in plain(admin.last().text)
    replies = await admin.send("/grant_reviewer 33 Баянгол")
    assert "эрх олголоо" in plain(admin.last().text)
    assert "эрх олгогдлоо" in texts(replies, 33)
    async with app.database.transaction() as session:
        assert await session.get(Review, 1) is None


async def test_my_practices_lists_drafts_and_practices(app):
    author, _ = await setup(app)
    await author.send("/mine")
    assert "илгээсэн туршлага алга" in plain(author.last().text)
    await submit(author)
    await author.send("/submit")
    await author.send("Ахмадын клубийг хороо бүрт")
    await author.send("/mine")
    labels = author.last().labels()
    assert labels[0] == "📝 Ноорог: Ахмадын клубийг хороо бүрт"
    assert labels[1].startswith("⏳ Хог хаягдлыг")
    await author.press("⏳ Хог")
    assert TITLE in plain(author.last().text) and "Хянагдаж байна" in plain(author.last().text)
    stranger = Chat(app, 34)
    await register(stranger)
    await stranger.press_data("mine:o:1")  # not shared yet, not theirs
    assert any("харах боломжгүй" in n for n in stranger.notices)


def card(**changes) -> Card:
    values = {
        "title": "<b>Хог</b> & цэвэр",
        "category": "environment",
        "problem": "асуудал",
        "solution": "арга",
        "results": "30% буурсан",
        "status": "approved",
    }
    values.update(changes)
    return Card(**values)


def test_card_escapes_user_text_and_splits_when_long():
    catalogue = Catalogue.load()

    def t(key, **values):
        return catalogue.text("en", key, **values)

    text = render_card(t, "en", card())
    assert "&lt;b&gt;Хог&lt;/b&gt; &amp; цэвэр" in text
    assert "Adopted by 0 khoroos" in text
    long = render_card(t, "en", card(problem="үг " * 1500, solution="арга " * 1000))
    parts = split(long)
    assert len(parts) >= 2 and all(len(plain(p)) <= 4096 for p in parts)


def test_photos_go_as_an_album_a_single_photo_alone_documents_by_file_id():
    one = media_replies(card(files=(CardFile("photo", "p1"),)))
    assert [type(r) for r in one] == [SendPhoto]
    many = media_replies(
        card(files=(*(CardFile("photo", f"p{i}") for i in range(12)), CardFile("document", "d")))
    )
    assert [type(r).__name__ for r in many] == ["SendAlbum", "SendAlbum", "SendDocument"]
    assert len(many[0].photos) == 10 and len(many[1].photos) == 2
    assert many[2].document == "d"
    assert not any(isinstance(r, SendText | SendAlbum) and "<b>" in r.caption for r in many)


async def test_a_practice_being_revised_is_one_line_of_my_practices(app):
    author, reviewer = await setup(app)
    replies = await submit(author)
    await reviewer.press_data(button(sent_to(replies, 32), "буцаах").data or "")
    replies = await reviewer.send("Үр дүнгээ өрхийн тоогоор тодруулна уу.")
    await author.press_data(button(sent_to(replies, 31), "нээх").data or "")
    await author.press("Засаад дахин илгээх")
    await author.send("/mine")
    lines = [label for label in author.last().labels() if TITLE[:12] in label]
    assert len(lines) == 1 and lines[0].startswith("✏️"), lines
    await author.press(lines[0])
    await author.press("Засвар устгах")  # discarding edits of a practice keeps the practice
    assert "туршлага тань өмнөх хэвээрээ үлдэнэ" in plain(author.last().text)
