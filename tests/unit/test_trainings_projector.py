"""The training's projector page: the key guards it, and its data follows the answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.projector import Projector
from tests.unit.test_trainings import open_training, participant, trainer


@pytest.fixture
async def projector(app) -> AsyncIterator[Projector]:
    server = Projector(app)
    await server.start("127.0.0.1", 0)
    yield server
    await server.stop()


async def test_the_page_needs_the_key_and_shows_the_cloud(app, projector):
    coach = await trainer(app)
    training = await open_training(coach)
    base = f"http://127.0.0.1:{projector.port}/trainings"
    async with aiohttp.ClientSession() as http:
        for url in (
            f"{base}/{training.code}",
            f"{base}/{training.code}?key=wrong",
            f"{base}/{training.code}/cloud?key=wrong",
            f"{base}/ZZ9ZZ?key={training.secret}",
        ):
            async with http.get(url) as response:
                assert response.status == 403, url
        async with http.get(f"{base}/{training.code.lower()}?key={training.secret}") as response:
            assert response.status == 200
            page = await response.text()
        assert "Асуулт хүлээж байна" in page and "fetch(" in page

        bold = await participant(app, 21, "Болд")
        dulmaa = await participant(app, 22, "Дулмаа")
        for chat in (bold, dulmaa):
            await chat.send(training.code)
        await coach.press("Асуулт асуух")
        await coach.send("Сайн засаглал <b>гэж</b>?")
        await bold.send("ил тод")
        await dulmaa.send("il tod")
        await bold.send("хариуцлага")
        async with http.get(f"{base}/{training.code}/cloud?key={training.secret}") as response:
            state = await response.json()
    assert state["question"] == "Сайн засаглал <b>гэж</b>?"  # data, shown as text by the page
    assert state["answers"] == 3 and state["open"] is True
    assert state["words"] == [
        {"text": "ил тод", "count": 2, "size": 5},
        {"text": "хариуцлага", "count": 1, "size": 1},
    ]
    assert state["ended"] is False


async def test_the_wall_says_when_the_training_has_ended(app, projector):
    coach = await trainer(app)
    training = await open_training(coach)
    await coach.press("Сургалтыг дуусгах")
    await coach.press("Тийм, дуусгах")
    base = f"http://127.0.0.1:{projector.port}/trainings/{training.code}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/cloud?key={training.secret}") as response:
            assert (await response.json())["ended"] is True
        async with http.get(f"{base}?key={training.secret}") as response:
            assert "Сургалт дууслаа" in await response.text()
