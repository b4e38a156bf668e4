"""What the projector pages share: the key check, safe data in a script, a vote's bars.

A vote's page (bot/projector.py) and a training's page (bot/training_projector.py) both
guard themselves with a secret key, embed their first data in a script element, and draw a
vote's options as bars, hidden while the vote keeps its results to itself.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.html import plain
from handlers.i18n import LANGUAGES, Catalogue
from knowledge.tally import RANKING
from storage.models import VoteSession
from storage.votes import OPEN, Votes

# Inside a script element, "<!--" and "<script" change how the HTML parser finds its end,
# and "</script" ends it: with <, > and & escaped no markup can appear. U+2028 and U+2029
# end a line in older JavaScript. JSON reads every escape back as the same character.
_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


class Keyed(Protocol):
    """Anything a page shows under a secret key (a vote, a training)."""

    secret: str


K = TypeVar("K", bound=Keyed)


def script_json(value: Any) -> str:
    """Return value as JSON that is safe inside an HTML script element."""
    return json.dumps(value, ensure_ascii=False).translate(_SCRIPT_ESCAPES)


def forbidden(catalogue: Catalogue, language: str) -> str:
    """Say in every language of the bot, the default first, that the page needs its link."""
    languages = sorted(LANGUAGES, key=lambda other: other != language)
    return "\n".join(
        f"403: {plain(catalogue.text(other, 'votes.page.forbidden'))}" for other in languages
    )


def unlock(found: K | None, key: str, refusal: str) -> K:
    """Return what was found if the key is its secret; else refuse with one answer for all."""
    # The same answer for a wrong key and an unknown code: the page reveals nothing.
    if found is None or not secrets.compare_digest(key.encode(), found.secret.encode()):
        raise web.HTTPForbidden(text=refusal, content_type="text/plain")
    return found


def render(page: str, language: str, data: Any) -> web.Response:
    """Fill a page's template with its language, shared parts and first data."""
    body = (
        page.replace("__STYLE__", STYLE)
        .replace("__BARS__", BARS)
        .replace("__LANG__", language)
        .replace("__DATA__", script_json(data))
    )
    return web.Response(text=body, content_type="text/html", charset="utf-8")


async def vote_state(session: AsyncSession, vote: VoteSession, t: Callable[[str], str]) -> dict:
    """Return a vote's bars as JSON-ready data: shares and labels only when results show."""
    result = await Votes(session).tally(vote)
    show = vote.live or vote.state != OPEN
    options = []
    # Hidden results keep the asked order: a ranking's order alone would tell the leader.
    for option in result.ordered() if show else result.options:
        if vote.kind == RANKING:
            label = f"{option.points} {t('votes.page.points')}"
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


STYLE = """
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
"""

# Draws a vote's options as bars; every text goes in by textContent, never as markup.
BARS = """
function renderBars(list, options) {
  list.replaceChildren();
  for (const option of options) {
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
"""
