"""The announcement sender: works through the outbox of deliveries under Telegram's limits.

Pacing. All senders of the bot share one clock of send slots (the ``send_budget`` row):
before sending a batch a sender reserves as many consecutive slots, 1/rate apart, in a short
transaction, and sends each delivery at its slot. Two sender processes therefore interleave
their slots and keep the configured overall rate together. Within a process each chat is
also paced (one message a second to a user, one every three seconds, i.e. 20 a minute, to
a group); a delivery whose chat is not ready yet is put back for the moment it is.

Failures. 429: the delivery is put back for retry_after and the shared clock is pushed past
it, so every sender pauses. 403: the user is marked blocked and the delivery unreachable.
400 chat not found: invalid. 5xx, network errors, timeouts: retried with doubling pauses up
to the configured number of attempts, then failed. Any other refusal (e.g. bad HTML) fails
at once: sending it again would fail again.

Durability. A delivery is claimed (state "sending", held for a lease) in its own transaction
before it is sent, and recorded as sent in another right after Telegram answers. A crash
between the two leaves it claimed; when the lease ends, a sender sends it again. So delivery
is at least once: only the few messages in flight at the moment of a crash (at most
``in_flight``) can arrive twice; nothing is lost and nothing recorded as sent is resent.

Interactive answers never wait behind a broadcast: the sender is its own task with its own
database transactions (it never takes a user's lock), its rate stays below Telegram's 30 a
second so replies keep headroom, and a 429 pauses only the sender's own deliveries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.contest_notices import contest_notices
from bot.settings import Settings
from bot.transport import Failure, Transport
from handlers.html import truncate
from handlers.i18n import Catalogue
from handlers.messages import (
    EditText,
    Reply,
    SendDocument,
    SendPhoto,
    SendText,
    keyboard_from_json,
)
from storage.announcements import (
    FAILED,
    INVALID,
    UNREACHABLE,
    Announcements,
    Claimed,
    Outbox,
)
from storage.database import Database
from storage.models import Announcement, User, utcnow
from storage.users import Users

log = logging.getLogger(__name__)

PRIVATE_INTERVAL = timedelta(seconds=1)  # Telegram: about one message a second to a chat
GROUP_INTERVAL = timedelta(seconds=3)  # ... and 20 a minute to a group
MAX_BACKOFF = 600.0


def _default(name: str) -> Any:
    # One place for every default: the settings' own.
    return Settings.model_fields[name].default


# Each field of the sender's config and the setting it comes from.
_SETTING = {
    "rate": "sender_rate",
    "batch": "sender_batch",
    "in_flight": "sender_in_flight",
    "attempts": "sender_attempts",
    "backoff": "sender_backoff",
    "lease": "sender_lease",
    "idle": "sender_idle",
    "progress": "sender_progress",
    "contest_check": "contest_check",
    "reminder_days": "reminder_days",
}


@dataclass(frozen=True)
class SenderConfig:
    """How fast and how persistently the sender works (defaults: the settings' defaults)."""

    rate: float = _default("sender_rate")
    batch: int = _default("sender_batch")
    in_flight: int = _default("sender_in_flight")
    attempts: int = _default("sender_attempts")
    backoff: float = _default("sender_backoff")
    lease: float = _default("sender_lease")
    idle: float = _default("sender_idle")
    progress: float = _default("sender_progress")
    contest_check: float = _default("contest_check")
    reminder_days: tuple[int, ...] = _default("reminder_days")

    @classmethod
    def from_settings(cls, settings: Settings) -> SenderConfig:
        """Take the sender's settings."""
        return cls(**{field: getattr(settings, name) for field, name in _SETTING.items()})


@dataclass(frozen=True)
class Content:
    """What an announcement sends: HTML per language and an optional file."""

    text: str
    text_en: str | None
    media_kind: str | None
    media_file_id: str | None
    buttons: dict[str, Any] | None = None  # per language, as keyboard_to_json stored them

    def reply(self, language: str) -> Reply:
        """Build the message one recipient gets."""
        english = language == "en" and bool(self.text_en)
        text = self.text_en if english and self.text_en else self.text
        if self.media_kind == "photo" and self.media_file_id:
            return SendPhoto(self.media_file_id, caption=text)
        if self.media_kind == "document" and self.media_file_id:
            return SendDocument(self.media_file_id, caption=text)
        buttons = (self.buttons or {}).get("en" if english else "mn")
        return SendText(text, keyboard_from_json(buttons))


@dataclass
class Stats:
    """What this sender did (for logs, tests and the benchmark)."""

    sent: int = 0
    retried: int = 0
    unreachable: int = 0
    invalid: int = 0
    failed: int = 0
    rate_limited: int = 0
    by_chat: dict[int, int] = field(default_factory=dict)


class Sender:
    """The outbox worker: start due announcements, send their deliveries, report progress."""

    def __init__(
        self,
        database: Database,
        catalogue: Catalogue,
        config: SenderConfig | None = None,
        *,
        now: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.database = database
        self.catalogue = catalogue
        self.config = config or SenderConfig()
        self.now = now
        self.sleep = sleep
        self.stats = Stats()
        self.interval = timedelta(seconds=1 / self.config.rate)
        self._limit = asyncio.Semaphore(self.config.in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._contents: dict[int, Content] = {}
        self._chat_ready: dict[int, datetime] = {}
        self._paused_until: datetime | None = None
        self._progress_at: dict[int, datetime] = {}
        self._shown: dict[int, str] = {}  # the progress text last shown, per announcement
        self._contest_at: datetime | None = None
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the outbox now instead of after the idle pause (e.g. after scheduling)."""
        self._wake.set()

    # -- the loops --------------------------------------------------------------------------

    async def run(self, transport: Transport) -> None:
        """Work until cancelled (a runtime's background worker, or `khoroo-bot sender`)."""
        try:
            while True:
                try:
                    worked = await self.step(transport)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("the sender's step failed; trying again shortly")
                    worked = False
                if not worked:
                    await self._rest()
        finally:
            await self._cancel_tasks()

    async def run_until_idle(self, transport: Transport) -> None:
        """Work until nothing is due or in flight (tests and the benchmark)."""
        try:
            while True:
                if await self.step(transport):
                    continue
                await self._drain()
                async with self.database.transaction() as session:
                    outbox = Outbox(session)
                    live, due = await outbox.live(), await outbox.next_due()
                if not live:
                    await self.report(transport)
                    return
                if due is not None:
                    await self._wait_until(due)
        finally:
            await self._cancel_tasks()

    async def step(self, transport: Transport) -> bool:
        """Do one round: notices, due announcements, one batch; tell whether any work was done."""
        now = self.now()
        if self._contest_at is None or now >= self._contest_at:
            self._contest_at = now + timedelta(seconds=self.config.contest_check)
            async with self.database.transaction() as session:
                await contest_notices(session, self.catalogue, now, self.config.reminder_days)
        async with self.database.transaction() as session:
            started = await Announcements(session).start_due(now)
        for announcement in started:
            log.info(
                "announcement %s started: %s recipients", announcement.id, announcement.recipients
            )
        await self.report(transport)
        async with self.database.transaction() as session:
            batch = await Outbox(session).claim(
                now, self.config.batch, timedelta(seconds=self.config.lease)
            )
        if not batch:
            return bool(started)
        await self._send_batch(transport, batch)
        return True

    async def _rest(self) -> None:
        sleeper = asyncio.ensure_future(self.sleep(self.config.idle))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                task.cancel()
            self._wake.clear()

    async def _wait_until(self, moment: datetime) -> None:
        delay = (moment - self.now()).total_seconds()
        if delay > 0:
            await self.sleep(delay)

    async def _drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _cancel_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        self._tasks.clear()

    # -- sending ----------------------------------------------------------------------------

    async def _send_batch(self, transport: Transport, batch: list[Claimed]) -> None:
        # Chats not ready (paced) go back right away, so they take no slot.
        ready: list[Claimed] = []
        later: list[tuple[Claimed, datetime]] = []
        now = self.now()
        in_batch: set[int] = set()
        for claimed in batch:
            at = self._chat_ready.get(claimed.chat_id)
            if claimed.chat_id in in_batch:  # two announcements to one chat: one at a time
                later.append((claimed, now + _interval(claimed.chat_id)))
            elif at is not None and at > now:
                later.append((claimed, at))
            else:
                ready.append(claimed)
                in_batch.add(claimed.chat_id)
        if later:
            async with self.database.transaction() as session:
                outbox = Outbox(session)
                for claimed, at in later:
                    await outbox.retry(claimed.id, at, "paced", counts=False)
        if not ready:
            return
        async with self.database.transaction() as session:
            first = await Outbox(session).reserve(now, len(ready), self.interval)
        dispatched = 0
        try:
            for claimed in ready:
                await self._dispatch(transport, claimed, first + self.interval * dispatched)
                dispatched += 1
        except asyncio.CancelledError:
            # Stopping: what was claimed but not sent yet is free for the next sender at once.
            await asyncio.shield(self._release(ready[dispatched:]))
            raise
        self._forget_ready_chats()

    async def _release(self, claims: list[Claimed]) -> None:
        if claims:
            async with self.database.transaction() as session:
                outbox = Outbox(session)
                for claimed in claims:
                    await outbox.retry(claimed.id, self.now(), "released", counts=False)

    async def _dispatch(self, transport: Transport, claimed: Claimed, slot: datetime) -> None:
        """Send one delivery at its slot (or after a 429 pause) as a task of its own."""
        content = await self._content(claimed.announcement_id)
        await self._limit.acquire()
        try:
            # Waited for a free place in flight first: a 429 answered meanwhile counts too.
            while True:
                if self._paused_until is not None and self._paused_until > slot:
                    slot = self._paused_until
                await self._wait_until(slot)
                if self._paused_until is None or self._paused_until <= self.now():
                    break
        except BaseException:
            self._limit.release()
            raise
        self._chat_ready[claimed.chat_id] = self.now() + _interval(claimed.chat_id)
        task = asyncio.create_task(self._deliver(transport, claimed, content))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _forget_ready_chats(self) -> None:
        if len(self._chat_ready) > 10_000:
            now = self.now()
            self._chat_ready = {c: at for c, at in self._chat_ready.items() if at > now}

    async def _deliver(self, transport: Transport, claimed: Claimed, content: Content) -> None:
        try:
            try:
                await transport.send(content.reply(claimed.language), claimed.chat_id)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                await self._failed(transport, claimed, error)
                return
            self.stats.sent += 1
            self.stats.by_chat[claimed.chat_id] = self.stats.by_chat.get(claimed.chat_id, 0) + 1
            async with self.database.transaction() as session:
                await Outbox(session).sent(claimed.id, self.now())
        except asyncio.CancelledError:
            raise
        except Exception:
            # The claim's lease will bring the delivery back: at least once, never lost.
            log.exception("recording delivery %s failed", claimed.id)
        finally:
            self._limit.release()

    async def _failed(self, transport: Transport, claimed: Claimed, error: Exception) -> None:
        failure, retry_after = transport.classify(error)
        now = self.now()
        description = str(error) or type(error).__name__
        async with self.database.transaction() as session:
            outbox = Outbox(session)
            if failure is Failure.RETRY_AFTER:
                self.stats.rate_limited += 1
                until = now + timedelta(seconds=max(retry_after, 1.0))
                self._paused_until = max(self._paused_until or until, until)
                await outbox.pause(until)
                await outbox.retry(claimed.id, until, description, counts=False)
            elif failure is Failure.UNREACHABLE:
                self.stats.unreachable += 1
                await Users(session).mark_blocked(claimed.chat_id)
                await outbox.final(claimed.id, UNREACHABLE, description)
            elif failure is Failure.INVALID:
                self.stats.invalid += 1
                await outbox.final(claimed.id, INVALID, description)
            elif failure is Failure.TEMPORARY and claimed.attempts + 1 < self.config.attempts:
                self.stats.retried += 1
                pause = min(self.config.backoff * 2**claimed.attempts, MAX_BACKOFF)
                await outbox.retry(claimed.id, now + timedelta(seconds=pause), description)
            else:
                self.stats.failed += 1
                log.warning("delivery %s failed: %s", claimed.id, description)
                await outbox.final(claimed.id, FAILED, description)

    async def _content(self, announcement_id: int) -> Content:
        content = self._contents.get(announcement_id)
        if content is None:
            async with self.database.transaction() as session:
                announcement = await Announcements(session).get(announcement_id)
            assert announcement is not None
            content = Content(
                announcement.text,
                announcement.text_en,
                announcement.media_kind,
                announcement.media_file_id,
                announcement.buttons,
            )
            self._contents[announcement_id] = content
        return content

    # -- progress ---------------------------------------------------------------------------

    async def report(self, transport: Transport) -> None:
        """Edit the admins' progress messages (at most every few seconds); sum up finished ones."""
        now = self.now()
        edits: list[tuple[int, Reply]] = []
        async with self.database.transaction() as session:
            announcements = Announcements(session)
            for announcement in await announcements.finish_done(now):
                self._contents.pop(announcement.id, None)
                self._progress_at.pop(announcement.id, None)
                self._shown.pop(announcement.id, None)
                if announcement.progress_chat_id is None:
                    continue
                language = await self._language(session, announcement)
                counts = await announcements.counts(announcement.id)
                summary = self.catalogue.text(
                    language, "announce.summary", id=announcement.id, **_figures(counts)
                )
                edits += self._edits(announcement, summary)
                edits.append((announcement.progress_chat_id, SendText(summary)))
            for announcement in await announcements.sending():
                if announcement.progress_chat_id is None:
                    continue
                last = self._progress_at.get(announcement.id)
                if last is not None and (now - last).total_seconds() < self.config.progress:
                    continue
                self._progress_at[announcement.id] = now
                language = await self._language(session, announcement)
                counts = await announcements.counts(announcement.id)
                figures = _figures(counts)
                text = self.catalogue.text(
                    language,
                    "announce.progress",
                    id=announcement.id,
                    eta=self._eta(language, figures["left"]),
                    **figures,
                )
                edits += self._edits(announcement, text)
        for chat_id, reply in edits:
            await self._notify(transport, reply, chat_id)

    def _edits(self, announcement: Announcement, text: str) -> list[tuple[int, Reply]]:
        if announcement.progress_chat_id is None or announcement.progress_message_id is None:
            return []
        if self._shown.get(announcement.id) == text:
            return []  # Telegram refuses an edit that changes nothing
        self._shown[announcement.id] = text
        edit = EditText(int(announcement.progress_message_id), truncate(text))
        return [(int(announcement.progress_chat_id), edit)]

    async def _notify(self, transport: Transport, reply: Reply, chat_id: int) -> None:
        try:
            await transport.send(reply, chat_id)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            failure, _ = transport.classify(error)
            if failure is not Failure.NOT_MODIFIED:  # the admin will see the next one
                log.warning("progress message to %s failed: %s", chat_id, error)

    async def _language(self, session: Any, announcement: Announcement) -> str:
        author = await session.get(User, announcement.author_id) if announcement.author_id else None
        return author.language if author is not None else self.catalogue.default

    def _eta(self, language: str, left: int) -> str:
        seconds = int(left / self.config.rate + 0.999)
        if seconds < 60:
            return self.catalogue.text(language, "announce.eta_seconds", n=seconds)
        return self.catalogue.text(language, "announce.eta_minutes", n=-(-seconds // 60))


def _interval(chat_id: int) -> timedelta:
    return GROUP_INTERVAL if chat_id < 0 else PRIVATE_INTERVAL


def _figures(counts: Any) -> dict[str, int]:
    total = sum(counts.values())
    return {
        "total": total,
        "sent": counts.get("sent", 0),
        "failed": counts.get("failed", 0) + counts.get("invalid", 0),
        "unreachable": counts.get("unreachable", 0),
        "cancelled": counts.get("cancelled", 0),
        "left": counts.get("pending", 0) + counts.get("sending", 0),
    }
