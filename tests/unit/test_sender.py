"""The announcement sender against the fake Bot API server, on a virtual clock.

Sleeping advances the virtual clock at once, and the fake server's rate limiter reads the
same clock, so pacing, retry_after and backoff are exercised without waiting for them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.runtimes import telegram_runtime
from bot.runtimes.telegram import TelegramRuntime
from bot.sender import Sender, SenderConfig
from bot.settings import Settings
from bot.transport import Failure
from handlers.messages import Reply, SendText
from storage.announcements import Announcements
from storage.models import Announcement, Delivery, User
from tests.conftest import POSTGRES_URL
from tests.fake_telegram import FakeTelegram
from tests.runtime.harness import settings_for

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ADMIN = 900
FIRST_USER = 5000


class VirtualClock:
    """Time that moves only when someone sleeps."""

    def __init__(self, start: datetime = START) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment

    def monotonic(self) -> float:
        return self.moment.timestamp()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)  # let the sends just started begin at the time they were due
        self.moment += timedelta(seconds=max(seconds, 0))
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


class Watched:
    """The real aiogram runtime as transport, noting the virtual time of each send."""

    def __init__(self, runtime: TelegramRuntime, clock: VirtualClock) -> None:
        self.runtime = runtime
        self.clock = clock
        self.times: list[tuple[int, float]] = []

    async def send(self, reply: Reply, chat_id: int) -> None:
        self.times.append((chat_id, self.clock.monotonic()))
        await self.runtime.send(reply, chat_id)

    def classify(self, error: Exception) -> tuple[Failure, float]:
        return self.runtime.classify(error)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
async def fake(clock: VirtualClock) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(clock=clock.monotonic) as server:
        yield server
        assert server.rejected == [], server.rejected


@pytest.fixture
async def bot_app(settings: Settings, fake: FakeTelegram) -> AsyncIterator[App]:
    application = await build_app(settings_for(settings, fake), migrate=False)
    yield application
    await application.close()


@pytest.fixture
async def transport(bot_app: App, clock: VirtualClock) -> AsyncIterator[Watched]:
    runtime = aiogram_runtime(bot_app)
    yield Watched(runtime, clock)
    await runtime.stop()


def aiogram_runtime(app: App) -> TelegramRuntime:
    """The aiogram runtime, not started: the sender only sends with it."""
    settings = app.settings
    return telegram_runtime(
        "aiogram", app.hooks(), settings.token(), api_url=settings.telegram_api_url
    )


def make_sender(app: App, clock: VirtualClock, **config: Any) -> Sender:
    config.setdefault("contest_check", 3600)
    return Sender(
        app.database,
        app.services.catalogue,
        SenderConfig(**config),
        now=clock.now,
        sleep=clock.sleep,
    )


async def add_users(app: App, count: int, first: int = FIRST_USER, **fields: Any) -> list[int]:
    """Add registered, subscribed users (or with the given fields)."""
    ids = list(range(first, first + count))
    async with app.database.transaction() as session:
        for user_id in ids:
            values = {"registered": True, "language": "mn", **fields}
            session.add(User(id=user_id, first_name=f"U{user_id}", **values))
    return ids


async def announce(
    app: App,
    clock: VirtualClock,
    text: str = "<b>Мэдэгдэл</b>: уралдаан эхэллээ",
    audience: dict[str, Any] | None = None,
    **fields: Any,
) -> int:
    async with app.database.transaction() as session:
        announcement = Announcement(
            text=text,
            audience=audience or {"kind": "all"},
            scheduled_at=clock.now(),
            **fields,
        )
        session.add(announcement)
        await session.flush()
        return announcement.id


async def deliveries(app: App, announcement_id: int | None = None) -> list[Delivery]:
    async with app.database.transaction() as session:
        query = select(Delivery).order_by(Delivery.id)
        if announcement_id is not None:
            query = query.where(Delivery.announcement_id == announcement_id)
        return list((await session.scalars(query)).all())


def received(fake: FakeTelegram, chat_ids: list[int]) -> Counter[int]:
    """Count the messages each chat got."""
    return Counter({chat: len(fake.sent_messages(chat)) for chat in chat_ids})


async def test_every_subscriber_gets_it_once_and_the_admin_sees_progress(
    bot_app, fake, clock, transport
):
    users = await add_users(bot_app, 12)
    quiet = await add_users(bot_app, 1, first=7000, subscribed=False)
    blocked = await add_users(bot_app, 1, first=7100, blocked=True)
    unregistered = await add_users(bot_app, 1, first=7200, registered=False)
    await add_users(bot_app, 1, first=ADMIN, language="en")
    await transport.send(SendText("Preview"), ADMIN)
    progress = fake.last_message(ADMIN)
    assert progress is not None
    announcement_id = await announce(
        bot_app,
        clock,
        author_id=ADMIN,
        progress_chat_id=ADMIN,
        progress_message_id=progress.message_id,
        audience={"kind": "roles", "roles": ["officer", "trainer", "other", None]},
    )
    async with bot_app.database.transaction() as session:
        for user in await session.scalars(select(User)):
            user.position = "officer"

    sender = make_sender(bot_app, clock, rate=10, progress=0.5)
    await sender.run_until_idle(transport)

    assert received(fake, users) == Counter(dict.fromkeys(users, 1))
    assert received(fake, quiet + blocked + unregistered) == Counter()
    message = fake.last_message(users[0])
    assert message is not None and message.raw_text == "<b>Мэдэгдэл</b>: уралдаан эхэллээ"
    # The admin's message was edited as it went, and a summary followed.
    edited = fake.message(ADMIN, progress.message_id)
    assert edited is not None and "has been sent" in edited["text"]
    summary = fake.last_message(ADMIN)
    assert summary is not None and "Delivered: 13 / 13" in (summary.text or "")
    async with bot_app.database.transaction() as session:
        state = (await session.get(Announcement, announcement_id)).state  # type: ignore[union-attr]
    assert state == "done"
    assert {d.state for d in await deliveries(bot_app)} == {"sent"}


async def test_a_scheduled_announcement_waits_for_its_time(bot_app, fake, clock, transport):
    users = await add_users(bot_app, 3)
    async with bot_app.database.transaction() as session:
        session.add(
            Announcement(
                text="Маргааш",
                audience={"kind": "all"},
                scheduled_at=clock.now() + timedelta(hours=1),
            )
        )
    sender = make_sender(bot_app, clock)
    await sender.run_until_idle(transport)
    assert received(fake, users) == Counter()
    clock.advance(3600)
    await sender.run_until_idle(transport)
    assert received(fake, users) == Counter(dict.fromkeys(users, 1))


async def test_429_pauses_for_retry_after_then_sends_again(bot_app, fake, clock, transport):
    users = await add_users(bot_app, 5)
    await announce(bot_app, clock)
    fake.fail_next("sendMessage", 429, retry_after=7, chat_id=users[2])
    began = clock.monotonic()

    sender = make_sender(bot_app, clock, rate=100, in_flight=1)
    await sender.run_until_idle(transport)

    assert received(fake, users) == Counter(dict.fromkeys(users, 1))
    assert sender.stats.rate_limited == 1
    refused_at = next(t for chat, t in transport.times if chat == users[2])
    retried_at = [t for chat, t in transport.times if chat == users[2]][1]
    assert retried_at - refused_at >= 7
    # Every send after the 429 waited for it too: the whole sender paused.
    later = [t for chat, t in transport.times if t > refused_at]
    assert all(t - refused_at >= 7 for t in later)
    assert clock.monotonic() - began >= 7


async def test_403_marks_the_user_unreachable_and_skips_them_next_time(
    bot_app, fake, clock, transport
):
    users = await add_users(bot_app, 4)
    fake.forbid_chats([users[1]])
    await announce(bot_app, clock)
    sender = make_sender(bot_app, clock)
    await sender.run_until_idle(transport)

    states = {d.chat_id: d.state for d in await deliveries(bot_app)}
    assert states[users[1]] == "unreachable"
    assert [states[u] for u in users if u != users[1]] == ["sent"] * 3
    async with bot_app.database.transaction() as session:
        assert (await session.get(User, users[1])).blocked  # type: ignore[union-attr]

    second = await announce(bot_app, clock, text="Дараагийн")
    await sender.run_until_idle(transport)
    assert {d.chat_id for d in await deliveries(bot_app, second)} == set(users) - {users[1]}


async def test_400_chat_not_found_is_invalid(bot_app, fake, clock, transport):
    users = await add_users(bot_app, 3)
    fake.fail_next("sendMessage", 400, "Bad Request: chat not found", chat_id=users[0])
    await announce(bot_app, clock)
    sender = make_sender(bot_app, clock)
    await sender.run_until_idle(transport)
    states = {d.chat_id: (d.state, d.attempts) for d in await deliveries(bot_app)}
    assert states[users[0]] == ("invalid", 1)
    assert sender.stats.invalid == 1
    assert received(fake, users) == Counter({users[1]: 1, users[2]: 1})


async def test_5xx_is_retried_with_backoff_then_failed(bot_app, fake, clock, transport):
    users = await add_users(bot_app, 3)
    fake.fail_next("sendMessage", 500, times=2, chat_id=users[0])  # then it works
    fake.fail_next("sendMessage", 502, times=10, chat_id=users[1])  # never works
    await announce(bot_app, clock)
    sender = make_sender(bot_app, clock, attempts=3, backoff=10)
    await sender.run_until_idle(transport)

    states = {d.chat_id: (d.state, d.attempts) for d in await deliveries(bot_app)}
    assert states[users[0]] == ("sent", 3)
    assert states[users[1]][0] == "failed" and states[users[1]][1] == 3
    assert states[users[2]] == ("sent", 1)
    tries = [t for chat, t in transport.times if chat == users[1]]
    assert tries[1] - tries[0] >= 10 and tries[2] - tries[1] >= 20  # doubling pauses


async def test_a_group_gets_at_most_one_message_every_three_seconds(
    bot_app, fake, clock, transport
):
    group, user = -1001234567890, FIRST_USER
    await add_users(bot_app, 1)
    ids = [await announce(bot_app, clock, text=f"№{n}", audience={"kind": "all"}) for n in range(4)]
    async with bot_app.database.transaction() as session:
        for announcement_id in ids:
            # Groups are not users, so their deliveries are written directly.
            session.add(
                Delivery(announcement_id=announcement_id, chat_id=group, next_attempt_at=START)
            )
    sender = make_sender(bot_app, clock, rate=100)
    await sender.run_until_idle(transport)

    to_group = [t for chat, t in transport.times if chat == group]
    to_user = [t for chat, t in transport.times if chat == user]
    assert len(to_group) == 4 and len(to_user) == 4
    assert all(b - a >= 3 for a, b in itertools.pairwise(to_group))
    assert all(b - a >= 1 for a, b in itertools.pairwise(to_user))


async def test_the_overall_rate_stays_under_the_servers_limit(bot_app, fake, clock, transport):
    users = await add_users(bot_app, 90)
    fake.rate_limit(per_second=30)
    await announce(bot_app, clock)
    began = clock.monotonic()
    sender = make_sender(bot_app, clock, rate=25)
    await sender.run_until_idle(transport)
    assert fake.faulted == []
    assert received(fake, users) == Counter(dict.fromkeys(users, 1))
    assert clock.monotonic() - began >= 90 / 25 - 1


async def test_too_fast_a_sender_is_slowed_by_429s_and_loses_nothing(
    bot_app, fake, clock, transport
):
    users = await add_users(bot_app, 80)
    fake.rate_limit(per_second=30)
    await announce(bot_app, clock)
    sender = make_sender(bot_app, clock, rate=60)
    await sender.run_until_idle(transport)
    assert fake.faulted, "the fake should have refused some sends"
    assert sender.stats.rate_limited == len(fake.faulted)
    assert received(fake, users) == Counter(dict.fromkeys(users, 1))


async def test_a_photo_announcement_goes_out_as_a_photo_with_its_caption(
    bot_app, fake, clock, transport
):
    users = await add_users(bot_app, 2)
    photo = fake.register_file(b"\x89PNG\r\n\x1a\n", kind="photo")
    await announce(bot_app, clock, text="Зурагтай", media_kind="photo", media_file_id=photo)
    await make_sender(bot_app, clock).run_until_idle(transport)
    for user in users:
        message = fake.last_message(user)
        assert message is not None and message.kind == "photo" and message.text == "Зурагтай"


async def test_a_killed_sender_is_resumed_by_a_new_one_and_nobody_gets_it_twice(
    bot_app, fake, clock, transport
):
    users = await add_users(bot_app, 40)
    await announce(bot_app, clock)
    first = make_sender(bot_app, clock, rate=50, in_flight=1, lease=60)
    task = asyncio.create_task(first.run(transport))
    await fake.wait_for(lambda: len(fake.calls("sendMessage")) >= 15)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    before = sum(received(fake, users).values())
    assert before < len(users)

    # A new process: the one delivery the killed sender held comes back when its lease ends.
    clock.advance(61)
    second = make_sender(bot_app, clock, rate=50, in_flight=1, lease=60)
    await second.run_until_idle(transport)

    counts = received(fake, users)
    assert set(counts) == set(users) and all(n >= 1 for n in counts.values())
    assert sum(counts.values()) - len(users) <= 1  # at most the one in flight, twice
    assert {d.state for d in await deliveries(bot_app)} == {"sent"}


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
async def test_two_senders_share_one_outbox_on_postgresql(bot_app, fake, transport):
    users = await add_users(bot_app, 120)
    async with bot_app.database.transaction() as session:
        session.add(Announcement(text="Хоёр илгээгч", audience={"kind": "all"}))
    second_app = await build_app(bot_app.settings, migrate=False)
    second_runtime = aiogram_runtime(second_app)
    try:
        config = SenderConfig(rate=400, batch=10, in_flight=4, contest_check=3600)
        one = Sender(bot_app.database, bot_app.services.catalogue, config)
        two = Sender(second_app.database, second_app.services.catalogue, config)
        # Start it first: a sender that looks while the other is still expanding the
        # audience finds nothing live and stops, which would make the race the test.
        async with bot_app.database.transaction() as session:
            await Announcements(session).start_due(one.now())
        async with second_app.database.transaction() as session:
            await session.execute(select(1))  # connected, as a running process would be
        await asyncio.gather(
            one.run_until_idle(transport.runtime), two.run_until_idle(second_runtime)
        )
    finally:
        await second_runtime.stop()
        await second_app.close()
    assert received(fake, users) == Counter(dict.fromkeys(users, 1))
    assert one.stats.sent > 0 and two.stats.sent > 0
    assert one.stats.sent + two.stats.sent == len(users)
