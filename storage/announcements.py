"""Announcements, who receives them, and the outbox of deliveries the sender works through.

An announcement is scheduled, then started: starting it writes one delivery per recipient
(the outbox) in the same transaction that moves it to "sending", so a crash can never leave
it half expanded. Senders claim deliveries in small batches, each claim in its own short
transaction; on PostgreSQL the claim skips rows another sender has locked, so two senders
share one outbox without taking the same row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Announcement, Delivery, Practice, RoleGrant, SendBudget, User
from storage.users import KHOROO_STAFF, POSITIONS

# Audience kinds, in the order an admin is offered them.
AUDIENCES = ("all", "districts", "khoroos", "roles", "not_submitted")
# Granted roles an announcement may target (admins by configuration are not in the
# database, so "admin" would miss some: it is not offered).
TARGETED_ROLES = ("trainer", "reviewer", "juror")
# Delivery states: live ones are claimed, the others are final.
PENDING, SENDING = "pending", "sending"
SENT, FAILED, UNREACHABLE, INVALID, CANCELLED = (
    "sent",
    "failed",
    "unreachable",
    "invalid",
    "cancelled",
)
# Announcement states.
SCHEDULED, DONE = "scheduled", "done"
BUDGET_ROW = 1


def submitted_khoroo(year: int | None) -> Any:
    """Return the condition "the user's khoroo has a practice submitted in the contest year".

    A khoroo has submitted when one of its practices is past the draft this year, whatever
    happened to it after (returned, approved, rejected all count as submitted).
    """
    conditions = [
        Practice.district_id == User.district_id,
        Practice.khoroo_number == User.khoroo_number,
        Practice.status != "draft",
    ]
    if year is not None:
        conditions.append(Practice.year == year)
    return exists().where(*conditions)


def audience_filter(audience: dict[str, Any]) -> Any:
    """Return the condition on users that an audience describes."""
    kind = audience.get("kind", "all")
    if kind == "districts":
        return User.district_id.in_([int(i) for i in audience.get("ids", [])])
    if kind == "khoroos":
        pairs = [
            and_(User.district_id == int(d), User.khoroo_number == int(n))
            for d, n in audience.get("khoroos", [])
        ]
        return or_(*pairs) if pairs else false()
    if kind == "roles":
        # Positions say what officers do; roles are what admins granted. Either may be named.
        chosen = list(audience.get("roles", []))
        positions = [p for p in chosen if p in POSITIONS]
        roles = [r for r in chosen if r in TARGETED_ROLES]
        return or_(
            User.position.in_(positions) if positions else false(),
            exists().where(RoleGrant.user_id == User.id, RoleGrant.role.in_(roles))
            if roles
            else false(),
        )
    if kind == "not_submitted":
        return and_(
            User.position.in_(KHOROO_STAFF),
            User.district_id.is_not(None),
            User.khoroo_number.is_not(None),
            ~submitted_khoroo(audience.get("year")),
        )
    if kind == "users":  # a notice to named users (jurors, authors): not offered to admins
        return User.id.in_([int(i) for i in audience.get("ids", [])])
    if kind == "officers":  # khoroo officers of the districts named (the contest's khoroos)
        return and_(
            User.position.in_(KHOROO_STAFF),
            User.khoroo_number.is_not(None),
            User.district_id.in_([int(i) for i in audience.get("districts", [])]),
        )
    return true()  # everyone


def recipients(audience: dict[str, Any]) -> Select[int, str]:
    """Select (chat id, language) of the registered, subscribed, reachable users targeted."""
    # Notices to named users are about their own duties and practices: they reach everyone
    # named, as notices about a user's own practices do, whether subscribed or not.
    personal = audience.get("kind") == "users"
    return (
        select(User.id, User.language)
        .where(
            User.registered.is_(True),
            true() if personal else User.subscribed.is_(True),
            User.blocked.is_(False),
            audience_filter(audience),
        )
        .order_by(User.id)
    )


@dataclass(frozen=True)
class Claimed:
    """A delivery claimed by one sender: what to send where."""

    id: int
    announcement_id: int
    chat_id: int
    language: str
    attempts: int


class Announcements:
    """Repository of announcements; it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_recipients(self, audience: dict[str, Any]) -> int:
        """Count the users an audience reaches now."""
        query = select(func.count()).select_from(recipients(audience).order_by(None).subquery())
        return int(await self.session.scalar(query) or 0)

    async def add(self, announcement: Announcement) -> Announcement:
        """Save a new announcement."""
        self.session.add(announcement)
        await self.session.flush()
        return announcement

    async def get(self, announcement_id: int) -> Announcement | None:
        """Return one announcement."""
        return await self.session.get(Announcement, announcement_id)

    async def to_users(
        self,
        kind: str,
        texts: dict[str, str],
        user_ids: Sequence[int],
        now: datetime,
        *,
        buttons: dict[str, Any] | None = None,
        author_id: int | None = None,
    ) -> Announcement | None:
        """Put one message to these users in the outbox, started, so the sender paces it.

        ``texts`` and ``buttons`` are per language ("mn" is required); blocked users are
        left out. Return None when nobody is left.
        """
        reachable = (
            await self.session.execute(
                select(User.id, User.language)
                .where(User.id.in_(list(user_ids)), User.blocked.is_(False))
                .order_by(User.id)
            )
        ).all()
        if not reachable:
            return None
        announcement = Announcement(
            kind=kind,
            text=texts["mn"],
            text_en=texts.get("en"),
            buttons=buttons,
            audience={"kind": "users", "count": len(reachable)},
            scheduled_at=now,
            state=SENDING,  # started already: the audience is written out below, not expanded
            started_at=now,
            recipients=len(reachable),
            author_id=author_id,
        )
        await self.add(announcement)
        await self.session.execute(
            insert(Delivery),
            [
                {
                    "announcement_id": announcement.id,
                    "chat_id": user_id,
                    "language": language,
                    "state": PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                }
                for user_id, language in reachable
            ],
        )
        return announcement

    async def scheduled(self) -> Sequence[Announcement]:
        """Return the announcements waiting for their time or being sent, soonest first."""
        result = await self.session.scalars(
            select(Announcement)
            .where(Announcement.state.in_((SCHEDULED, SENDING)))
            .order_by(Announcement.scheduled_at, Announcement.id)
        )
        return result.all()

    async def cancel(self, announcement_id: int, now: datetime) -> Announcement | None:
        """Cancel a scheduled or sending announcement; its unsent deliveries are dropped."""
        result = await self.session.execute(
            update(Announcement)
            .where(
                Announcement.id == announcement_id,
                Announcement.state.in_((SCHEDULED, SENDING)),
            )
            .values(state=CANCELLED, finished_at=now)
        )
        if not getattr(result, "rowcount", 0):
            return None
        await self.session.execute(
            update(Delivery)
            .where(Delivery.announcement_id == announcement_id, Delivery.state == PENDING)
            .values(state=CANCELLED, next_attempt_at=None)
        )
        announcement = await self.get(announcement_id)
        if announcement is not None:
            await self.session.refresh(announcement)
        return announcement

    async def start_due(self, now: datetime) -> list[Announcement]:
        """Start the announcements whose time has come: write their deliveries (the outbox)."""
        due = await self.session.scalars(
            select(Announcement.id)
            .where(Announcement.state == SCHEDULED, Announcement.scheduled_at <= now)
            .order_by(Announcement.scheduled_at, Announcement.id)
            .with_for_update(skip_locked=True)
        )
        started = []
        for announcement_id in due.all():
            # The state check makes the start happen once, whoever gets here first.
            result = await self.session.execute(
                update(Announcement)
                .where(Announcement.id == announcement_id, Announcement.state == SCHEDULED)
                .values(state=SENDING, started_at=now)
            )
            if not getattr(result, "rowcount", 0):
                continue
            announcement = await self.get(announcement_id)
            assert announcement is not None
            await self.session.refresh(announcement)
            chosen = recipients(announcement.audience).order_by(None).subquery()
            await self.session.execute(
                insert(Delivery).from_select(
                    [
                        "announcement_id",
                        "chat_id",
                        "language",
                        "state",
                        "attempts",
                        "next_attempt_at",
                    ],
                    select(
                        literal(announcement_id),
                        chosen.c.id,
                        chosen.c.language,
                        literal(PENDING),
                        literal(0),
                        literal(now, Delivery.next_attempt_at.type),
                    ),
                )
            )
            announcement.recipients = int(
                await self.session.scalar(
                    select(func.count()).where(Delivery.announcement_id == announcement_id)
                )
                or 0
            )
            started.append(announcement)
        return started

    async def counts(self, announcement_id: int) -> Counter[str]:
        """Count an announcement's deliveries by state."""
        rows = await self.session.execute(
            select(Delivery.state, func.count())
            .where(Delivery.announcement_id == announcement_id)
            .group_by(Delivery.state)
        )
        return Counter({state: int(n) for state, n in rows.all()})

    async def sending(self) -> Sequence[Announcement]:
        """Return the announcements being sent."""
        result = await self.session.scalars(
            select(Announcement).where(Announcement.state == SENDING).order_by(Announcement.id)
        )
        return result.all()

    async def finish_done(self, now: datetime) -> list[Announcement]:
        """Mark sending announcements with no live delivery done; return those this call did."""
        live = select(Delivery.id).where(
            Delivery.announcement_id == Announcement.id, Delivery.state.in_((PENDING, SENDING))
        )
        candidates = await self.session.scalars(
            select(Announcement.id).where(Announcement.state == SENDING, ~live.exists())
        )
        finished = []
        for announcement_id in candidates.all():
            result = await self.session.execute(
                update(Announcement)
                .where(Announcement.id == announcement_id, Announcement.state == SENDING)
                .values(state=DONE, finished_at=now)
            )
            if getattr(result, "rowcount", 0):
                announcement = await self.get(announcement_id)
                assert announcement is not None
                await self.session.refresh(announcement)
                finished.append(announcement)
        return finished


