"""Measure a city-wide online training: 2,000 participants press a vote's buttons in 10 seconds.

The bot runs as it would for the city: two `khoroo-bot run --webhook` processes on one
PostgreSQL database, behind a load balancer that hands Telegram's webhook requests to them
in turn. Telegram is the fake Bot API server from the tests, run here, in a process of its
own beside the bots: it delivers the updates over at most `--connections` connections at
once (Telegram's max_connections), as Telegram does, and performs the method call a webhook
may give in its answer. The database is created for the run on the server and dropped
after it (`--server`, `--prefix`), or given (`--database URL`: an empty database, to which
the run adds its users and vote).

First every participant opens the vote with its link (`/start vote_CODE`, not timed). Then
each participant presses an option once, at a random moment within `--window` seconds; some
presses (`--duplicates`) are delivered to both processes at once, as a retried webhook
would be, and must count once. Latency is from the moment Telegram has a press to the
moment the press is answered (in the webhook's answer, or by an answerCallbackQuery
request). The same presses then go to two bare aiogram webhook processes that only answer
callbacks (in their webhook answer, aiogram's own way), on the same setup.

Run: `uv run python benchmarks/city_training.py [--participants 2000] [--window 10]
[--database URL]`. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import secrets
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ and tests/

import asyncpg
from sqlalchemy.engine import make_url

from benchmarks.room import (
    FIRST_VOTER,
    OPTIONS,
    Answers,
    bare_message,
    bot_process,
    cpu_seconds,
    figures,
    machine_load,
    postgres_cpu_between,
    seed,
    stored_ballots,
)
from benchmarks.room import (
    postgres_cpu_seconds as postgres_cpu,
)
from storage.database import upgrade
from tests.fake_telegram import FakeTelegram
from tests.support.ports import free_port

SECRET = "city-training-benchmark"
WEBHOOK_PATH = "/telegram/webhook"
SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@asynccontextmanager
async def scratch_database(server: str, prefix: str) -> AsyncIterator[str]:
    """Create an empty database on the server for the run; drop it after."""
    name = f"{prefix}{os.getpid()}_{secrets.token_hex(3)}"
    admin = make_url(server)
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin.set(drivername="postgresql", database=name).render_as_string(
                hide_password=False
            )
        finally:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


class Bots:
    """Webhook processes behind a round-robin load balancer, and their pids."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.urls: list[str] = []
        self.pids: list[int] = []
        self._turn = 0

    async def start(
        self, stack: AsyncExitStack, args: list[str], environment: dict[str, str]
    ) -> None:
        """Start a webhook process and wait until it has set its webhook."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        pid = await stack.enter_async_context(
            bot_process(
                args,
                {
                    **environment,
                    "BOT_TOKEN": self.fake.token,
                    "TELEGRAM_API_URL": self.fake.base_url,
                    "WEBHOOK_URL": url,
                    "WEBHOOK_PORT": str(port),
                    "WEBHOOK_SECRET": SECRET,
                },
            )
        )
        endpoint = url + WEBHOOK_PATH
        await self.fake.wait_for(
            lambda: any(c.params.get("url") == endpoint for c in self.fake.calls("setWebhook")),
            timeout=120,
        )
        self.urls.append(endpoint)
        self.pids.append(pid)

    async def deliver(self, update: dict[str, Any], *, twice: bool = False) -> None:
        """Hand an update to the next process (to every process, when delivered twice)."""
        if twice:
            targets = self.urls
        else:
            targets = [self.urls[self._turn % len(self.urls)]]
            self._turn += 1
        statuses = await asyncio.gather(
            *(self.fake.deliver_webhook(url, update, SECRET) for url in targets)
        )
        if any(status != 200 for status, _ in statuses):
            raise RuntimeError(f"a webhook answered {statuses}")

    def cpu(self) -> float | None:
        """Return the CPU seconds the processes have used so far."""
        used = [cpu_seconds(pid) for pid in self.pids]
        return None if None in used else sum(u for u in used if u is not None)


async def press_burst(
    bots: Bots,
    messages: dict[int, Any],
    press_data: Callable[[int], str],
    window: float,
    duplicates: float,
    seed_value: int,
) -> dict[str, Any]:
    """Let every participant press once within the window; return the figures."""
    fake = bots.fake
    chance = random.Random(seed_value)
    moments = {user: chance.uniform(0, window) for user in messages}
    twice = {user for user in messages if chance.random() < duplicates}
    answers = Answers(fake)
    answers.update()
    pushed: dict[str, float] = {}
    cpu_before, telegram_before, postgres_before = bots.cpu(), time.process_time(), postgres_cpu()
    begin = time.monotonic()

    async def participant(user_id: int) -> None:
        await asyncio.sleep(max(0.0, begin + moments[user_id] - time.monotonic()))
        press = fake.user_presses(user_id, messages[user_id], press_data(user_id), check=False)
        pushed[press["callback_query"]["id"]] = time.time()
        await bots.deliver(press, twice=user_id in twice)

    await asyncio.gather(*(participant(user) for user in messages))
    complete = await answers.until(len(messages), timeout=30)
    cpu_after, telegram_after, postgres_after = bots.cpu(), time.process_time(), postgres_cpu()
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    postgres = postgres_cpu_between(postgres_before, postgres_after)
    answered_twice = [
        call
        for call in fake.rejected
        if call.method == "answerCallbackQuery" and "too old" in (call.description or "")
    ]
    return {
        **figures(pushed, answers.times),
        "all_answered": complete,
        "answered_in_webhook_response": answers.in_webhook_answers,
        "delivered_twice": len(twice),
        "answered_twice": len(answered_twice),
        "cpu_ms_per_press": None if cpu is None else round(cpu * 1000 / len(messages), 2),
        # The fake Telegram (this process), and every PostgreSQL process on the machine.
        "telegram_cpu_ms_per_press": round(
            (telegram_after - telegram_before) * 1000 / len(messages), 2
        ),
        "postgres_cpu_ms_per_press": None
        if postgres is None
        else round(postgres * 1000 / len(messages), 2),
        "rejected_by_fake": len(fake.rejected),
    }


async def bot_burst(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run two `khoroo-bot run --webhook` processes; open the vote; let everyone press."""
    await asyncio.to_thread(upgrade, url)
    code, vote_id = await seed(url, args.participants)
    voters = list(range(FIRST_VOTER, FIRST_VOTER + args.participants))
    environment = {
        "DATABASE_URL": url,
        "FLOOD_LIMIT": "10000",  # the benchmark's users press faster than people
    }
    async with FakeTelegram() as fake, AsyncExitStack() as stack:
        fake.webhook_connections = args.connections
        bots = Bots(fake)
        for number in range(args.processes):
            profile = ["-m", "cProfile", "-o", f"{args.profile}/bot{number}.prof"]
            await bots.start(
                stack,
                [*(profile if args.profile else []), "-m", "bot", "run", "--webhook"],
                {**environment, "PROJECTOR_PORT": str(free_port())},
            )
        # Everyone opens the vote by its link first (not timed), as in a training room.
        opens = [fake.user_sends(user, f"/start vote_{code}") for user in voters]
        await asyncio.gather(*(bots.deliver(update) for update in opens))
        await fake.wait_for_all(voters, fake.last_message, timeout=300)
        messages = {user: fake.last_message(user) for user in voters}

        def press_data(user_id: int) -> str:
            message = messages[user_id]
            assert message is not None
            return str(message.buttons[user_id % len(OPTIONS)][0].callback_data)

        result = await press_burst(
            bots, messages, press_data, args.window, args.duplicates, args.seed
        )
    ballots = await stored_ballots(url, vote_id)
    expected = {user: [user % len(OPTIONS)] for user in voters}
    return {
        **result,
        "ballots_in_database": len(ballots),
        "ballots_match_presses": ballots == expected,
    }


