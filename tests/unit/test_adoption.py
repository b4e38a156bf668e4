"""Adopting a practice, reporting and evaluating it, asking its author, and the reminders."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlalchemy import func, select

from bot.reminders import Reminders
from handlers.html import plain
from handlers.messages import SendText
from storage.adoptions import Adoptions
from storage.models import Adoption, utcnow
from storage.practice_files import export_practices, import_rows, read_rows
from tests.support.chat import Chat, register
from tests.support.library import share
from tests.support.practices import button, sent_to

TITLE = "Хог хаягдлыг эх үүсвэр дээр нь ангилах аян"
AUTHOR, ADOPTER, COLLEAGUE, NEIGHBOUR = 31, 41, 42, 43


async def people(app) -> tuple[Chat, Chat, int]:
    """Register the author (Сонгинохайрхан 30) and an adopter (Баянгол 5); share a practice."""
    author, adopter = Chat(app, AUTHOR, first_name="Сараа"), Chat(app, ADOPTER)
    await register(author, district="Сонгинохайрхан", khoroo="30")
    await register(adopter)
    practice_id = await share(app, TITLE, submitter=AUTHOR)
    return author, adopter, practice_id


def texts(replies, chat_id: int) -> str:
    return "\n".join(plain(r.text) for r in sent_to(replies, chat_id))


async def adoptions(app) -> int:
    async with app.database.transaction() as session:
        return int(await session.scalar(select(func.count(Adoption.id))) or 0)


async def test_a_khoroo_adopts_once_and_the_author_hears_of_it(app):
    _, adopter, practice_id = await people(app)
    await adopter.send(f"/start p_{practice_id}")
    replies = await adopter.press("Бид нутагшуулна")
    told = texts(replies, AUTHOR)
    assert "Баянгол дүүрэг, 5-р хороо" in told and TITLE in told
    assert "Зохиогчид нь мэдэгдлээ" in plain(adopter.last().text)

    colleague = Chat(app, COLLEAGUE)  # another officer of the same khoroo
    await register(colleague)
    await colleague.send(f"/start p_{practice_id}")
    card = colleague.last()
    assert "Нутагшуулсан хороо: 1" in plain(card.text)
    assert "✅ Нутагшуулж байна: явцыг харах" in card.labels()
    await colleague.press_data(f"ad:a:{practice_id}")  # an old "We adopt this" button
    assert "аль хэдийн" in colleague.notices[-1]
    assert await adoptions(app) == 1


async def test_a_khoroo_cannot_adopt_its_own_practice(app):
    author, _, practice_id = await people(app)
    neighbour = Chat(app, NEIGHBOUR)
    await register(neighbour, district="Сонгинохайрхан", khoroo="30")
    for chat in (author, neighbour):
        await chat.send(f"/start p_{practice_id}")
        assert "🤝 Бид нутагшуулна" not in chat.last().labels()
        await chat.press_data(f"ad:a:{practice_id}")
        assert "өөрийн туршлага" in chat.notices[-1]
    assert await adoptions(app) == 0


async def test_questions_and_answers_are_relayed_both_ways(app):
    author, adopter, practice_id = await people(app)
    await adopter.send(f"/start p_{practice_id}")
    await adopter.press("Зохиогчоос асуух")
    assert "зохиогчид асуух" in plain(adopter.last().text)
    await adopter.send("Асуу")  # too short
    assert "хамгийн багадаа 5 тэмдэгт" in plain(adopter.screens[max(adopter.screens) - 1].text)
    replies = await adopter.send("Ангилах сав нэг бүр хэдэн төгрөг байсан бэ?")
    assert "дамжууллаа" in plain(adopter.last().text)
    question = sent_to(replies, AUTHOR)[-1]
    shown = plain(question.text)
    assert "хэдэн төгрөг" in shown and "Баянгол дүүрэг, 5-р хороо" in shown
    assert str(ADOPTER) not in shown + question.buttons[0][0].data

    await author.press_data(button([question], "Хариулах").data or "")
    replies = await author.send("Нэг сав 45 мянган төгрөг, СӨХ хамтран санхүүжүүлсэн.")
    answer = sent_to(replies, ADOPTER)[-1]
    assert "зохиогч хариулав" in plain(answer.text) and "45 мянган" in plain(answer.text)

    stranger = Chat(app, NEIGHBOUR)
    await register(stranger)
    await stranger.press_data(button([answer], "Хариулах").data or "")
    assert "хуучирсан" in stranger.notices[-1]  # a reply button works for its recipient only

    await adopter.press_data(button([answer], "Хариулах").data or "")
    replies = await adopter.send("Баярлалаа, бид ч бас СӨХ-той тохирно.")
    assert "СӨХ-той тохирно" in texts(replies, AUTHOR)


async def test_progress_is_reported_and_the_result_evaluated(app):
    author, adopter, practice_id = await people(app)
    await adopter.send(f"/start p_{practice_id}")
    await adopter.press("Бид нутагшуулна")
    adoption_id = int((adopter.find("Явцаа тайлагнах")[1].data or "").rsplit(":", 1)[1])
    await adopter.press_data(f"ad:e:{adoption_id}")
    assert "дууссаны дараа" in adopter.notices[-1]  # not done yet

    await adopter.send("/mine")
    await adopter.press("Манай нутагшуулалт")
    assert "(1)" in plain(adopter.last().text)
    await adopter.press("🗓")
    await adopter.press("Явцаа тайлагнах")
    await adopter.press("Хэрэгжүүлж байна")
    await adopter.send("Орц бүрт сав байрлууллаа.")
    assert "Хэрэгжүүлж байна" in plain(adopter.last().text)

    await adopter.send("/adoptions")
    await adopter.press("🛠")
    assert "🛠 Хэрэгжүүлж байна — Орц бүрт сав байрлууллаа" in plain(adopter.last().text)
    await adopter.press("Явцаа тайлагнах")
    await adopter.press("Хэрэгжүүлж дууссан")
    await adopter.press("Алгасах")
    assert "Баяр хүргэе" in plain(adopter.last().text)
    await adopter.press("Үр дүнг үнэлэх")
    await adopter.send("7")
    assert "хамгийн ихдээ 5" in plain(adopter.screens[max(adopter.screens) - 1].text)
    await adopter.press("5 ⭐")
    await adopter.send("Сайн")  # too short
    assert "хамгийн багадаа 10 тэмдэгт" in plain(adopter.screens[max(adopter.screens) - 1].text)
    await adopter.send("Орцны орчин цэвэрхэн болж, иргэд хогоо ангилдаг болсон.")
    replies = await adopter.send("120 өрх хамрагдаж, хог 30% буурсан")
    assert "Үнэлгээг хадгаллаа" in plain(adopter.last().text)
    told = texts(replies, AUTHOR)
    assert "5 ⭐" in told and "ангилдаг болсон" in told

    await author.send(f"/start p_{practice_id}")
    assert "5.0/5 (1 үнэлгээ)" in plain(author.last().text)
    async with app.database.transaction() as session:
        adoption = await session.get(Adoption, adoption_id)
        assert adoption is not None
        assert (adoption.status, adoption.rating, adoption.figures) == (
            "done",
            5,
            "120 өрх хамрагдаж, хог 30% буурсан",
        )


async def test_another_khoroo_cannot_report_on_an_adoption(app):
    _, adopter, practice_id = await people(app)
    await adopter.send(f"/start p_{practice_id}")
    await adopter.press("Бид нутагшуулна")
    neighbour = Chat(app, NEIGHBOUR)
    await register(neighbour, district="Налайх", khoroo="3")
    await neighbour.press_data("ad:p:1")
    assert "тайлагнаж, үнэлнэ" in neighbour.notices[-1]


async def test_reminders_are_sent_once_each(app):
    _, adopter, practice_id = await people(app)
    await adopter.send(f"/start p_{practice_id}")
    await adopter.press("Бид нутагшуулна")
    start = utcnow()
    now = [start]

    def reminders() -> Reminders:
        return Reminders(app.database, app.services.catalogue, clock=lambda: now[0])

    assert await reminders().due() == []
    now[0] = start + timedelta(days=31)
    (first,) = await reminders().due()
    assert isinstance(first, SendText) and first.chat_id == ADOPTER
    assert "тайлагнана уу" in plain(first.text) and first.buttons[0][0].data == "ad:p:1"
    assert await reminders().due() == []  # a restarted worker does not send it again

    now[0] = start + timedelta(days=91)
    # Two processes looking at once: only one of them claims the reminder.
    both = await asyncio.gather(reminders().due(), reminders().due())
    assert sorted(len(found) for found in both) == [0, 1]
    (second,) = next(found for found in both if found)
    assert "үнэлж" in plain(second.text)
    assert await reminders().due() == []


async def test_evaluations_are_part_of_the_export_and_an_import_ignores_them(app, tmp_path):
    _, adopter, practice_id = await people(app)
    await adopter.send(f"/start p_{practice_id}")
    await adopter.press("Бид нутагшуулна")
    async with app.database.transaction() as session:
        repository = Adoptions(session)
        adoption = await repository.get(1)
        assert adoption is not None
        await repository.report(adoption, "done", None, utcnow())
        await repository.evaluate(adoption, 4, "Хог ангилдаг болсон.", "120 өрх", utcnow())
    async with app.database.transaction() as session:
        lines = (await export_practices(session, "jsonl")).decode().splitlines()
        table = await export_practices(session, "csv")
    (record,) = [json.loads(line) for line in lines]
    assert (record["adoptions"], record["rating"]) == (1, 4.0)
    (evaluation,) = record["evaluations"]
    assert evaluation["district"] == "bayangol" and evaluation["khoroo"] == 5
    assert (evaluation["rating"], evaluation["figures"]) == (4, "120 өрх")
    assert "Хог ангилдаг болсон." in table.decode("utf-8-sig")

    path = tmp_path / "practices.csv"
    path.write_bytes(table)
    async with app.database.transaction() as session:
        report = await import_rows(session, read_rows(path))
    assert (report.refused, report.updated, len(report.unchanged)) == ([], [], 1)
