"""What waits for reviewers: submitted practices by district, and the reminders about them."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base, Practice, ReviewReminder, RoleGrant

PENDING = "submitted"
REVIEWER = "reviewer"


@functools.cache
def _reminder_insert(dialect: str) -> Any:
    """Return INSERT .. ON CONFLICT DO NOTHING of a reviewer's reminder row."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Base.metadata.tables[ReviewReminder.__tablename__])
    return statement.on_conflict_do_nothing(index_elements=[ReviewReminder.user_id])


class ReviewQueue:
    """Submitted practices waiting for a decision; a repository that never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _where(districts: Sequence[int] | None) -> Any:
        pending = Practice.status == PENDING
        return pending if districts is None else pending & Practice.district_id.in_(districts)

    async def pending(
        self, districts: Sequence[int] | None, *, offset: int = 0, limit: int = 10
    ) -> Sequence[Practice]:
        """Return the pending practices of the districts (None: all), oldest first."""
        result = await self.session.scalars(
            select(Practice)
            .where(self._where(districts))
            .order_by(func.coalesce(Practice.submitted_at, Practice.created_at), Practice.id)
            .offset(offset)
            .limit(limit)
        )
        return result.all()

    async def count(self, districts: Sequence[int] | None) -> int:
        """Return how many practices of the districts (None: all) wait for a decision."""
        return int(
            await self.session.scalar(select(func.count(Practice.id)).where(self._where(districts)))
            or 0
        )

    async def counts(self) -> dict[int | None, int]:
        """Return the number of pending practices per district (None: no district)."""
        rows = await self.session.execute(
            select(Practice.district_id, func.count(Practice.id))
            .where(Practice.status == PENDING)
            .group_by(Practice.district_id)
        )
        return {district: int(n) for district, n in rows.all()}

    async def reviewer_districts(self, user_id: int) -> list[int] | None:
        """Return the districts a user reviews by grant (None: every district)."""
        result = await self.session.scalars(
            select(RoleGrant.district_id).where(
                RoleGrant.user_id == user_id, RoleGrant.role == REVIEWER
            )
        )
        districts = list(result.all())
        if any(d is None for d in districts):
            return None
        return [d for d in districts if d is not None]

    async def overdue_by_reviewer(self, before: datetime) -> dict[int, list[Practice]]:
        """Return, for every reviewer, the practices of their districts submitted before then."""
        waiting = (
            await self.session.scalars(
                select(Practice)
                .where(Practice.status == PENDING, Practice.submitted_at <= before)
                .order_by(Practice.submitted_at, Practice.id)
            )
        ).all()
        if not waiting:
            return {}
        grants = (
            await self.session.scalars(
                select(RoleGrant)
                .where(RoleGrant.role == REVIEWER)
                .where(
                    or_(
                        RoleGrant.district_id.is_(None),
                        RoleGrant.district_id.in_({p.district_id for p in waiting}),
                    )
                )
                .order_by(RoleGrant.user_id)
            )
        ).all()
        found: dict[int, list[Practice]] = {}
        for grant in grants:
            mine = [p for p in waiting if grant.district_id in (None, p.district_id)]
            found.setdefault(grant.user_id, [])
            found[grant.user_id] += [p for p in mine if p not in found[grant.user_id]]
        return {user: practices for user, practices in found.items() if practices}

    async def claim_reminder(self, user_id: int, now: datetime, every: timedelta) -> bool:
        """Mark the reviewer reminded now unless they were within ``every``; tell whether so.

        One conditional UPDATE (after inserting a row that is old enough), so two processes
        or a restart never remind the same reviewer twice within the period.
        """
        dialect = self.session.get_bind().dialect.name
        await self.session.execute(
            _reminder_insert(dialect),
            [{"user_id": user_id, "reminded_at": now - every - timedelta(seconds=1)}],
        )
        result = await self.session.execute(
            update(ReviewReminder)
            .where(ReviewReminder.user_id == user_id, ReviewReminder.reminded_at <= now - every)
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))
