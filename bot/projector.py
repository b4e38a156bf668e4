"""The projector page: a vote's results in large bars, updated live by server-sent events.

``GET /votes/<code>?key=<secret>`` serves the page; it listens to
``GET /votes/<code>/events?key=<secret>``, which sends the results as JSON at once and again
whenever a ballot is committed (merged to at most a few updates a second). Without the
vote's key both answer 403, whether or not the code exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import web

from bot import pages
from bot.app import App
from bot.pages import script_json
from bot.training_projector import TrainingPages
from handlers.html import plain
from storage.models import VoteSession
from storage.votes import Votes

log = logging.getLogger(__name__)
HEARTBEAT = 15.0  # seconds: keeps proxies from closing an idle stream
SETTLE = 0.2  # seconds between updates of one page: a burst of ballots becomes one update

__all__ = ["Projector", "script_json"]


class Projector:
    """Serve the projector pages of the app's votes."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.live = app.live_results
        self.language = app.settings.default_language
        self._runner: web.AppRunner | None = None
        self._streams: set[asyncio.Task[Any]] = set()
        self.port = 0

    def application(self) -> web.Application:
        """Build the aiohttp application."""
        application = web.Application()
        application.router.add_get("/votes/{code}", self._page)
        application.router.add_get("/votes/{code}/events", self._events)
        TrainingPages(self.app, self.language).add_routes(application)
        return application

    async def start(self, host: str, port: int) -> None:
        """Listen on host:port (port 0: any free port, kept in self.port)."""
        self._runner = web.AppRunner(self.application())
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.port = int(self._runner.addresses[0][1])
        log.info("projector pages on http://%s:%s/votes/<code>", host, self.port)

    async def stop(self) -> None:
        """Stop listening and close open streams."""
        for stream in list(self._streams):  # an idle stream would hold the shutdown up
            stream.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _vote(self, request: web.Request) -> VoteSession:
        code = request.match_info["code"].upper()
        key = request.query.get("key", "")
        async with self.app.database.transaction() as session:
            vote = await Votes(session).by_code(code)
        return pages.unlock(vote, key, pages.forbidden(self.app.services.catalogue, self.language))

    async def state(self, vote_id: int) -> dict[str, Any]:
        """Return what the page shows, as JSON-ready data."""
        async with self.app.database.transaction() as session:
            vote = await Votes(session).get(vote_id)
            assert vote is not None
            return await pages.vote_state(session, vote, self._t)

    def _t(self, key: str) -> str:
        return plain(self.app.services.catalogue.text(self.language, key))

    async def _page(self, request: web.Request) -> web.Response:
        vote = await self._vote(request)
        state = await self.state(vote.id)
        texts = {
            "ballots": self._t("votes.page.ballots"),
            "hidden": self._t("votes.page.hidden"),
            "join": self._t("votes.page.join"),
            "closed": self._t("votes.page.closed"),
        }
        return pages.render(PAGE, self.language, {"state": state, "texts": texts})

    async def _events(self, request: web.Request) -> web.StreamResponse:
        vote = await self._vote(request)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        task = asyncio.current_task()
        if task is not None:
            self._streams.add(task)
            task.add_done_callback(self._streams.discard)
        with self.live.watch(vote.id) as changed, contextlib.suppress(ConnectionError):
            await self._send(response, vote.id)
            while True:
                try:
                    await asyncio.wait_for(changed.wait(), HEARTBEAT)
                except TimeoutError:
                    await response.write(b": ping\n\n")
                    continue
                changed.clear()
                await self._send(response, vote.id)
                await asyncio.sleep(SETTLE)
        return response

    async def _send(self, response: web.StreamResponse, vote_id: int) -> None:
        data = json.dumps(await self.state(vote_id), ensure_ascii=False)
        await response.write(f"data: {data}\n\n".encode())


PAGE = """<!doctype html>
<html lang="__LANG__">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>khoroo-bot</title>
<style>
__STYLE__
  .notice { font-size: 3.6vh; color: #8a1c1c; margin: 2vh 0; }
</style>
</head>
<body>
<main>
  <h1 id="question"></h1>
  <div class="meta"><span id="join-label"></span>: <b id="code"></b> &nbsp;·&nbsp;
    <span id="ballots-label"></span>: <b id="count">0</b></div>
  <div id="closed" class="notice" hidden></div>
  <div id="hidden" class="notice" hidden></div>
  <div id="options"></div>
</main>
<script>
const DATA = __DATA__;
__BARS__
const texts = DATA.texts;
function render(state) {
  document.getElementById("question").textContent = state.question;
  document.getElementById("code").textContent = state.code;
  document.getElementById("count").textContent = String(state.ballots);
  document.getElementById("join-label").textContent = texts.join;
  document.getElementById("ballots-label").textContent = texts.ballots;
  const closed = document.getElementById("closed");
  closed.textContent = texts.closed;
  closed.hidden = state.open;
  const hidden = document.getElementById("hidden");
  hidden.textContent = texts.hidden;
  hidden.hidden = state.show;
  renderBars(document.getElementById("options"), state.options);
}
render(DATA.state);
const events = new EventSource(location.pathname + "/events" + location.search);
events.onmessage = (message) => render(JSON.parse(message.data));
</script>
</body>
</html>
"""
