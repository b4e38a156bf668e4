"""The training's projector page: the word cloud, the room's top questions and the vote, live.

``GET /trainings/<code>?key=<secret>`` serves the page; it polls
``GET /trainings/<code>/cloud?key=<secret>`` for its data as JSON: the latest question, the
number of visible answers and each word group's shown form, count and size 1-5; the room's
top questions (pinned first, then most upvoted; hidden ones never); and the training's
newest vote, whose bars stay empty while its results are hidden (only the number of
answers shows). Without the training's key both answer 403, whether or not the code exists.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot import pages
from bot.app import App
from handlers.html import plain
from knowledge.wordcloud import cloud
from storage.models import Training
from storage.room_questions import RoomQuestions
from storage.trainings import CLOSED, OPEN, Trainings

POLL_MS = 2000  # how often the page asks again: a room of typing people, not a ticker
WORDS_SHOWN = 40
QUESTIONS_SHOWN = 6  # the top of the room's questions: readable from the back row


class TrainingPages:
    """Serve the projector pages of the app's trainings."""

    def __init__(self, app: App, language: str) -> None:
        self.app = app
        self.language = language

    def add_routes(self, application: web.Application) -> None:
        """Add the page and its data to an aiohttp application."""
        application.router.add_get("/trainings/{code}", self._page)
        application.router.add_get("/trainings/{code}/cloud", self._cloud)

    async def _training(self, request: web.Request) -> Training:
        code = request.match_info["code"].upper()
        async with self.app.database.transaction() as session:
            training = await Trainings(session).by_code(code)
        refusal = pages.forbidden(self.app.services.catalogue, self.language)
        return pages.unlock(training, request.query.get("key", ""), refusal)

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
            ranked = await RoomQuestions(session).ranked(training.id, limit=QUESTIONS_SHOWN)
            votes = await trainings.votes(training, 1)
            vote = await pages.vote_state(session, votes[0], self._t) if votes else None
        return {
            "title": training.title,
            "code": training.code,
            "ended": training.state == CLOSED,
            "question": question.text if question is not None else "",
            "open": question is not None and question.state == OPEN,
            "answers": len(answers),
            "words": [
                {"text": w.text, "count": w.count, "size": w.size}
                for w in cloud(answers, WORDS_SHOWN)
            ],
            "questions": [
                {
                    "text": item.question.text,
                    "votes": item.votes,
                    "answered": item.question.answered,
                    "pinned": item.question.pinned,
                    "author": item.author.first_name if item.question.named else "",
                }
                for item in ranked
            ],
            "vote": vote,
        }

    def _t(self, key: str) -> str:
        return plain(self.app.services.catalogue.text(self.language, key))

    async def _page(self, request: web.Request) -> web.Response:
        training = await self._training(request)
        texts = {
            name: self._t(f"trainings.page.{name}")
            for name in (
                "answers",
                "join",
                "waiting",
                "empty",
                "questions",
                "no_questions",
                "votes",
                "hidden",
                "vote_code",
                "ended",
            )
        }
        data = {"state": await self.state(training.id), "texts": texts, "poll": POLL_MS}
        return pages.render(PAGE, self.language, data)

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
__STYLE__
  #cloud { display: flex; flex-wrap: wrap; align-items: baseline; gap: 1vh 3vw; }
  .word { line-height: 1.1; }
  .s1 { font-size: 3.5vh; color: #6a1b9a; } .s2 { font-size: 5vh; color: #2e7d32; }
  .s3 { font-size: 7vh; color: #ef6c00; } .s4 { font-size: 9vh; color: #b0413e; }
  .s5 { font-size: 12vh; color: #1f5fa8; font-weight: bold; }
  .notice { font-size: 3.6vh; color: #555555; }
  .columns { display: flex; gap: 4vw; margin-top: 4vh; }
  .columns > section { flex: 1; }
  h2 { font-size: 4vh; margin: 0 0 2vh; }
  #questions { list-style: none; padding: 0; margin: 0; }
  #questions li { font-size: 3.4vh; margin: 0 0 1.6vh; }
  #questions .votes { font-weight: bold; color: #1f5fa8; margin-right: 1vw; }
  #questions .author { color: #555555; font-size: 2.8vh; }
  #questions .answered { color: #777777; text-decoration: line-through; }
</style>
</head>
<body>
<main>
  <h1 id="question"></h1>
  <div class="meta"><span id="join-label"></span>: <b id="code"></b> &nbsp;·&nbsp;
    <span id="answers-label"></span>: <b id="count">0</b></div>
  <div id="cloud"></div>
  <div id="notice" class="notice"></div>
  <div class="columns">
    <section><h2 id="questions-label"></h2><ol id="questions"></ol>
      <div id="no-questions" class="notice"></div></section>
    <section id="vote" hidden><h2 id="vote-question"></h2>
      <div class="meta"><span id="votes-label"></span>: <b id="ballots">0</b>
        <span id="vote-join"> &nbsp;·&nbsp; <span id="vote-code-label"></span>:
        <b id="vote-code"></b></span></div>
      <div id="vote-hidden" class="notice"></div><div id="options"></div></section>
  </div>
</main>
<script>
const DATA = __DATA__;
__BARS__
const texts = DATA.texts;
function text(id, value) { document.getElementById(id).textContent = value; }
function render(state) {
  text("question", state.question || state.title);
  text("code", state.code);
  text("count", String(state.answers));
  text("join-label", texts.join);
  text("answers-label", texts.answers);
  const waiting = !state.question ? texts.waiting : (state.words.length ? "" : texts.empty);
  text("notice", state.ended ? texts.ended : waiting);
  const list = document.getElementById("cloud");
  list.replaceChildren();
  for (const word of state.words) {
    const item = document.createElement("span");
    item.className = "word s" + String(word.size);
    item.dataset.count = String(word.count);
    item.textContent = word.text;
    list.append(item);
  }
  text("questions-label", texts.questions);
  text("no-questions", state.questions.length ? "" : texts.no_questions);
  const questions = document.getElementById("questions");
  questions.replaceChildren();
  for (const asked of state.questions) {
    const item = document.createElement("li");
    const votes = document.createElement("span");
    votes.className = "votes";
    votes.textContent = (asked.pinned ? "📌 " : "") + "👍 " + String(asked.votes);
    const body = document.createElement("span");
    body.className = "text" + (asked.answered ? " answered" : "");
    body.textContent = asked.text;
    item.append(votes, body);
    if (asked.author) {
      const by = document.createElement("span");
      by.className = "author";
      by.textContent = " · " + asked.author;
      item.append(by);
    }
    questions.append(item);
  }
  const vote = state.vote;
  document.getElementById("vote").hidden = !vote;
  if (vote) {
    text("vote-question", vote.question);
    text("votes-label", texts.votes);
    text("ballots", String(vote.ballots));
    // An open vote's code: the room joins it at once, before the bot's offer reaches all.
    document.getElementById("vote-join").hidden = !vote.open;
    text("vote-code-label", texts.vote_code);
    text("vote-code", vote.code);
    text("vote-hidden", vote.show ? "" : texts.hidden);
    renderBars(document.getElementById("options"), vote.options);
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
