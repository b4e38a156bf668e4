"""Measure a room voting at once: N participants tap an option through the aiogram runtime.

The bot runs as in production, in a process of its own: `khoroo-bot run` (aiogram long
polling, the dispatcher, the database, the live results and the other workers) against the
fake Bot API server from the tests, which runs here, as Telegram runs on machines of its
own. Every participant first opens the vote (not timed); then the whole room presses an
option at once, in several rounds (each round changes everyone's mind, so every press
replaces a ballot). Latency is from the moment a press is queued on the fake server to the
moment the fake receives its answerCallbackQuery.

The same rounds are then sent to a bare aiogram bot that only answers callbacks, run the
same way (its own process, the same fake server): the ratio says how close the bot is to
aiogram's own ceiling. The figures are the median round's; `cpu_ms_per_press` is the bot
process's CPU time over all rounds, which machine noise disturbs less than wall time.

Run: `uv run python benchmarks/votes.py [--participants 500] [--rounds 3] [--database-url URL]`.
Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ and tests/

from benchmarks.room import (
    FIRST_VOTER,
    Answers,
    bare_message,
    bot_process,
    cpu_seconds,
    figures,
    seed,
    stored_ballots,
)
from storage.database import upgrade
from tests.fake_telegram import FakeTelegram
from tests.support.ports import free_port


async def rounds(
    fake: FakeTelegram,
    pid: int,
    messages: dict[int, Any],
    press_data: Callable[[int, int], str],
    count: int,
) -> tuple[list[dict[str, Any]], float | None]:
    """Press once per participant per round; return each round's figures and the CPU time."""
    answers = Answers(fake)
    results = []
    cpu_before = cpu_seconds(pid)
    for number in range(count):
        pushed: dict[str, float] = {}
        for user_id, message in messages.items():  # the whole room at once
            press = fake.user_presses(user_id, message, press_data(user_id, number), check=False)
            pushed[press["callback_query"]["id"]] = time.time()
        await answers.until((number + 1) * len(messages))
        results.append(figures(pushed, answers.times))
    cpu_after = cpu_seconds(pid)
    presses = count * len(messages)
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return results, None if cpu is None else round(cpu * 1000 / presses, 2)


def median_round(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the round of median duration, with every round's duration beside it."""
    ordered = sorted(results, key=lambda r: r["seconds"])
    return {**ordered[len(ordered) // 2], "rounds_seconds": [r["seconds"] for r in results]}


async def bot_burst(url: str, participants: int, count: int) -> dict[str, Any]:
    """Run `khoroo-bot run` and let every participant vote at once, round after round."""
    code, vote_id = await seed(url, participants)
    voters = range(FIRST_VOTER, FIRST_VOTER + participants)
    async with FakeTelegram() as fake:
        environment = {
            "BOT_TOKEN": fake.token,
            "TELEGRAM_API_URL": fake.base_url,
            "DATABASE_URL": url,
            "PROJECTOR_PORT": str(free_port()),
            "FLOOD_LIMIT": "10000",  # the benchmark's users press faster than people
        }
        async with bot_process(["-m", "bot", "run"], environment) as pid:
            await fake.wait_for(lambda: fake.polls_waiting > 0, timeout=60)
            for user_id in voters:
                fake.user_sends(user_id, f"/start vote_{code}")
            await fake.wait_for_all(list(voters), fake.last_message, timeout=300)
            messages = {user_id: fake.last_message(user_id) for user_id in voters}

            def press_data(user_id: int, number: int) -> str:  # a different option each round
                return str(messages[user_id].buttons[(user_id + number) % 3][0].callback_data)

            results, cpu = await rounds(fake, pid, messages, press_data, count)
        rejected = len(fake.rejected)
    ballots = await stored_ballots(url, vote_id)
    last = count - 1
    expected = {user_id: [(user_id + last) % 3] for user_id in voters}
    return {
        **median_round(results),
        "cpu_ms_per_press": cpu,
        "ballots_in_database": len(ballots),
        "database_matches_last_presses": ballots == expected,
        "rejected_by_fake": rejected,
    }


async def bare_burst(participants: int, count: int) -> dict[str, Any]:
    """Send the same rounds to an aiogram bot that only answers the callbacks."""
    async with FakeTelegram() as fake:
        environment = {"BOT_TOKEN": fake.token, "TELEGRAM_API_URL": fake.base_url}
        async with bot_process([__file__, "--serve-bare-bot"], environment) as pid:
            await fake.wait_for(lambda: fake.polls_waiting > 0, timeout=60)
            messages = {
                user_id: bare_message(user_id)
                for user_id in range(FIRST_VOTER, FIRST_VOTER + participants)
            }
            results, cpu = await rounds(fake, pid, messages, lambda u, n: f"vt:1:c:{n}", count)
        return {
            **median_round(results),
            "cpu_ms_per_press": cpu,
            "rejected_by_fake": len(fake.rejected),
        }


def serve_bare_bot() -> None:
    """Be the bare bot: answer every callback query, nothing else (SIGTERM stops it)."""
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import CallbackQuery

    api = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"])
    bot = Bot(os.environ["BOT_TOKEN"], session=AiohttpSession(api=api))
    dispatcher = Dispatcher()

    @dispatcher.callback_query()
    async def answer(query: CallbackQuery) -> None:
        await query.answer()

    asyncio.run(dispatcher.start_polling(bot))


async def run(participants: int, count: int, database_url: str | None) -> dict[str, Any]:
    """Measure the bot, then the bare bot, and compare."""
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{folder}/votes.db"
        await asyncio.to_thread(upgrade, url)
        ours = await bot_burst(url, participants, count)
    bare = await bare_burst(participants, count)
    return {
        "participants": participants,
        "rounds": count,
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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--serve-bare-bot", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_bare_bot:
        serve_bare_bot()
        return 0
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(run(args.participants, args.rounds, args.database_url))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
