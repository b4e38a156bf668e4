"""Issue 15's small things and natural Mongolian, each as an officer meets it."""

from __future__ import annotations

import pytest

from handlers.html import plain
from handlers.i18n import Catalogue, format_number
from handlers.messages import SendPhoto
from handlers.mongolian import attach, suffix
from handlers.vote_admin import chart_figure
from knowledge.tally import OptionResult, Tally
from tests.support.chat import Chat, register
from tests.unit.test_adoption import TITLE, people
from tests.unit.test_votes import open_vote, participant, trainer

# -- natural Mongolian ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "tai", "yg", "d", "aas"),
    [
        ("Ахмадад хоол хүргэх", "тэй", "ийг", "д", "ээс"),
        ("Хог", "той", "ийг", "т", "оос"),
        ("Сургууль", "тай", "ийг", "д", "аас"),
        ("Бат", "тай", "ыг", "д", "аас"),
        ("Өвөл", "тэй", "ийг", "д", "өөс"),
        ("Ширээ", "тэй", "г", "д", "гээс"),
        ("1", "тэй", "ийг", "нд", "ээс"),  # нэг
        ("2", "той", "ыг", "нд", "оос"),  # хоёр
        ("10", "тай", "ыг", "нд", "аас"),  # арав
        ("E-Mongolia", "тай", "г", "д", "гаас"),  # read as it sounds
    ],
)
def test_a_suffix_follows_the_vowel_harmony_of_the_word(word, tai, yg, d, aas):
    assert [suffix(word, case) for case in ("тай", "ыг", "д", "аас")] == [tai, yg, d, aas]


def test_a_word_without_a_vowel_to_go_by_falls_back():
    assert suffix("🎉", "тай") is None
    assert attach("🎉", "тай", fallback="🎉 гэсэн") == "🎉 гэсэн"
    assert attach("Хог", "ыг") == "Хог-ийг"


def test_the_catalogue_writes_the_suffix_of_an_unknown_title():
    catalogue = Catalogue.load()
    title = "Ахмадад хоол хүргэх"
    text = plain(catalogue.text("mn", "adoption.similar_title", title=title))
    assert f"«{title}»-тэй төстэй" in text  # not -тай
    assert "«Ном»-той" in plain(catalogue.text("mn", "adoption.similar_title", title="Ном"))
    assert "similar to" in plain(catalogue.text("en", "adoption.similar_title", title=title))


def test_numbers_are_grouped_as_each_language_reads_them():
    catalogue = Catalogue(
        {"mn": {"x": "{n} төгрөг"}, "en": {"x": "{n} tögrög"}},
    )
    assert catalogue.text("mn", "x", n=1500) == "1\u202f500 төгрөг"  # not 1,500
    assert catalogue.text("en", "x", n=1500) == "1,500 tögrög"
    assert format_number(999, "mn") == "999"


def test_one_term_per_role_in_every_mongolian_text():
    catalogue = Catalogue.load()
    texts = " ".join(map(str, catalogue.texts["mn"].values())).lower()
    for other in ("шүүмжлэгч", "тренер", "шүүгч нар хянана"):
        assert other not in texts.replace("шүүмжлэгчид хүргэнэ", ""), other
    for wrong in ("хариуллаа", "бүх хуваалцсан", "танайхтай", "-г цуцлах", "-г үзэх"):
        assert wrong not in texts, wrong


# -- small things --------------------------------------------------------------------------


async def test_a_title_of_only_digits_or_emoji_is_refused(app):
    chat = Chat(app, 61)
    await register(chat)
    await chat.send("/submit")
    for title in ("🎉🎉🎉🎉🎉", "2026 2026 2026"):
        replies = await chat.send(title)
        assert "Үгээр бичнэ үү" in chat.texts(replies)[0]
        assert "1. Туршлагын нэр" in plain(chat.last().text)  # asked again, nothing kept


async def test_the_first_step_asked_again_names_the_button_it_shows(app):
    chat = Chat(app, 62)
    await register(chat)
    await chat.send("/submit")
    await chat.send("Ахмадуудад халуун хоол хүргэх аян")
    await chat.press("Буцах")  # from the category back to the title: the first step
    screen = chat.last()
    assert "Буцах" not in " ".join(screen.labels())  # no Back on the first step ...
    assert "«Буцах» товчийг" not in plain(screen.text)  # ... so the text does not name it
    assert "«Хэвээр үлдээх»" in plain(screen.text) and "✅ Хэвээр үлдээх" in screen.labels()
    await chat.press("Хэвээр үлдээх")
    assert "Ангилал" in plain(chat.last().text)


