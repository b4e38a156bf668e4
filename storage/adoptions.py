"""Adoptions of shared practices, their progress reports and evaluations, and author relays.

One khoroo adopts a practice once: the UNIQUE constraint decides, even when two officers of
the same khoroo press "We adopt this" at the same moment. Reminders are claimed with a
conditional UPDATE in the caller's transaction, so each is sent once, however many bot
processes look for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Adoption,
    AdoptionReport,
    AuthorMessage,
    District,
    Practice,
    User,
)
from storage.practices import SHARED

# Progress of an adoption, in order; labels are "adoption.status.<id>" in the catalogue.
PROGRESS = ("planning", "implementing", "done", "dropped")
OPEN = ("planning", "implementing")  # still under way: reminded to report
RATINGS = range(1, 6)


@dataclass(frozen=True)
class Stats:
    """How many khoroos adopted a practice, and how they rated it."""

    adoptions: int = 0
    rated: int = 0
    average: float | None = None


@dataclass(frozen=True)
class Narrowing:
    """Filters of the practice lists, as the search screen keeps them."""

    district: str | None = None  # district code
    category: str | None = None
    status: str | None = None  # one of SHARED; None: every shared practice
    year: int | None = None


class Adoptions:
    """Repository of adoptions and their reports; it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, adoption_id: int) -> Adoption | None:
        """Return an adoption with its practice."""
        return await self.session.get(Adoption, adoption_id)

    async def of_khoroo(
        self, practice_id: int, district_id: int, khoroo_number: int
    ) -> Adoption | None:
        """Return the khoroo's adoption of the practice, if it adopted it."""
        return await self.session.scalar(
            select(Adoption).where(
                Adoption.practice_id == practice_id,
                Adoption.district_id == district_id,
                Adoption.khoroo_number == khoroo_number,
            )
        )

    async def adopt(self, practice: Practice, user: User, now: datetime) -> Adoption | None:
        """Record that the user's khoroo adopts the practice; None when it already did."""
        if user.district_id is None or user.khoroo_number is None:
            raise ValueError("only an officer of a khoroo can adopt a practice")
        adoption = Adoption(
            practice_id=practice.id,
            district_id=user.district_id,
            khoroo_number=user.khoroo_number,
            user_id=user.id,
            status="planning",
            created_at=now,
        )
        try:
            # A savepoint: a concurrent adoption by the same khoroo fails alone, not the update.
            async with self.session.begin_nested():
                self.session.add(adoption)
        except IntegrityError:
            return None
        return adoption

    async def hand_over(self, adoption: Adoption, user_id: int) -> None:
        """Make another officer responsible for reporting on and rating the adoption."""
        adoption.user_id = user_id
        await self.session.flush()

    async def of_khoroo_all(
        self, district_id: int, khoroo_number: int, *, limit: int = 10, offset: int = 0
    ) -> Sequence[Adoption]:
        """Return a khoroo's adoptions, the newest first."""
        result = await self.session.scalars(
            select(Adoption)
            .where(Adoption.district_id == district_id, Adoption.khoroo_number == khoroo_number)
            .order_by(Adoption.created_at.desc(), Adoption.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return result.all()

    async def count_of_khoroo(self, district_id: int, khoroo_number: int) -> int:
        """Return how many practices a khoroo adopted."""
        total = await self.session.scalar(
            select(func.count(Adoption.id)).where(
                Adoption.district_id == district_id, Adoption.khoroo_number == khoroo_number
            )
        )
        return int(total or 0)

    async def stats(self, practice_ids: Iterable[int]) -> dict[int, Stats]:
        """Return adoption counts and average ratings of practices (absent: none yet)."""
        ids = list(practice_ids)
        if not ids:
            return {}
        result = await self.session.execute(
            select(
                Adoption.practice_id,
                func.count(Adoption.id),
                func.count(Adoption.rating),
                func.avg(Adoption.rating),
            )
            .where(Adoption.practice_id.in_(ids))
            .group_by(Adoption.practice_id)
        )
        return {
            practice_id: Stats(count, rated, float(average) if average is not None else None)
            for practice_id, count, rated, average in result.all()
        }

    async def report(
        self, adoption: Adoption, status: str, note: str | None, now: datetime
    ) -> AdoptionReport:
        """Record a progress report and move the adoption to its status."""
        if status not in PROGRESS:
            raise ValueError(f"unknown progress {status!r}")
        report = AdoptionReport(adoption_id=adoption.id, status=status, note=note, created_at=now)
        self.session.add(report)
        adoption.status = status
        adoption.reported_at = now
        await self.session.flush()
        return report

    async def reports(self, adoption_id: int) -> Sequence[AdoptionReport]:
        """Return an adoption's reports, oldest first."""
        result = await self.session.scalars(
            select(AdoptionReport)
            .where(AdoptionReport.adoption_id == adoption_id)
            .order_by(AdoptionReport.id)
        )
        return result.all()

    async def evaluate(
        self, adoption: Adoption, rating: int, change: str, figures: str | None, now: datetime
    ) -> None:
        """Record the evaluation of a finished adoption (a later one replaces it)."""
        if rating not in RATINGS:
            raise ValueError("a rating is 1 to 5")
        if adoption.status != "done":
            raise ValueError("only a finished adoption is evaluated")
        adoption.rating, adoption.change, adoption.figures = rating, change, figures
        adoption.evaluated_at = now
        await self.session.flush()

    async def of_practices(self, practice_ids: Iterable[int]) -> Sequence[Adoption]:
        """Return the adoptions of the given practices (for export), in id order."""
        ids = list(practice_ids)
        if not ids:
            return []
        result = await self.session.scalars(
            select(Adoption).where(Adoption.practice_id.in_(ids)).order_by(Adoption.id)
        )
        return result.all()

    async def claim_report_reminders(
        self, now: datetime, after: timedelta, *, limit: int = 100
    ) -> list[Adoption]:
        """Claim the adoptions under way with no report for ``after``; mark them reminded."""
        since = func.coalesce(Adoption.reported_at, Adoption.created_at)
        due = (
            select(Adoption.id)
            .where(
                Adoption.report_reminded_at.is_(None),
                Adoption.status.in_(OPEN),
                Adoption.user_id.is_not(None),
                since <= now - after,
            )
            .order_by(Adoption.id)
            .limit(limit)
        )
        return await self._claim(due, Adoption.report_reminded_at, now)

    async def claim_evaluation_reminders(
        self, now: datetime, after: timedelta, *, limit: int = 100
    ) -> list[Adoption]:
        """Claim the adoptions not yet evaluated ``after`` their start; mark them reminded."""
        due = (
            select(Adoption.id)
            .where(
                Adoption.evaluate_reminded_at.is_(None),
                Adoption.status != "dropped",
                Adoption.rating.is_(None),
                Adoption.user_id.is_not(None),
                Adoption.created_at <= now - after,
            )
            .order_by(Adoption.id)
            .limit(limit)
        )
        return await self._claim(due, Adoption.evaluate_reminded_at, now)

    async def _claim(self, due: object, column: object, now: datetime) -> list[Adoption]:
        claimed: list[Adoption] = []
        for adoption_id in (await self.session.scalars(due)).all():  # type: ignore[call-overload]
            # Only the process whose UPDATE changes the row sends the reminder.
            result = await self.session.execute(
                update(Adoption)
                .where(Adoption.id == adoption_id, column.is_(None))  # type: ignore[attr-defined]
                .values({column: now})
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                adoption = await self.session.get(Adoption, adoption_id, populate_existing=True)
                if adoption is not None:
                    claimed.append(adoption)
        return claimed

    async def shared_page(
        self, order: str, narrowing: Narrowing, *, limit: int = 10, offset: int = 0
    ) -> tuple[list[tuple[Practice, int]], int]:
        """Return a page of shared practices with adoption counts, and the total.

        ``order`` is "adopted" (most adopted first) or "recent" (most recently shared first).
        """
        counts = (
            select(Adoption.practice_id, func.count(Adoption.id).label("n"))
            .group_by(Adoption.practice_id)
            .subquery()
        )
        adopted = func.coalesce(counts.c.n, 0)
        query = (
            select(Practice, adopted)
            .outerjoin(counts, counts.c.practice_id == Practice.id)
            .where(Practice.status.in_((narrowing.status,) if narrowing.status else SHARED))
        )
        if narrowing.district is not None:
            query = query.where(
                Practice.district_id.in_(
                    select(District.id).where(District.code == narrowing.district)
                )
            )
        if narrowing.category is not None:
            query = query.where(Practice.category == narrowing.category)
        if narrowing.year is not None:
            query = query.where(Practice.year == narrowing.year)
        if order == "adopted":
            query = query.where(adopted > 0)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        if order == "adopted":
            query = query.order_by(adopted.desc(), Practice.id.desc())
        else:
            query = query.order_by(Practice.updated_at.desc(), Practice.id.desc())
        rows = await self.session.execute(query.limit(limit).offset(offset))
        return [(practice, int(n)) for practice, n in rows.all()], int(total or 0)

    async def shared_years(self) -> list[int]:
        """Return the years of shared practices, the newest first."""
        result = await self.session.scalars(
            select(Practice.year)
            .where(Practice.status.in_(SHARED), Practice.year.is_not(None))
            .distinct()
            .order_by(Practice.year.desc())
        )
        return [year for year in result.all() if year is not None]


class AuthorMessages:
    """Questions to authors and the replies relayed either way; it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        practice_id: int,
        sender_id: int,
        recipient_id: int,
        text: str,
        reply_to: int | None = None,
    ) -> AuthorMessage:
        """Store a relayed message and give it an id for the reply button."""
        message = AuthorMessage(
            practice_id=practice_id,
            sender_id=sender_id,
            recipient_id=recipient_id,
            text=text,
            reply_to_id=reply_to,
        )
        self.session.add(message)
        await self.session.flush()
        return message

    async def get(self, message_id: int) -> AuthorMessage | None:
        """Return a relayed message."""
        return await self.session.get(AuthorMessage, message_id)
