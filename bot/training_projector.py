"""The training's projector page: the open question's word cloud, refreshed every few seconds.

``GET /trainings/<code>?key=<secret>`` serves the page; it polls
``GET /trainings/<code>/cloud?key=<secret>`` for the cloud as JSON (the latest question,
the number of visible answers, and each group's shown form, count and size 1-5). Without
the training's key both answer 403, whether or not the code exists.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.app import App
from handlers.html import plain
from knowledge.wordcloud import cloud
from storage.models import Training
from storage.trainings import OPEN, Trainings

POLL_MS = 2000  # how often the page asks again: a room of typing people, not a ticker
WORDS_SHOWN = 40


class TrainingPages:
    """Serve the projector pages of the app's trainings."""

    def __init__(
        self,
        app: App,
        language: str,
        forbidden: Callable[[], str],
        script_json: Callable[[Any], str],
    ) -> None:
        self.app = app
        self.language = language
        self.forbidden = forbidden  # the vote pages' refusal: one text for every page
        self.script_json = script_json  # the one escaper of data inside a script element

    def add_routes(self, application: web.Application) -> None:
        """Add the page and its data to an aiohttp application."""
        application.router.add_get("/trainings/{code}", self._page)
        application.router.add_get("/trainings/{code}/cloud", self._cloud)

    async def _training(self, request: web.Request) -> Training:
        code = request.match_info["code"].upper()
        key = request.query.get("key", "")
        async with self.app.database.transaction() as session:
            training = await Trainings(session).by_code(code)
        # The same answer for a wrong key and an unknown code: the page reveals nothing.
        if training is None or not secrets.compare_digest(key.encode(), training.secret.encode()):
            raise web.HTTPForbidden(text=self.forbidden(), content_type="text/plain")
        return training

    async def state(self, training_id: int) -> dict[str, Any]:
        """Return what the page shows, as JSON-ready data."""
        async with self.app.database.transaction() as session:
            trainings = Trainings(session)
            training = await trainings.get(training_id)
            assert training is not None
            question = await trainings.latest_question(training)
            answers = (
                [a.text for a, _ in await trainings.answers(question, with_hidden=False)]
                if question is not None
                else []
            )
        return {
            "title": training.title,
            "code": training.code,
            "question": question.text if question is not None else "",
            "open": question is not None and question.state == OPEN,
            "answers": len(answers),
            "words": [
                {"text": w.text, "count": w.count, "size": w.size}
                for w in cloud(answers, WORDS_SHOWN)
            ],
        }

    def _t(self, key: str) -> str:
        return plain(self.app.services.catalogue.text(self.language, key))

    async def _page(self, request: web.Request) -> web.Response:
        training = await self._training(request)
        texts = {
            name: self._t(f"trainings.page.{name}")
            for name in ("answers", "join", "waiting", "empty")
        }
        data = {"state": await self.state(training.id), "texts": texts, "poll": POLL_MS}
        body = PAGE.replace("__DATA__", self.script_json(data)).replace("__LANG__", self.language)
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    async def _cloud(self, request: web.Request) -> web.Response:
        training = await self._training(request)
        return web.json_response(
            await self.state(training.id), headers={"Cache-Control": "no-cache"}
        )


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
  #cloud { display: flex; flex-wrap: wrap; align-items: baseline; gap: 1vh 3vw; }
  .word { line-height: 1.1; }
  .s1 { font-size: 3.5vh; color: #6a1b9a; } .s2 { font-size: 5vh; color: #2e7d32; }
  .s3 { font-size: 7vh; color: #ef6c00; } .s4 { font-size: 9vh; color: #b0413e; }
  .s5 { font-size: 12vh; color: #1f5fa8; font-weight: bold; }
  .notice { font-size: 3.6vh; color: #555555; }
</style>
</head>
<body>
<main>
  <h1 id="question"></h1>
  <div class="meta"><span id="join-label"></span>: <b id="code"></b> &nbsp;·&nbsp;
    <span id="answers-label"></span>: <b id="count">0</b></div>
  <div id="cloud"></div>
  <div id="notice" class="notice"></div>
</main>
<script>
const DATA = __DATA__;
const texts = DATA.texts;
function render(state) {
  document.getElementById("question").textContent = state.question || state.title;
  document.getElementById("code").textContent = state.code;
  document.getElementById("count").textContent = String(state.answers);
  document.getElementById("join-label").textContent = texts.join;
  document.getElementById("answers-label").textContent = texts.answers;
  const notice = document.getElementById("notice");
  notice.textContent = !state.question ? texts.waiting : (state.words.length ? "" : texts.empty);
  const list = document.getElementById("cloud");
  list.replaceChildren();
  for (const word of state.words) {
    const item = document.createElement("span");
    item.className = "word s" + String(word.size);
    item.dataset.count = String(word.count);
    item.textContent = word.text;
    list.append(item);
  }
}
render(DATA.state);
async function refresh() {
  try {
    const address = location.pathname + "/cloud" + location.search;
    const response = await fetch(address, {cache: "no-store"});
    if (response.ok) render(await response.json());
  } catch (error) { /* the next poll tries again */ }
  setTimeout(refresh, DATA.poll);
}
setTimeout(refresh, DATA.poll);
</script>
</body>
</html>
"""
