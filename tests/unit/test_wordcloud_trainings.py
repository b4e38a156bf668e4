"""The trainer's word cloud through the core: phrases, meaningful words and written case."""

from __future__ import annotations

from handlers.html import plain
from tests.unit.test_trainings import room


async def test_the_trainers_cloud_reads_as_people_wrote(app):
    coach, _training, chats = await room(app, *(f"Оролцогч {i}" for i in range(4)))
    await coach.press("Асуулт асуух")
    await coach.send("Сайн засаглалыг юу гэж ойлгох вэ?")
    answers = (
        ("ил тод", "УИХ"),
        ("il tod", "уих"),
        ("Мэдээллийн ил тод байдлыг хэрхэн хангах вэ? <script>alert(1)</script> & бусад", "УИХ"),
        ("Facebook", "ЗДТГ"),
    )
    for chat, given in zip(chats, answers, strict=True):
        for answer in given:
            await chat.send(answer)

    await coach.press("Үгийн үүл")
    cloud = plain(coach.last().text).split("\n\n")[1]
    assert cloud.splitlines() == [
        "●●●●● ил тод — 3",
        "●●●●● УИХ — 3",
        "● Мэдээллийн — 1",
        "● байдлыг — 1",
        "● хангах — 1",
        "● Facebook — 1",
        "● ЗДТГ — 1",
    ]
