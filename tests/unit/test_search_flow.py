"""Searching practices in the chat: query, paging, filters, lists, inline mode, the CLI."""

from __future__ import annotations

import json

from bot.cli import main
from handlers.html import plain
from handlers.messages import AnswerInline, Incoming, Kind
from tests.support.chat import Chat, register
from tests.support.library import share

WASTE = "Хог хаягдлыг эх үүсвэр дээр нь ангилах аян"
PARTICIPATION = "Иргэдийн нийтийн хурлыг орой, онлайнаар хийх"
MEETINGS = {
    "category": "participation",
    "problem": "Ажилтай иргэд өдрийн цагаар болдог хуралд оролцож чаддаггүй байв.",
    "solution": "Хурлыг оройн цагаар, видео дуудлагаар давхар зохион байгуулсан.",
    "results": "Хуралд оролцогчдын тоо хоёр дахин өссөн.",
}


async def officer(app, user_id: int = 41) -> Chat:
    chat = Chat(app, user_id)
    await register(chat)
    return chat


async def test_a_latin_query_with_typos_finds_the_practice_and_opens_its_card(app):
    await share(app, WASTE)
    await share(app, PARTICIPATION, **MEETINGS)
    chat = await officer(app)
    await chat.send("/menu")
    await chat.press("Туршлага хайх")
    assert "Хайх үгээ бичнэ үү" in plain(chat.last().text)
    await chat.send("xog xayagdal angilax")
    results = plain(chat.last().text)
    assert "1 туршлага олдлоо" in results and WASTE in results
    await chat.press("1. ")
    card = plain(chat.last().text)
    assert WASTE in card and "Нутагшуулсан хороо: 0" in card
    assert {"🤝 Бид нутагшуулна", "🔎 Төстэй туршлагууд"} <= set(chat.last().labels())


async def test_results_come_ten_at_a_time(app):
    for number in range(23):
        await share(app, f"Хог цэвэрлэх аян №{number + 1}")
    chat = await officer(app)
    await chat.send("/search хог")
    first = chat.last()
    assert "23 туршлага олдлоо" in plain(first.text)
    assert sum(". " in label for label in first.labels()) == 10
    assert "1/3" in first.labels()
    await chat.press("▶")
    second = chat.last()
    assert second.message_id == first.message_id  # the list is edited in place
    assert "2/3" in second.labels() and "11. " in plain(second.text)
    await chat.press("▶")
    assert sum(". " in label for label in chat.last().labels()) == 3
    await chat.press("◀")
    assert "2/3" in chat.last().labels()


async def test_filters_narrow_the_results(app):
    await share(app, "Хог ангилах аян Баянзүрхэд", district="bayanzurkh", year=2021)
    await share(app, "Хог ангилах аян Сонгинохайрханд", status="selected", year=2023)
    await share(app, "Хог ангилах сургалт", category="education", year=2023)
    chat = await officer(app)
    await chat.send("/search хог ангилах")
    assert "3 туршлага олдлоо" in plain(chat.last().text)
    await chat.press("Шүүлтүүр")
    await chat.press("Дүүрэг: Бүгд")
    await chat.press("Баянзүрх")
    assert "📍 Дүүрэг: Баянзүрх" in chat.last().labels()
    await chat.press("Үр дүнг харах")
    assert "1 туршлага олдлоо" in plain(chat.last().text)
    assert "Шүүлтүүр: Баянзүрх" in plain(chat.last().text)

    await chat.press("Шүүлтүүр (1)")
    await chat.press("Шүүлтүүрийг арилгах")
    await chat.press("Төлөв: Хуваалцсан (бүгд)")  # cycles to "selected"
    assert "⭐ Төлөв: Шалгарсан" in chat.last().labels()
    await chat.press("Үр дүнг харах")
    assert "Сонгинохайрханд" in plain(chat.last().text)
    assert "1 туршлага олдлоо" in plain(chat.last().text)

    await chat.press("Шүүлтүүр (1)")
    await chat.press("Шүүлтүүрийг арилгах")
    await chat.press("Ангилал: Бүгд")
    await chat.press("Боловсрол")
    await chat.press("Он: Бүгд")
    await chat.press("2023")
    await chat.press("Үр дүнг харах")
    text = plain(chat.last().text)
    assert "Хог ангилах сургалт" in text and "1 туршлага олдлоо" in text


async def test_nothing_found_is_said_politely(app):
    await share(app, WASTE)
    chat = await officer(app)
    await chat.send("/search шатар тоглох")
    text = plain(chat.last().text)
    assert "олдсонгүй" in text and "олдлоо" not in text  # said once, not "0 found" as well
    assert text.count("шатар тоглох") == 1
    assert "🔎 Шинэ хайлт" in chat.last().labels()
    await chat.press("Шинэ хайлт")
    await chat.send("х")
    assert "хамгийн багадаа 2 тэмдэгт" in plain(chat.screens[max(chat.screens) - 1].text)