class Outbox:
    """The deliveries and the shared send budget, as the sender sees them; it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
        """Claim up to `limit` due deliveries until now + lease (expired claims come back)."""
        rows = await self.session.execute(
            select(
                Delivery.id,
                Delivery.announcement_id,
                Delivery.chat_id,
                Delivery.language,
                Delivery.attempts,
            )
            .where(Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = [Claimed(*row) for row in rows.all()]
        if claimed:
            await self.session.execute(
                update(Delivery)
                .where(Delivery.id.in_([c.id for c in claimed]))
                .values(state=SENDING, next_attempt_at=now + lease)
            )
        return claimed

    async def sent(self, delivery_id: int, now: datetime) -> None:
        """Record a delivery Telegram accepted."""
        await self.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(
                state=SENT,
                sent_at=now,
                attempts=Delivery.attempts + 1,
                next_attempt_at=None,
                error=None,
            )
        )

    async def retry(
        self, delivery_id: int, at: datetime, error: str, *, counts: bool = True
    ) -> None:
        """Put a delivery back to be sent again at the given time."""
        await self.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(
                state=PENDING,
                next_attempt_at=at,
                error=error[:500],
                attempts=Delivery.attempts + (1 if counts else 0),
            )
        )

    async def final(self, delivery_id: int, state: str, error: str | None) -> None:
        """Record a delivery that will not be sent again (failed, unreachable, invalid)."""
        await self.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(
                state=state,
                next_attempt_at=None,
                error=error[:500] if error else None,
                attempts=Delivery.attempts + 1,
            )
        )

    async def live(self) -> int:
        """Count the deliveries still to be sent (pending or claimed)."""
        return int(
            await self.session.scalar(
                select(func.count()).where(Delivery.state.in_((PENDING, SENDING)))
            )
            or 0
        )

    async def next_due(self) -> datetime | None:
        """Return when the earliest live delivery may be claimed."""
        return await self.session.scalar(select(func.min(Delivery.next_attempt_at)))

    async def reserve(self, now: datetime, count: int, interval: timedelta) -> datetime:
        """Reserve `count` consecutive send slots on the shared clock; return the first.

        Every sender of the bot takes its slots from this one row (locked for the moment of
        the update), so all of them together keep the configured overall rate.
        """
        budget = await self._budget(now)
        start = max(budget.next_at, now)
        budget.next_at = start + interval * count
        await self.session.flush()
        return start

    async def pause(self, until: datetime) -> None:
        """Move the shared clock past a Telegram 429's retry_after, for every sender."""
        budget = await self._budget(until)
        budget.next_at = max(budget.next_at, until)
        await self.session.flush()

    async def _budget(self, now: datetime) -> SendBudget:
        budget = await self.session.scalar(
            select(SendBudget).where(SendBudget.id == BUDGET_ROW).with_for_update()
        )
        if budget is not None:
            return budget
        try:  # the first send ever: create the row (another sender may be doing the same)
            async with self.session.begin_nested():
                self.session.add(SendBudget(id=BUDGET_ROW, next_at=now))
        except IntegrityError:
            pass
        budget = await self.session.scalar(
            select(SendBudget).where(SendBudget.id == BUDGET_ROW).with_for_update()
        )
        assert budget is not None
        return budget
