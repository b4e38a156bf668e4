"""What the vote benchmarks share: a room seeded with a vote, bot processes, answers timed.

`benchmarks/votes.py` (one process, long polling) and `benchmarks/city_training.py` (two
webhook processes on PostgreSQL) both seed a trainer, registered participants and a live
vote, run bots in processes of their own against the fake Bot API server from the tests,
and time each press from the moment Telegram has it to the moment its answerCallbackQuery
arrives (as a request, or in a webhook's answer).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the fake server lives in tests/

from sqlalchemy import select  # noqa: E402

from storage.database import Database  # noqa: E402
from storage.models import Ballot, RoleGrant, User  # noqa: E402
from storage.votes import Votes  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

TRAINER = 7001
FIRST_VOTER = 100_001
OPTIONS = ["Ногоон хороо", "Цахим хороо", "Эрүүл хороо"]


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of the values."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def cpu_seconds(pid: int) -> float | None:
    """Return the CPU time a process has used so far (Linux), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> dict[int, float]:
    """Return the CPU time of each PostgreSQL server process on this machine, by pid (Linux)."""
    used: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text.split("(", 1)[1].rsplit(")", 1)
        if name == "postgres":
            fields = rest.split()
            used[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf(
                "SC_CLK_TCK"
            )
    return used


def postgres_cpu_between(before: dict[int, float], after: dict[int, float]) -> float | None:
    """Return the CPU PostgreSQL used between two looks (processes that ended are missed)."""
    if not after:
        return None
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def machine_load() -> dict[str, Any]:
    """Return the cores and the load average, so figures can be read against them."""
    one, five, _ = os.getloadavg()
    return {"cores": os.cpu_count(), "load_1min": round(one, 2), "load_5min": round(five, 2)}


class Answers:
    """The callback answers the fake has received, read incrementally (a burst is O(n))."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.times: dict[str, float] = {}
        self.in_webhook_answers = 0
        self._seen = 0

    def update(self) -> dict[str, float]:
        """Take in the calls made since the last look; return the answer time per query."""
        calls = self.fake.calls
        for call in calls[self._seen :]:
            if call.method == "answerCallbackQuery" and call.ok:
                query = call.params["callback_query_id"]
                if query not in self.times:
                    self.times[query] = call.time
                    self.in_webhook_answers += call.via_webhook
        self._seen = len(calls)
        return self.times

    async def until(self, count: int, timeout: float = 300) -> bool:  # noqa: ASYNC109
        """Wait until this many callbacks have been answered; tell whether they were."""
        try:
            await self.fake.wait_for(lambda: len(self.update()) >= count, timeout=timeout)
        except AssertionError:
            return False
        return True


def figures(pushed: dict[str, float], answered: dict[str, float]) -> dict[str, Any]:
    """Return throughput and latency of a burst of presses."""
    times = {query: answered[query] for query in pushed if query in answered}
    latencies = [(times[query] - pushed[query]) * 1000 for query in times]
    if not latencies:
        return {"presses": len(pushed), "answered": 0}
    span = max(times.values()) - min(pushed.values())
    return {
        "presses": len(pushed),
        "answered": len(times),
        "seconds": round(span, 3),
        "ballots_per_second": round(len(times) / span, 1),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
    }


@asynccontextmanager
async def bot_process(args: list[str], environment: dict[str, str]) -> AsyncIterator[int]:
    """Run a bot in a process of its own; yield its pid; stop it with SIGTERM after."""
    with tempfile.TemporaryFile() as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *args, cwd=ROOT, env={**os.environ, **environment}, stderr=errors
        )
        try:
            yield process.pid
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code = await process.wait()
            errors.seek(0)
            failures = [line for line in errors.read().splitlines() if b'"level": "ERROR"' in line]
    if code != 0 or failures:
        raise RuntimeError(f"the bot process failed (exit {code}): {failures[:3]}")


async def seed(url: str, participants: int) -> tuple[str, int]:
    """Register the trainer and the participants and open a live vote; return its code and id."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            for user_id in [TRAINER, *range(FIRST_VOTER, FIRST_VOTER + participants)]:
                session.add(
                    User(
                        id=user_id, first_name=f"User{user_id}", position="officer", registered=True
                    )
                )
            await session.flush()
            session.add(RoleGrant(user_id=TRAINER, role="trainer"))
            vote = await Votes(session).create(
                owner_id=TRAINER,
                question="Аль туршлагыг нутагшуулах вэ?",
                options=OPTIONS,
                kind="single",
                named=False,
                live=True,
            )
            return vote.code, vote.id
    finally:
        await database.dispose()


async def stored_ballots(url: str, vote_id: int) -> dict[int, list[int]]:
    """Return every voter's ballot as the database holds it."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            rows = await session.execute(
                select(Ballot.voter_id, Ballot.choices).where(Ballot.vote_id == vote_id)
            )
            return {voter: list(choices) for voter, choices in rows}
    finally:
        await database.dispose()


def bare_message(user_id: int) -> dict[str, Any]:
    """Return a message with a button for a bare bot's participant to press (no database)."""
    return {"message_id": 1, "date": 0, "chat": {"id": user_id, "type": "private"}, "text": "?"}
