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
import secrets
from typing import Any

from aiohttp import web

from bot.app import App
from bot.training_projector import TrainingPages
from handlers.html import plain
from handlers.i18n import LANGUAGES
from knowledge.tally import RANKING
from storage.models import VoteSession
from storage.votes import OPEN, Votes

log = logging.getLogger(__name__)
HEARTBEAT = 15.0  # seconds: keeps proxies from closing an idle stream
SETTLE = 0.2  # seconds between updates of one page: a burst of ballots becomes one update


# Inside a script element, "<!--" and "<script" change how the HTML parser finds its end,
# and "</script" ends it: with <, > and & escaped no markup can appear. U+2028 and U+2029
# end a line in older JavaScript. JSON reads every escape back as the same character.
_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def script_json(value: Any) -> str:
    """Return value as JSON that is safe inside an HTML script element."""
    return json.dumps(value, ensure_ascii=False).translate(_SCRIPT_ESCAPES)


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
        pages = TrainingPages(self.app, self.language, self._forbidden, script_json)
        pages.add_routes(application)
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
        # The same answer for a wrong key and an unknown code: the page reveals nothing.
        if vote is None or not secrets.compare_digest(key.encode(), vote.secret.encode()):
            raise web.HTTPForbidden(text=self._forbidden(), content_type="text/plain")
        return vote

    def _forbidden(self) -> str:
        """Say in every language of the bot, the default first, that the page needs its link."""
        catalogue = self.app.services.catalogue
        languages = sorted(LANGUAGES, key=lambda language: language != self.language)
        return "\n".join(
            f"403: {plain(catalogue.text(language, 'votes.page.forbidden'))}"
            for language in languages
        )

    async def state(self, vote_id: int) -> dict[str, Any]:
        """Return what the page shows, as JSON-ready data."""
        async with self.app.database.transaction() as session:
            votes = Votes(session)
            vote = await votes.get(vote_id)
            assert vote is not None
            result = await votes.tally(vote)
        show = vote.live or vote.state != OPEN
        options = []
        for option in result.ordered():
            if vote.kind == RANKING:
                label = f"{option.points} {self._t('votes.page.points')}"
                if option.average_position is not None:
                    label += f" · {option.average_position:.1f}"
            else:
                label = f"{option.votes} ({round(option.share * 100)}%)"
            options.append(
                {
                    "index": option.index,
                    "name": vote.options[option.index],
                    "share": round(option.share, 4) if show else 0,
                    "label": label if show else "",
                }
            )
        return {
            "question": vote.question,
            "code": vote.code,
            "open": vote.state == OPEN,
            "ballots": result.ballots,
            "show": show,
            "options": options,
        }

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
        body = PAGE.replace("__DATA__", script_json({"state": state, "texts": texts})).replace(
            "__LANG__", self.language
        )
        return web.Response(text=body, content_type="text/html", charset="utf-8")

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
  body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; margin: 0;
         background: #ffffff; color: #111111; }
  main { padding: 3vh 4vw; }
  h1 { font-size: 5vh; margin: 0 0 2vh; line-height: 1.2; }
  .meta { font-size: 3.2vh; color: #333333; margin-bottom: 3vh; }
  .meta b { font-size: 4.5vh; color: #111111; }
  .option { margin: 0 0 2.6vh; }
  .name { font-size: 3.6vh; margin-bottom: 0.8vh; }
  .track { background: #e6e6e6; height: 6vh; border-radius: 1vh; position: relative; }
  .bar { background: #1f5fa8; height: 100%; border-radius: 1vh; transition: width 0.4s; }
  .value { position: absolute; right: 1.5vw; top: 0; line-height: 6vh; font-size: 3.4vh;
           font-weight: bold; }
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
  const list = document.getElementById("options");
  list.replaceChildren();
  for (const option of state.options) {
    const item = document.createElement("div");
    item.className = "option";
    const name = document.createElement("div");
    name.className = "name";
    name.textContent = option.name;
    const track = document.createElement("div");
    track.className = "track";
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.dataset.index = String(option.index);
    bar.style.width = (option.share * 100).toFixed(1) + "%";
    const value = document.createElement("span");
    value.className = "value";
    value.textContent = option.label;
    track.append(bar, value);
    item.append(name, track);
    list.append(item);
  }
}
render(DATA.state);
const events = new EventSource(location.pathname + "/events" + location.search);
events.onmessage = (message) => render(JSON.parse(message.data));
</script>
</body>
</html>
"""
