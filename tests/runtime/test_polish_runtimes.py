"""Issue 15's small things whose buttons matter, on both Telegram runtimes."""

from __future__ import annotations

from handlers.vote_admin import chart_figure
from storage.votes import Votes
from tests.runtime.harness import LiveBot
from tests.runtime.test_search_runtimes import register
from tests.runtime.test_votes_runtimes import TRAINER, open_vote, seed_users
from tests.support.library import share

OFFICER, AUTHOR = 8101, 8102
TITLE = "Хог хаягдлыг эх үүсвэр дээр нь ангилах аян"


async def test_keep_on_the_first_step_back_from_similar_and_profile_cancel(live: LiveBot):
    await register(live, OFFICER, "Баянгол", "5")
    await register(live, AUTHOR, "Сонгинохайрхан", "30")

    # The title asked again has no Back button, so its text names the Keep button it shows.
    await live.say(OFFICER, "/submit")
    await live.say(OFFICER, "Ахмадуудад халуун хоол хүргэх аян")
    await live.press(OFFICER, "Буцах")
    assert "«Хэвээр үлдээх»" in live.last_text(OFFICER)
    await live.press(OFFICER, "Хэвээр үлдээх")
    assert "Ангилал" in live.last_text(OFFICER)
    await live.say(OFFICER, "/cancel")

    # The similar practices list leads back to the practice it came from.
    await share(live.app, TITLE, submitter=AUTHOR)
    await share(live.app, "Хог хаягдлыг ангилах сургалт", submitter=AUTHOR)
    await live.say(OFFICER, "/search эх үүсвэр дээр нь ангилах")
    await live.press(OFFICER, "1. Хог хаягдлыг эх үүсвэр")
    await live.press(OFFICER, "Төстэй туршлагууд")
    assert "-тай төстэй" in live.last_text(OFFICER)
    await live.press(OFFICER, "Буцах")
    assert TITLE in live.last_text(OFFICER) and "Нутагшуулсан хороо" in live.last_text(OFFICER)

    # Cancelling a profile change says the profile change was cancelled.
    await live.say(OFFICER, "/profile")
    await live.press(OFFICER, "Дүүрэг, хороо солих")
    await live.press(OFFICER, "Цуцлах")
    texts = [m.text or "" for m in live.fake.sent_messages(OFFICER)[-3:]]
    assert any("Профайлын өөрчлөлтийг цуцаллаа" in t for t in texts)


async def test_titles_without_letters_are_refused_and_nothing_is_kept(live: LiveBot):
    await register(live, OFFICER, "Баянгол", "5")
    await live.say(OFFICER, "/submit")
    for title in ("🎉🎉🎉🎉🎉", "2026 2026 2026"):
        replies = await live.say(OFFICER, title)
        assert "Үгээр бичнэ үү" in (replies[0].text or "")
        assert "1. Туршлагын нэр" in live.last_text(OFFICER)  # asked again


async def test_rating_buttons_alike_and_no_figures_asked_after_a_percentage(live: LiveBot):
    await register(live, OFFICER, "Баянгол", "5")
    await register(live, AUTHOR, "Сонгинохайрхан", "30")
    await share(live.app, TITLE, submitter=AUTHOR)
    await live.say(OFFICER, "/search эх үүсвэр дээр нь ангилах")
    await live.press(OFFICER, "1. Хог хаягдлыг эх үүсвэр")
    await live.press(OFFICER, "Бид нутагшуулна")
    await live.press(OFFICER, "Явцаа тайлагнах")
    await live.press(OFFICER, "Хэрэгжүүлж дууссан")
    await live.press(OFFICER, "Алгасах")
    await live.press(OFFICER, "Үр дүнг үнэлэх")
    labels = live.fake.last_message(OFFICER).button_texts  # type: ignore[union-attr]
    assert [x for x in labels if "⭐" in x] == [f"{n} ⭐" for n in range(1, 6)]
    await live.press(OFFICER, "4 ⭐")
    await live.say(OFFICER, "Хог 30 хувиар буурч, иргэд ангилдаг болсон.")
    assert "Үнэлгээг хадгаллаа" in live.last_text(OFFICER)  # no second ask for figures


async def test_nothing_found_is_said_once(live: LiveBot):
    await register(live, OFFICER, "Баянгол", "5")
    await share(live.app, TITLE)
    await live.say(OFFICER, "/search шатар тоглох дугуйлан")
    text = live.last_text(OFFICER)
    assert "олдсонгүй" in text and "0 туршлага" not in text and "олдлоо" not in text


