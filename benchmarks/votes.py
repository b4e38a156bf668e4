"""Measure a room voting at once: N participants tap an option through the aiogram runtime.

The bot runs as in production (aiogram long polling, the dispatcher, the database, the live
results worker) against the fake Bot API server from the tests. Every participant first
opens the vote (not timed); then all press an option at once. Latency is from the moment a
press is queued on the fake server to the moment the fake receives its answerCallbackQuery.
The same burst is then sent to a bare aiogram bot that only answers callbacks, run the same
way against the same fake server: the ratio says how close the bot is to aiogram's ceiling.

Run: `uv run python benchmarks/votes.py [--participants 500] [--database-url URL]`.
Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parents[1]))  # the fake server lives in tests/

from bot.settings import Settings
from storage.database import upgrade
from storage.models import Ballot, User
from storage.votes import Votes
from tests.fake_telegram import FakeTelegram
from tests.runtime.harness import live_bot

TRAINER = 7001
FIRST_VOTER = 100_001


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of the values."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def figures(fake: FakeTelegram, pushed: dict[str, float]) -> dict[str, Any]:
    """Return throughput and latency of the answered presses."""
    answered = {
        call.params["callback_query_id"]: call.time
        for call in fake.calls("answerCallbackQuery")
        if call.ok and call.params["callback_query_id"] in pushed
    }
    latencies = [(answered[query] - pushed[query]) * 1000 for query in answered]
    span = max(answered.values()) - min(pushed.values())
    return {
        "presses": len(pushed),
        "answered": len(answered),
        "seconds": round(span, 3),
        "ballots_per_second": round(len(answered) / span, 1),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
    }


async def bot_burst(settings: Settings, participants: int) -> dict[str, Any]:
    """Run the real bot and let every participant vote at once."""
    async with FakeTelegram() as fake, live_bot("aiogram", settings, fake) as live:
        voters = range(FIRST_VOTER, FIRST_VOTER + participants)
        async with live.app.database.transaction() as session:
            for user_id in [TRAINER, *voters]:
                session.add(
                    User(
                        id=user_id,
                        first_name=f"User{user_id}",
                        role="trainer" if user_id == TRAINER else "officer",
                        registered=True,
                    )
                )
            await session.flush()
            vote = await Votes(session).create(
                owner_id=TRAINER,
                question="Аль туршлагыг нутагшуулах вэ?",
                options=["Ногоон хороо", "Цахим хороо", "Эрүүл хороо"],
                kind="single",
                named=False,
                live=True,
            )
        joins = [fake.user_sends(user_id, f"/start vote_{vote.code}") for user_id in voters]
        await fake.wait_for(lambda: all(live.done[u["update_id"]] for u in joins), timeout=300)
        pushed: dict[str, float] = {}
        presses = []
        for user_id in voters:
            ballot = fake.last_message(user_id)
            assert ballot is not None
            data = ballot.buttons[user_id % 3][0].callback_data
            press = fake.user_presses(user_id, ballot, data)
            pushed[press["callback_query"]["id"]] = time.time()
            presses.append(press)
        await fake.wait_for(lambda: all(live.done[p["update_id"]] for p in presses), timeout=300)
        result = figures(fake, pushed)
        async with live.app.database.transaction() as session:
            result["ballots_in_database"] = await session.scalar(
                select(func.count()).select_from(Ballot)
            )
        result["rejected_by_fake"] = len(fake.rejected)
        return result


async def bare_burst(participants: int) -> dict[str, Any]:
    """Send the same burst to an aiogram bot that only answers the callbacks."""
    from aiogram import Bot, Dispatcher, Router
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import CallbackQuery

    async with FakeTelegram() as fake:
        bot = Bot(
            fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
        )
        dispatcher = Dispatcher()
        router = Router()
        done: set[str] = set()

        @router.callback_query()
        async def answer(query: CallbackQuery) -> None:
            await query.answer()
            done.add(query.id)
            fake.notify()

        dispatcher.include_router(router)
        polling = asyncio.create_task(
            dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False)
        )
        await fake.wait_for(lambda: fake.polls_waiting > 0, timeout=30)
        pushed: dict[str, float] = {}
        for user_id in range(FIRST_VOTER, FIRST_VOTER + participants):
            message = {
                "message_id": 1,
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "text": "?",
                "reply_markup": {"inline_keyboard": [[{"text": "1", "callback_data": "vt:1:c:0"}]]},
            }
            press = fake.user_presses(user_id, message, "vt:1:c:0", check=False)
            pushed[press["callback_query"]["id"]] = time.time()
        await fake.wait_for(lambda: len(done) >= participants, timeout=300)
        await dispatcher.stop_polling()
        await asyncio.gather(polling, return_exceptions=True)
        await bot.session.close()
        result = figures(fake, pushed)
        result["rejected_by_fake"] = len(fake.rejected)
        return result


async def run(participants: int, database_url: str | None) -> dict[str, Any]:
    """Measure the bot, then the bare bot, and compare."""
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{folder}/votes.db"
        await asyncio.to_thread(upgrade, url)
        settings = Settings(
            _env_file=None,
            database_url=url,
            bot_token=SecretStr("123456:TEST-TOKEN"),
            flood_limit=10_000,
        )
        ours = await bot_burst(settings, participants)
    bare = await bare_burst(participants)
    return {
        "participants": participants,
        "database": url.split(":", 1)[0] if database_url else "sqlite (temporary file)",
        "khoroo_bot": ours,
        "bare_aiogram": bare,
        "ratio": {
            "throughput": round(ours["ballots_per_second"] / bare["ballots_per_second"], 3),
            "p50": round(ours["p50_ms"] / bare["p50_ms"], 2),
            "p99": round(ours["p99_ms"] / bare["p99_ms"], 2),
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(asyncio.run(run(args.participants, args.database_url)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