async def test_the_similar_practices_list_has_a_way_back(app):
    _, adopter, practice_id = await people(app)
    from tests.support.library import share

    await share(app, "Хог хаягдлыг ангилах сургалт")
    await adopter.send(f"/start p_{practice_id}")
    await adopter.press("Төстэй туршлагууд")
    listing = adopter.last()
    assert "◀️ Буцах" in listing.labels() and any("цэс" in x for x in listing.labels())
    await adopter.press("Буцах")
    assert TITLE in plain(adopter.last().text)  # the practice it started from


async def evaluate(app, change: str) -> Chat:
    """Adopt, report done and rate 4; then describe what changed."""
    _, adopter, practice_id = await people(app)
    await adopter.send(f"/start p_{practice_id}")
    await adopter.press("Бид нутагшуулна")
    await adopter.send("/adoptions")
    await adopter.press("🗓")
    await adopter.press("Явцаа тайлагнах")
    await adopter.press("Хэрэгжүүлж дууссан")
    await adopter.press("Алгасах")
    await adopter.press("Үр дүнг үнэлэх")
    assert [x for x in adopter.last().labels() if "⭐" in x] == [f"{r} ⭐" for r in range(1, 6)]
    await adopter.press("4 ⭐")
    await adopter.send(change)
    return adopter


async def test_figures_are_not_asked_again_after_a_percentage(app):
    adopter = await evaluate(app, "Хог 30 хувиар буурч, иргэд ангилдаг болсон.")
    assert "Үнэлгээг хадгаллаа" in plain(adopter.last().text)


async def test_figures_are_not_asked_again_after_a_number_in_words(app):
    adopter = await evaluate(app, "Хог гуч орчим хувиар буурч, иргэд ангилдаг болсон.")
    assert "Үнэлгээг хадгаллаа" in plain(adopter.last().text)


async def test_figures_are_asked_when_the_change_has_none(app):
    adopter = await evaluate(app, "Иргэд хогоо ангилдаг болж, орчин цэвэрхэн болсон.")
    assert "тоогоор илэрхийлж" in plain(adopter.last().text)


async def test_cancelling_a_profile_change_says_so(app):
    chat = Chat(app, 63)
    await register(chat)
    await chat.send("/profile")
    await chat.press("Дүүрэг, хороо солих")
    replies = await chat.press("Цуцлах")
    said = " ".join(chat.texts(replies))
    assert "Профайлын өөрчлөлтийг цуцаллаа" in said and "Бүртгэл" not in said


def test_the_chart_counts_in_whole_numbers(app):
    class Vote:
        kind = "single"
        question = "Аль нь?"
        options = ("Нэг", "Хоёр")

    result = Tally("single", 3, (OptionResult(0, 2, 2 / 3), OptionResult(1, 1, 1 / 3)))
    axes = chart_figure(Vote(), result, "Санал").axes[0]  # type: ignore[arg-type]
    ticks = [t for t in axes.get_xticks() if t >= 0]
    assert ticks and all(float(t).is_integer() for t in ticks)


async def test_chart_and_qr_code_have_distinct_file_names(app):
    owner = await trainer(app)
    vote, replies = await open_vote(owner)
    voter = await participant(app, 64)
    await voter.send(f"/vote {vote.code}")
    await voter.press("Ногоон хороо")
    names = {r.filename for r in replies if isinstance(r, SendPhoto)}
    names |= {r.filename for r in await owner.press("Хаах") if isinstance(r, SendPhoto)}
    names |= {r.filename for r in await owner.press("График") if isinstance(r, SendPhoto)}
    assert len(names) == 2, names


async def test_results_with_a_percentage_in_words_are_not_asked_for_numbers(app):
    chat = Chat(app, 65)
    await register(chat)
    await chat.send("/submit")
    await chat.send("Ахмадуудад халуун хоол хүргэх аян")
    await chat.press("Нийгмийн халамж")
    await chat.send("Ганц бие ахмадууд өдөр бүр халуун хоол иддэггүй байсан.")
    await chat.send("Сайн дурынхан долоо хоног бүр хоол хүргэж, эрүүл мэндийг нь асуудаг болсон.")
    replies = await chat.send(
        "Ахмадуудын тав нь өдөр бүр хоол авч, сэтгэл ханамж гучин хувиар өссөн."
    )
    assert not any("Үр дүнд тоо алга" in t for t in chat.texts(replies))
    assert "6. Нөөц" in plain(chat.last().text)