async def test_most_adopted_and_recently_shared_lists(app):
    first = await share(app, WASTE)
    await share(app, PARTICIPATION, **MEETINGS)
    chat = await officer(app)
    await chat.send("/search")
    await chat.press("Сүүлд хуваалцсан")
    text = plain(chat.last().text)
    assert "Сүүлд хуваалцсан туршлагууд (2)" in text
    assert text.index(PARTICIPATION) < text.index(WASTE)
    await chat.press("Их нутагшуулсан")
    assert "одоогоор туршлага алга" in plain(chat.last().text)
    await chat.press_data(f"ad:a:{first}")
    listing, _ = chat.find("Их нутагшуулсан")
    await chat.press("Их нутагшуулсан", screen=listing)
    text = plain(chat.screens[listing.message_id].text)
    assert WASTE in text and PARTICIPATION not in text and "🔁 1" in text


async def inline(chat: Chat, query: str, offset: str = "") -> AnswerInline:
    replies = await chat.handle(
        Incoming(
            kind=Kind.INLINE_QUERY,
            user_id=chat.user_id,
            chat_id=chat.user_id,
            query_id="q1",
            text=query,
            inline_offset=offset,
        )
    )
    (answer,) = replies
    assert isinstance(answer, AnswerInline)
    return answer


async def test_inline_mode_pages_with_next_offset(app):
    for number in range(25):
        await share(app, f"Хог цэвэрлэх аян №{number + 1}")
    await share(app, PARTICIPATION, **MEETINGS)
    app.services.bot_username = "khoroo_bot"
    chat = Chat(app, 77)  # inline mode works for anyone, registered or not
    first = await inline(chat, "hog")
    assert len(first.results) == 20 and first.next_offset == "20"
    assert "Хог цэвэрлэх аян" in first.results[0].title
    assert "Хог цэвэрлэх аян" in first.results[0].text  # the card is the message
    assert first.results[0].buttons[0][0].url.startswith("https://t.me/khoroo_bot?start=p_")
    rest = await inline(chat, "hog", first.next_offset)
    assert len(rest.results) == 5 and rest.next_offset == ""
    assert not {r.id for r in first.results} & {r.id for r in rest.results}
    recent = await inline(chat, "")
    assert recent.results[0].title == PARTICIPATION


async def test_a_deep_link_from_an_inline_result_opens_the_card(app):
    practice_id = await share(app, WASTE)
    chat = await officer(app)
    await chat.send(f"/start p_{practice_id}")
    assert WASTE in plain(chat.last().text)


def test_cli_search_prints_ranked_json(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/bot.db")
    rows = [
        {
            "id": f"x{number}",
            "title": title,
            "district": "bayangol",
            "khoroo": 4,
            "category": "environment",
            "problem": "Асуудал тодорхойлсон байв.",
            "solution": "Шийдлийг хэрэгжүүлсэн.",
            "results": "Үр дүн гарсан.",
            "year": 2022,
            "status": status,
        }
        for number, (title, status) in enumerate(
            [(WASTE, "approved"), (PARTICIPATION, "selected"), ("Хог ангилах ноорог", "submitted")]
        )
    ]
    source = tmp_path / "practices.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    assert main(["practices", "import", str(source)]) == 0
    capsys.readouterr()
    assert main(["practices", "search", "hog angilah", "--json", "--limit", "5"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [row["id"] for row in found] == ["x0"]  # the submitted one is not shared
    assert found[0]["title"] == WASTE and found[0]["score"] > 0
    assert main(["practices", "search", "иргэдийн хурал"]) == 0
    assert PARTICIPATION in capsys.readouterr().out


async def test_a_new_title_is_warned_about_only_a_practice_much_like_it(app):
    from tests.support.search_data import load

    records = {p["id"]: p for p in load("practices.jsonl")}
    for key in ("p03", "p04", "p10", "p30", "p31", "p61"):
        record = records[key]
        await share(
            app,
            record["title"],
            district=record["district"],
            problem=record["problem"],
            solution=record["solution"],
            results=record["results"],
            tags=record.get("tags", []),
        )
    chat = await officer(app)
    await chat.send("/submit")
    await chat.send("Night shelter for homeless in winter")  # light, hol: typo-matches
    assert "Таных эдгээрийн нэг биш үү" not in plain(chat.last().text)
    other = await officer(app, 42)
    await other.send("/submit")
    await other.send("Хүүхдийн тоглоомын талбай")
    text = plain(other.last().text)
    assert "Таных эдгээрийн нэг биш үү" in text and records["p10"]["title"] in text
    assert records["p30"]["title"] not in text  # a fund that built one playground
