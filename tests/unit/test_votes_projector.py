"""The projector page: the key guards it, and the event stream follows the ballots."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from typing import Any

import aiohttp
import pytest

from bot.projector import Projector, script_json
from tests.unit.test_votes import open_vote, participant, trainer


@pytest.fixture
async def projector(app) -> AsyncIterator[Projector]:
    server = Projector(app)
    await server.start("127.0.0.1", 0)
    yield server
    await server.stop()


async def next_event(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """Read the stream up to the next data event (heartbeats are skipped)."""
    while True:
        line = await asyncio.wait_for(response.content.readline(), 10)
        assert line, "the stream ended"
        if line.startswith(b"data: "):
            return json.loads(line[6:])


async def test_page_needs_the_key(app, projector):
    owner = await trainer(app)
    vote, _ = await open_vote(owner, question="Аль нь <b>илүү</b> вэ?")
    base = f"http://127.0.0.1:{projector.port}/votes"
    async with aiohttp.ClientSession() as http:
        for url in (
            f"{base}/{vote.code}",
            f"{base}/{vote.code}?key=wrong",
            f"{base}/{vote.code}/events?key=wrong",
            f"{base}/ZZ9ZZZ?key={vote.secret}",
        ):
            async with http.get(url) as response:
                assert response.status == 403, url
        async with http.get(f"{base}/{vote.code.lower()}?key={vote.secret}") as response:
            assert response.status == 200
            page = await response.text()
    assert "Аль нь <b>илүү</b> вэ?" not in page  # the question is data, not markup
    assert "Аль нь \\u003cb\\u003eилүү\\u003c/b\\u003e вэ?" in page
    assert "EventSource" in page and "Санал өгсөн" in page


class _Scripts(HTMLParser):
    """Collect the text of script elements as an HTML parser sees it."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._inside = tag == "script"
        if self._inside:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.scripts[-1] += data


HOSTILE = "<!--<script> </script> ]]> & '\""


async def test_page_data_survives_markup_in_the_question(app, projector):
    owner = await trainer(app)
    options = ("<!--<script>", "</script><b>", "]]>&amp;")
    vote, _ = await open_vote(owner, question=HOSTILE, options=options)
    url = f"http://127.0.0.1:{projector.port}/votes/{vote.code}?key={vote.secret}"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        page = await response.text()
    parser = _Scripts()
    parser.feed(page)
    parser.close()
    assert len(parser.scripts) == 1  # nothing in the data opened or closed a script
    script = parser.scripts[0]
    head = "const DATA = "
    start = script.index(head) + len(head)
    data, end = json.JSONDecoder().raw_decode(script, start)
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in script[start:end]
    assert data["state"]["question"] == HOSTILE
    assert [o["name"] for o in data["state"]["options"]] == list(options)


def test_script_json_escapes_line_separators():
    text = script_json({"q": "a\u2028b\u2029</script>"})
    assert "\u2028" not in text and "\u2029" not in text and "<" not in text
    assert json.loads(text) == {"q": "a\u2028b\u2029</script>"}


async def test_refusal_speaks_the_bots_languages(app, projector):
    url = f"http://127.0.0.1:{projector.port}/votes/ZZ9ZZZ?key=x"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 403
        assert response.charset == "utf-8"
        lines = (await response.text()).splitlines()
    catalogue = app.services.catalogue
    assert lines == [
        f"403: {catalogue.text('mn', 'votes.page.forbidden')}",
        f"403: {catalogue.text('en', 'votes.page.forbidden')}",
    ]


async def test_events_follow_ballots_and_closing(app, projector):
    owner = await trainer(app)
    vote, _ = await open_vote(owner, timing="Хаасны дараа")
    url = f"http://127.0.0.1:{projector.port}/votes/{vote.code}/events?key={vote.secret}"
    chat = await participant(app, 20)
    await chat.send(f"/vote {vote.code}")
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        state = await next_event(response)
        assert (state["ballots"], state["open"], state["show"]) == (0, True, False)
        await chat.press("Цахим хороо")
        state = await next_event(response)
        assert state["ballots"] == 1
        assert [o["share"] for o in state["options"]] == [0, 0, 0]  # hidden until closed
        await owner.press("Хаах")
        state = await next_event(response)
        assert (state["open"], state["show"]) == (False, True)
        assert [o["label"] for o in state["options"]] == ["0 (0%)", "1 (100%)", "0 (0%)"]
        assert [o["share"] for o in state["options"]] == [0, 1, 0]


async def test_ranking_state_shows_points_in_order(app, projector):
    owner = await trainer(app)
    vote, _ = await open_vote(owner, kind="Эрэмбэлэх")
    chat = await participant(app, 20)
    await chat.send(f"/vote {vote.code}")
    await chat.press("Эрүүл")
    await chat.press("Ногоон")
    await chat.press("Батлах")
    state = await projector.state(vote.id)
    assert [o["name"] for o in state["options"]][:2] == ["Эрүүл хороо", "Ногоон хороо"]
    assert state["options"][0]["label"] == "2 оноо · 1.0"
