"""Broadcast benchmark: one announcement to many subscribers through the fake Bot API server.

The fake server enforces a global limit (429 with retry_after when exceeded) and answers 403
for a share of the recipients. Prints JSON: the achieved rate over the configured one, lost
deliveries, duplicates, and whether every 403 was marked.

    uv run python benchmarks/broadcast.py                      # 10,000 at 25/s: ~7 minutes
    uv run python benchmarks/broadcast.py --recipients 2000 --rate 250   # quick: limit 300/s
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import build_app  # noqa: E402
from bot.runtimes import telegram_runtime  # noqa: E402
from bot.sender import Sender, SenderConfig  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.models import Announcement, Delivery, User  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

FIRST_USER = 1_000_000


async def run(args: argparse.Namespace) -> dict[str, object]:
    """Send one announcement to every subscriber and check the outcome."""
    limit = args.limit or args.rate * 30 / 25  # the fake's limit: Telegram's 30 for our 25
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{folder}/broadcast.db"
        async with FakeTelegram() as fake:
            settings = Settings(
                _env_file=None,
                database_url=url,
                bot_token=fake.token,
                telegram_api_url=fake.base_url,
            )
            app = await build_app(settings)
            users = list(range(FIRST_USER, FIRST_USER + args.recipients))
            forbidden = set(random.Random(7).sample(users, int(len(users) * args.forbidden)))
            async with app.database.transaction() as session:
                await session.execute(
                    insert(User),
                    [
                        {"id": u, "first_name": "U", "registered": True, "language": "mn"}
                        for u in users
                    ],
                )
                session.add(
                    Announcement(text="<b>Мэдэгдэл</b>: уралдаан", audience={"kind": "all"})
                )
            fake.rate_limit(per_second=limit)
            fake.forbid_chats(forbidden)
            runtime = telegram_runtime(
                "aiogram", app.hooks(), settings.token(), api_url=settings.telegram_api_url
            )
            config = SenderConfig(
                rate=args.rate, batch=args.batch, in_flight=args.in_flight, contest_check=3600
            )
            sender = Sender(app.database, app.services.catalogue, config)
            began = time.monotonic()
            try:
                await sender.run_until_idle(runtime)
            finally:
                await runtime.stop()
            wall = time.monotonic() - began

            calls = [c for c in fake.calls("sendMessage") if c.status != 429]
            span = calls[-1].time - calls[0].time if len(calls) > 1 else 0.0
            # n calls at a steady rate r span (n - 1) / r seconds.
            achieved = (len(calls) - 1) / span if span else 0.0
            received = Counter(m.chat_id for m in fake.sent_messages())
            async with app.database.transaction() as session:
                states = Counter(
                    dict(
                        (
                            await session.execute(
                                select(Delivery.state, func.count()).group_by(Delivery.state)
                            )
                        ).all()
                    )
                )
                marked = set(
                    (await session.scalars(select(User.id).where(User.blocked.is_(True)))).all()
                )
            await app.close()
        reachable = [u for u in users if u not in forbidden]
        return {
            "recipients": args.recipients,
            "configured_rate": args.rate,
            "fake_limit_per_second": limit,
            "achieved_rate": round(achieved, 2),
            "achieved_over_configured": round(achieved / args.rate, 3),
            "lost_deliveries": sum(1 for u in reachable if received[u] == 0),
            "duplicates": sum(n - 1 for n in received.values() if n > 1),
            "forbidden": len(forbidden),
            "forbidden_marked": len(forbidden & marked) == len(forbidden)
            and states["unreachable"] == len(forbidden),
            "rate_limited_429": sender.stats.rate_limited,
            "delivery_states": dict(states),
            "wall_seconds": round(wall, 1),
        }


def main() -> None:
    """Parse the options, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=25.0, help="the sender's configured rate")
    parser.add_argument("--limit", type=float, default=None, help="the fake's limit per second")
    parser.add_argument("--forbidden", type=float, default=0.02, help="share answered 403")
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--database", default=None, help="a database URL (default: temp SQLite)")
    print(json.dumps(asyncio.run(run(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