async def bare_burst(args: argparse.Namespace) -> dict[str, Any]:
    """Send the same presses to bare aiogram webhook processes that only answer them."""
    voters = range(FIRST_VOTER, FIRST_VOTER + args.participants)
    async with FakeTelegram() as fake, AsyncExitStack() as stack:
        fake.webhook_connections = args.connections
        bots = Bots(fake)
        for _ in range(args.processes):
            await bots.start(stack, [__file__, "--serve-bare-bot"], {})
        messages = {user: bare_message(user) for user in voters}
        # A bare bot keeps no record of updates: it gets every press once.
        return await press_burst(
            bots, messages, lambda user: f"vt:1:c:{user % 3}", args.window, 0.0, args.seed
        )


def serve_bare_bot() -> None:
    """Be a bare aiogram webhook bot: answer every press in the webhook's answer."""
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.methods import AnswerCallbackQuery
    from aiogram.types import CallbackQuery
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler
    from aiohttp import web

    api = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"])
    bot = Bot(os.environ["BOT_TOKEN"], session=AiohttpSession(api=api))
    dispatcher = Dispatcher()

    @dispatcher.callback_query()
    async def answer(query: CallbackQuery) -> AnswerCallbackQuery:
        return query.answer()

    async def serve() -> None:
        application = web.Application()
        handler = SimpleRequestHandler(
            dispatcher, bot, secret_token=SECRET, handle_in_background=False
        )
        handler.register(application, path=WEBHOOK_PATH)
        runner = web.AppRunner(application)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", int(os.environ["WEBHOOK_PORT"])).start()
        await bot.set_webhook(os.environ["WEBHOOK_URL"] + WEBHOOK_PATH, secret_token=SECRET)
        stopped = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
        await stopped.wait()
        await runner.cleanup()
        await bot.session.close()

    asyncio.run(serve())


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure the bot on a database of its own, then the bare bot, and compare."""
    load = machine_load()
    async with AsyncExitStack() as stack:
        url = args.database or await stack.enter_async_context(
            scratch_database(args.server, args.prefix)
        )
        ours = await bot_burst(url, args)
    bare = await bare_burst(args)
    return {
        "participants": args.participants,
        "window_seconds": args.window,
        "processes": args.processes,
        "connections": args.connections,
        "database": "postgresql",
        "machine": {"before": load, "after": machine_load()},
        **{key: ours[key] for key in ("answered", "ballots_in_database", "p50_ms", "p99_ms")},
        "goal_met": bool(
            ours["all_answered"]
            and ours["ballots_match_presses"]
            and ours["answered_twice"] == 0
            and ours["p99_ms"] < 1000
        ),
        "khoroo_bot": ours,
        "bare_aiogram": bare,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--window", type=float, default=10.0, help="seconds the presses span")
    parser.add_argument("--duplicates", type=float, default=0.02, help="share delivered twice")
    parser.add_argument("--processes", type=int, default=2, help="webhook processes")
    parser.add_argument("--connections", type=int, default=40, help="Telegram's at once")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--database", default=None, help="a PostgreSQL URL to use as it is")
    parser.add_argument("--server", default=SERVER, help="where to create a scratch database")
    parser.add_argument("--prefix", default="khoroo_city_", help="the scratch database's name")
    parser.add_argument("--profile", default=None, help="a folder for the bots' cProfile files")
    parser.add_argument("--serve-bare-bot", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_bare_bot:
        serve_bare_bot()
        return 0
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
