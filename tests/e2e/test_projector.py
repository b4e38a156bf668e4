"""The projector page in headless Chromium: ballots cast through the bot move its bars."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.projector import Projector
from tests.unit.test_votes import open_vote, participant, trainer

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")

pytestmark = pytest.mark.browser


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Start headless Chromium with a fresh profile and nothing that calls out."""
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")) or not (
        Path(CHROMEDRIVER).exists() or shutil.which("chromedriver")
    ):
        pytest.skip("Chromium is not installed: apt-get install -y chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
async def projector(app) -> AsyncIterator[Projector]:
    server = Projector(app)
    await server.start("127.0.0.1", 0)
    yield server
    await server.stop()


async def until(browser: Any, condition: Any) -> Any:
    """Wait in a thread for a condition on the page, so the server keeps serving meanwhile."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # The page redraws its lists on every poll; an element read mid-redraw is stale, which
    # only means "look again", not a failure.
    wait = WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,))
    return await asyncio.to_thread(wait.until, condition)


def widths(browser: Any) -> list[str]:
    return [bar.get_attribute("style") for bar in browser.find_elements("css selector", ".bar")]


async def test_the_page_follows_the_ballots(app, projector, browser):
    owner = await trainer(app)
    vote, _ = await open_vote(owner, question="Аль туршлагыг нутагшуулах вэ?")
    url = f"http://127.0.0.1:{projector.port}/votes/{vote.code}?key={vote.secret}"
    await asyncio.to_thread(browser.get, url)
    await until(browser, lambda b: b.find_element("id", "count").text == "0")
    page = browser.find_element("tag name", "body").text
    assert "Аль туршлагыг нутагшуулах вэ?" in page and vote.code in page
    assert [e.text for e in browser.find_elements("css selector", ".name")] == [
        "Ногоон хороо",
        "Цахим хороо",
        "Эрүүл хороо",
    ]
    assert all("width: 0%" in style for style in widths(browser))

    first = await participant(app, 20)
    await first.send(f"/vote {vote.code}")
    await first.press("Цахим хороо")
    await until(browser, lambda b: b.find_element("id", "count").text == "1")
    await until(browser, lambda b: "width: 100%" in widths(b)[1])

    second = await participant(app, 21)
    await second.send(f"/vote {vote.code}")
    await second.press("Эрүүл хороо")
    await until(browser, lambda b: b.find_element("id", "count").text == "2")
    await until(browser, lambda b: "width: 50%" in widths(b)[2])
    values = [e.text for e in browser.find_elements("css selector", ".value")]
    assert values == ["0 (0%)", "1 (50%)", "1 (50%)"]

    await owner.press("Хаах")
    await until(browser, lambda b: b.find_element("id", "closed").is_displayed())


async def test_the_page_shows_a_question_full_of_markup(app, projector, browser):
    owner = await trainer(app)
    question = "<!--<script> </script> ]]> ямар вэ?"
    vote, _ = await open_vote(owner, question=question, options=("<!--", "</script>", "]]>"))
    url = f"http://127.0.0.1:{projector.port}/votes/{vote.code}?key={vote.secret}"
    await asyncio.to_thread(browser.get, url)
    await until(browser, lambda b: b.find_element("id", "question").text == question)
    names = [e.text for e in browser.find_elements("css selector", ".name")]
    assert names == ["<!--", "</script>", "]]>"]


async def test_the_page_refuses_a_wrong_key(app, projector, browser):
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    url = f"http://127.0.0.1:{projector.port}/votes/{vote.code}?key=guess"
    await asyncio.to_thread(browser.get, url)
    body = browser.find_element("tag name", "body").text
    assert "403" in body and "холбоос" in body and "link" in body
    assert "нутагшуулах" not in browser.page_source
