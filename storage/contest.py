"""The contest calendar: stages with their dates, and the notices already claimed for them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ContestNotice, ContestStage

# The kinds of stage; "submission" is the one whose deadline brings reminders.
KINDS = ("submission", "district", "capital", "other")
SUBMISSION = "submission"
START = "start"


@dataclass(frozen=True)
class StageSpec:
    """A stage as an admin or a file gives it (times are aware; year is the local year)."""

    name_mn: str
    name_en: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    year: int


@dataclass(frozen=True)
class CalendarChange:
    """What an import did."""

    added: int
    updated: int


def reminder_notice(days: int) -> str:
    """Return the notice key of the reminder sent the given number of days before a deadline."""
    return f"remind-{days}"


class Contest:
    """Repository of contest stages; it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stages(self) -> Sequence[ContestStage]:
        """Return every stage in date order."""
        result = await self.session.scalars(
            select(ContestStage).order_by(ContestStage.starts_at, ContestStage.id)
        )
        return result.all()

    async def get(self, stage_id: int) -> ContestStage | None:
        """Return one stage."""
        return await self.session.get(ContestStage, stage_id)

    async def add(self, spec: StageSpec) -> ContestStage:
        """Add a stage, or update the one with the same Mongolian name in the same year."""
        stage = await self.session.scalar(
            select(ContestStage).where(
                ContestStage.year == spec.year, ContestStage.name_mn == spec.name_mn
            )
        )
        if stage is None:
            stage = ContestStage(year=spec.year, name_mn=spec.name_mn)
            self.session.add(stage)
        stage.name_en, stage.kind = spec.name_en, spec.kind
        stage.starts_at, stage.ends_at = spec.starts_at, spec.ends_at
        await self.session.flush()
        return stage

    async def upsert(self, specs: Iterable[StageSpec]) -> CalendarChange:
        """Add or update stages by (year, Mongolian name); stages not named are kept."""
        added = updated = 0
        for spec in specs:
            existing = await self.session.scalar(
                select(ContestStage.id).where(
                    ContestStage.year == spec.year, ContestStage.name_mn == spec.name_mn
                )
            )
            await self.add(spec)
            if existing is None:
                added += 1
            else:
                updated += 1
        return CalendarChange(added, updated)

    async def remove(self, stage_id: int) -> bool:
        """Delete a stage; tell whether it existed."""
        result = await self.session.execute(delete(ContestStage).where(ContestStage.id == stage_id))
        return bool(getattr(result, "rowcount", 0))

    async def current(self, now: datetime) -> ContestStage | None:
        """Return the stage running now (the latest started, if stages overlap)."""
        return await self.session.scalar(
            select(ContestStage)
            .where(ContestStage.starts_at <= now, ContestStage.ends_at > now)
            .order_by(ContestStage.starts_at.desc(), ContestStage.id.desc())
            .limit(1)
        )

    async def upcoming(self, now: datetime) -> Sequence[ContestStage]:
        """Return the stages that have not started yet, soonest first."""
        result = await self.session.scalars(
            select(ContestStage)
            .where(ContestStage.starts_at > now)
            .order_by(ContestStage.starts_at, ContestStage.id)
        )
        return result.all()

    async def year(self, now: datetime) -> int | None:
        """Return the contest year: that of the running or next stage, else the latest one's."""
        current = await self.current(now)
        if current is not None:
            return current.year
        upcoming = await self.upcoming(now)
        if upcoming:
            return upcoming[0].year
        return await self.session.scalar(
            select(ContestStage.year).order_by(ContestStage.starts_at.desc()).limit(1)
        )

    async def started_unannounced(self, now: datetime) -> Sequence[ContestStage]:
        """Return running stages whose start was not announced yet."""
        announced = select(ContestNotice.stage_id).where(ContestNotice.notice == START)
        result = await self.session.scalars(
            select(ContestStage)
            .where(
                ContestStage.starts_at <= now,
                ContestStage.ends_at > now,
                ContestStage.id.not_in(announced),
            )
            .order_by(ContestStage.starts_at, ContestStage.id)
        )
        return result.all()

    async def open_submissions(self, now: datetime) -> Sequence[ContestStage]:
        """Return the submission stages whose deadline has not passed."""
        result = await self.session.scalars(
            select(ContestStage)
            .where(ContestStage.kind == SUBMISSION, ContestStage.ends_at > now)
            .order_by(ContestStage.ends_at, ContestStage.id)
        )
        return result.all()

    async def notices(self, stage_id: int) -> set[str]:
        """Return the notices already claimed for a stage."""
        result = await self.session.scalars(
            select(ContestNotice.notice).where(ContestNotice.stage_id == stage_id)
        )
        return set(result.all())

    async def claim(self, stage_id: int, notices: Iterable[str]) -> bool:
        """Claim notices for a stage; False if another process or an earlier run had them."""
        try:
            async with self.session.begin_nested():
                for notice in notices:
                    self.session.add(ContestNotice(stage_id=stage_id, notice=notice))
        except IntegrityError:
            return False
        return True