async def test_a_suffix_after_a_title_follows_its_vowels(live: LiveBot):
    await register(live, OFFICER, "Баянгол", "5")
    await register(live, AUTHOR, "Сонгинохайрхан", "30")
    await share(live.app, "Ахмадад халуун хоол хүргэх", submitter=AUTHOR)
    await share(live.app, "Ахмадад хоол хүргэх сайн дурын ажил", submitter=AUTHOR)
    await live.say(OFFICER, "/search ахмадад халуун хоол хүргэх")
    await live.press(OFFICER, "1. Ахмадад халуун")
    await live.press(OFFICER, "Төстэй туршлагууд")
    assert "«Ахмадад халуун хоол хүргэх»-тэй төстэй" in live.last_text(OFFICER)


async def test_chart_in_whole_numbers_apart_from_the_qr_code(live: LiveBot):
    vote = await open_vote(live)
    await seed_users(live, [8201, 8202, 8203])
    for user_id, option in ((8201, "Ногоон"), (8202, "Ногоон"), (8203, "Цахим")):
        await live.say(user_id, vote.code)
        await live.press(user_id, option)
    await live.press(TRAINER, "Хаах")
    await live.press(TRAINER, "График")
    photos = await live.fake.wait_for_calls("sendPhoto", 2)
    names = [call.params["photo"].filename for call in photos]
    assert len(set(names)) == 2, names  # the QR code sent at the start, then the chart
    async with live.app.database.transaction() as session:
        votes = Votes(session)
        saved = await votes.get(vote.id)
        assert saved is not None
        result = await votes.tally(saved)
    axes = chart_figure(saved, result, "Санал").axes[0]  # the figure that PNG was drawn from
    ticks = [t for t in axes.get_xticks() if t >= 0]
    assert ticks and all(float(t).is_integer() for t in ticks)


async def test_undo_and_back_read_apart(live: LiveBot):
    vote = await open_vote(live, kind="Эрэмбэлэх", privacy="Нэргүй")
    await seed_users(live, [8204])
    await live.say(8204, vote.code)
    await live.press(8204, "Ногоон")
    labels = live.fake.last_message(8204).button_texts  # type: ignore[union-attr]
    [undo] = [label for label in labels if "↩️" in label]
    assert undo == "↩️ Сүүлийнхийг болих"  # not «Буцаах», one letter away from «◀️ Буцах»


async def test_every_step_asked_again_keeps_its_answer_with_a_button(live: LiveBot):
    await register(live, OFFICER, "Баянгол", "5")
    await live.say(OFFICER, "/submit")
    await live.say(OFFICER, "Ахмадуудад халуун хоол хүргэх аян")
    await live.press(OFFICER, "Нийгмийн халамж")
    assert "(20–1\u202f500 тэмдэгт)" in live.last_text(OFFICER)  # not "1,500"
    await live.say(OFFICER, "Ганц бие ахмадууд өдөр бүр халуун хоол иддэггүй байсан.")
    await live.press(OFFICER, "Буцах")  # back to the problem: Back would go further back
    text = live.last_text(OFFICER)
    assert "«Хэвээр үлдээх»" in text and "«Буцах» товчийг" not in text
    await live.press(OFFICER, "Хэвээр үлдээх")
    assert "4. Хэрэгжүүлсэн арга" in live.last_text(OFFICER)
    await live.press(OFFICER, "Буцах")
    await live.press(OFFICER, "Буцах")  # the category: chosen again to keep it
    assert "дахин сонгоно уу" in live.last_text(OFFICER)


async def test_my_practices_count_the_draft_they_list(live: LiveBot):
    await register(live, OFFICER, "Баянгол", "5")
    await live.say(OFFICER, "/submit")
    await live.say(OFFICER, "Ахмадуудад халуун хоол хүргэх аян")
    await live.say(OFFICER, "/mine")
    text = live.last_text(OFFICER)
    assert "(нийт 1)" in text
    assert any("Ноорог" in b for b in live.fake.last_message(OFFICER).button_texts)  # type: ignore[union-attr]


async def test_done_typed_instead_of_pressed_finishes_the_options(live: LiveBot):
    await seed_users(live, [TRAINER], role="trainer")
    await live.say(TRAINER, "/newvote")
    await live.say(TRAINER, "Аль туршлагыг нутагшуулах вэ?")
    await live.say(TRAINER, "Ногоон хороо")
    await live.say(TRAINER, "Цахим хороо")
    await live.say(TRAINER, "болсон")
    assert "Санал өгөх хэлбэрийг сонгоно уу" in live.last_text(TRAINER)
