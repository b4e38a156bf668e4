"""The contest's notices: a stage has started, a submission deadline is near.

The sender calls ``contest_notices`` now and then; each notice becomes an announcement in the
outbox, claimed once per stage and notice, so a restart or a second process never repeats it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.contest import when
from handlers.i18n import LANGUAGES, Catalogue
from storage.announcements import Announcements
from storage.contest import Contest, reminder_notice
from storage.contest_judging import Closing
from storage.models import Announcement, ContestStage


def stage_started_texts(catalogue: Catalogue, stage: ContestStage) -> dict[str, str]:
    """Render the announcement of a stage's start in every language."""
    return {
        language: catalogue.text(
            language,
            "contest.started",
            stage=stage.name(language),
            ends=when(stage.ends_at, language),
            todo=catalogue.text(language, f"contest.todo.{stage.kind}"),
        )
        for language in LANGUAGES
    }


def reminder_texts(catalogue: Catalogue, stage: ContestStage, days: int) -> dict[str, str]:
    """Render the reminder to khoroos that have not submitted, in every language."""
    return {
        language: catalogue.text(
            language,
            "contest.reminder",
            stage=stage.name(language),
            ends=when(stage.ends_at, language),
            n=days,
        )
        for language in LANGUAGES
    }


async def contest_notices(
    session: AsyncSession, catalogue: Catalogue, now: datetime, reminder_days: Iterable[int]
) -> list[Announcement]:
    """Queue the stage-start announcements and deadline reminders that are due, once each."""
    contest = Contest(session)
    announcements = Announcements(session)
    queued: list[Announcement] = []
    for stage in await contest.started_unannounced(now):
        if not await contest.claim(stage.id, ["start"]):
            continue
        texts = stage_started_texts(catalogue, stage)
        queued.append(
            await announcements.add(
                Announcement(
                    kind="stage",
                    text=texts["mn"],
                    text_en=texts["en"],
                    audience={"kind": "all"},
                    scheduled_at=now,
                    stage_id=stage.id,
                )
            )
        )
    days = sorted(set(reminder_days))
    for stage in await contest.open_submissions(now):
        due = [d for d in days if now >= stage.ends_at - timedelta(days=d)]
        if not due or stage.starts_at > now:
            continue
        # Only the nearest reminder is sent; the earlier ones it replaces are claimed with it.
        claimed = await contest.notices(stage.id)
        nearest = min(due)
        if reminder_notice(nearest) in claimed:
            continue
        keys = [reminder_notice(d) for d in due if reminder_notice(d) not in claimed]
        if not await contest.claim(stage.id, keys):
            continue
        left = max(0, -(-int((stage.ends_at - now).total_seconds()) // 86400))
        texts = reminder_texts(catalogue, stage, left)
        queued.append(
            await announcements.add(
                Announcement(
                    kind="reminder",
                    text=texts["mn"],
                    text_en=texts["en"],
                    audience={"kind": "not_submitted", "year": stage.year},
                    scheduled_at=now,
                    stage_id=stage.id,
                )
            )
        )
    return queued


# --- Judging: reminders to jurors, closings, winners and published results (issue 16) ---


async def remind_jurors(
    session: AsyncSession,
    catalogue: Catalogue,
    round_id: int,
    now: datetime,
    actor_id: int | None = None,
) -> Announcement | None:
    """Queue one reminder to the round's jurors who have not finished (None if all have)."""
    raise NotImplementedError


async def close_round(
    session: AsyncSession,
    catalogue: Catalogue,
    round_id: int,
    now: datetime,
    actor_id: int | None = None,
) -> Closing:
    """Close a round and queue its announcements, in the caller's transaction.

    A district round: its khoroos' officers hear what advanced, the authors of advancing
    practices are told. The capital round: the winners are named and their authors told.
    """
    raise NotImplementedError


async def results_text(session: AsyncSession, catalogue: Catalogue, year: int) -> dict[str, str]:
    """Render the year's results for everyone, in every language, with the chain head."""
    raise NotImplementedError


async def publish_results(
    session: AsyncSession,
    catalogue: Catalogue,
    year: int,
    now: datetime,
    actor_id: int | None = None,
) -> Announcement:
    """Queue the year's results to everyone (refused until the capital round is closed)."""
    raise NotImplementedError
