"""Measure how long a practice card takes to render and split into messages.

Two cards: every field at its maximum length (storage/fields.py), in Mongolian words; and
the worst case that froze the bot before splitting was linear, a 100 KB solution without a
space (a legacy row, or one stored before the limits). Each is rendered as the card message
(split into Telegram messages) and as an inline result (truncated to one message).

Run: `uv run python benchmarks/cards.py [--repeat N]`. Prints JSON (milliseconds).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from handlers import html
from handlers.i18n import Catalogue
from handlers.practice_card import Card, render_card
from storage import fields

WORDS = "хог хаягдлыг эх үүсвэр дээр нь ангилах аян "


def words(length: int) -> str:
    """Return Mongolian text of exactly this length."""
    return (WORDS * (length // len(WORDS) + 1))[:length].strip().ljust(length, "а")


def cards() -> dict[str, Card]:
    """Return the cards to measure."""
    limits = {name: limit.maximum for name, limit in fields.PRACTICE.items()}
    full = Card(
        title=words(limits["title"]),
        category="environment",
        problem=words(limits["problem"]),
        solution=words(limits["solution"]),
        results=words(limits["results"]),
        status="approved",
        khoroo=4,
        resources=words(limits["resources"]),
        partners=words(limits["partners"]),
        contact=words(limits["contact"]),
        year=2026,
    )
    no_spaces = Card(
        title=words(limits["title"]).replace(" ", ""),
        category="environment",
        problem="ж" * limits["problem"],
        solution="ж" * 100_000,
        results="ж" * limits["results"],
        status="approved",
        khoroo=4,
    )
    return {"maximum_fields": full, "solution_100kb_without_spaces": no_spaces}


def timed(work: Callable[[], Any], repeat: int) -> dict[str, float]:
    """Return the median and worst time of the work, in milliseconds."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        runs.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(runs), 2), "max_ms": round(max(runs), 2)}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each case")
    args = parser.parse_args(argv)
    catalogue = Catalogue.load()

    def t(key: str, /, **values: Any) -> html.Html:
        return catalogue.text("mn", key, **values)

    report: dict[str, Any] = {}
    for name, card in cards().items():
        text = render_card(t, "mn", card)
        parts = html.split(text)
        report[name] = {
            "html_characters": len(text),
            "messages": len(parts),
            "largest_message": max(html.visible_length(part) for part in parts),
            "render_and_split": timed(
                lambda card=card: html.split(render_card(t, "mn", card)), args.repeat
            ),
            "inline_truncate": timed(
                lambda card=card: html.truncate(render_card(t, "mn", card)), args.repeat
            ),
        }
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
