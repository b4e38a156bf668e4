"""A training's projector page in headless Chromium follows answers, questions and votes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.projector import Projector
from storage.models import VoteSession
from tests.e2e.test_projector import browser, until, widths  # noqa: F401 (browser is a fixture)
from tests.unit.test_trainings import open_training, participant, rows_of, trainer

pytestmark = pytest.mark.browser


@pytest.fixture
async def projector(app) -> AsyncIterator[Projector]:
    server = Projector(app)
    await server.start("127.0.0.1", 0)
    yield server
    await server.stop()


def words(page: Any) -> list[tuple[str, str]]:
    return [
        (word.text, word.get_attribute("class"))
        for word in page.find_elements("css selector", "#cloud .word")
    ]


def questions(page: Any) -> list[str]:
    return [item.text for item in page.find_elements("css selector", "#questions li")]


async def test_the_page_follows_answers_questions_and_the_vote(app, projector, browser):  # noqa: F811
    coach = await trainer(app)
    training = await open_training(coach)
    url = f"http://127.0.0.1:{projector.port}/trainings/{training.code}?key={training.secret}"
    await asyncio.to_thread(browser.get, url)
    await until(browser, lambda b: b.find_element("id", "code").text == training.code)
    assert "Асуулт хүлээж байна" in browser.find_element("tag name", "body").text
    assert questions(browser) == [] and not browser.find_element("id", "vote").is_displayed()

    bold, dulmaa = await participant(app, 21, "Болд"), await participant(app, 22, "Дулмаа")
    for chat in (bold, dulmaa):
        await chat.send(training.code)
    await coach.press("Асуулт асуух")
    await coach.send("Сайн засаглал </script><b>гэж</b>?")
    await until(
        browser,
        lambda b: b.find_element("id", "question").text == "Сайн засаглал </script><b>гэж</b>?",
    )

    # Answers in either script and with endings make one word, in its commonest form.
    await bold.send("ил тод")
    await until(browser, lambda b: words(b) == [("ил тод", "word s3")])
    await dulmaa.send("il tod")
    await bold.send("хариуцлага")
    await until(browser, lambda b: b.find_element("id", "count").text == "3")
    await until(browser, lambda b: words(b) == [("ил тод", "word s5"), ("хариуцлага", "word s1")])

    # Questions from the room appear, most upvoted first, as plain text.
    await bold.press("Сургагчаас асуух")
    await bold.send("Хэн <i>хариуцах</i> вэ?")
    await until(browser, lambda b: questions(b) == ["👍 0Хэн <i>хариуцах</i> вэ?"])
    await dulmaa.press("Сургагчаас асуух")
    await dulmaa.send("Хэзээ эхлэх вэ?")
    await bold.press("Танхимын асуултууд")
    await bold.press("👍 #2")
    await until(
        browser,
        lambda b: questions(b) == ["👍 1Хэзээ эхлэх вэ?", "👍 0Хэн <i>хариуцах</i> вэ?"],
    )

    # A training vote: only the number of answers shows until the trainer reveals.
    await coach.press("Санал хураах")
    await coach.send("Аль арга илүү вэ?")
    for option in ("Хурал", "Цахим санал"):
        await coach.send(option)
    await coach.press("Болсон")
    await coach.press("Нэг сонголт")
    await coach.press("Нэргүй")
    await coach.press("Гараар хаана")
    await coach.press("Эхлүүлэх")
    vote = (await rows_of(app, VoteSession))[0]
    await until(browser, lambda b: b.find_element("id", "vote").is_displayed())
    await bold.press_data(f"trv:{vote.id}:ballot")
    await bold.press("Цахим санал")
    await until(browser, lambda b: b.find_element("id", "ballots").text == "1")
    assert "нууцтай" in browser.find_element("id", "vote-hidden").text
    # The open vote's code is on the wall: the room joins before the bot's offer reaches all.
    assert browser.find_element("id", "vote-code").text == vote.code
    assert browser.find_element("id", "vote-join").is_displayed()
    await until(browser, lambda b: widths(b) == ["width: 0%;", "width: 0%;"])
    await coach.press("Дүнг нээх")
    await until(
        browser,
        lambda b: (
            "width: 100%"
            in b.find_elements("css selector", "#options .bar")[1].get_attribute("style")
        ),
    )
    assert browser.find_element("id", "vote-hidden").text == ""
