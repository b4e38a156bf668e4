"""The contest's notices: a stage has started, a submission deadline is near.

The sender calls ``contest_notices`` now and then; each notice becomes an announcement in the
outbox, claimed once per stage and notice, so a restart or a second process never repeats it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.contest import when
from handlers.html import Html
from handlers.i18n import LANGUAGES, Catalogue
from knowledge.contest import Standing
from storage.announcements import Announcements
from storage.audit import AuditLog
from storage.contest import Contest, reminder_notice
from storage.contest_judging import CLOSED, DISTRICT, OPEN, Closing, Judging, JudgingError
from storage.models import Announcement, ContestRound, ContestStage, Practice


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


# A notice stays well within Telegram's 4096 characters whatever the titles are.
LIST_BUDGET = 3000


def round_name(catalogue: Catalogue, language: str, contest_round: ContestRound) -> Html:
    """Name a round as notices do: "Bayangol district round" or "Capital round"."""
    if contest_round.level == DISTRICT and contest_round.district is not None:
        return catalogue.text(
            language,
            "contest_notice.round.district",
            district=contest_round.district.name(language),
        )
    return catalogue.text(language, "contest_notice.round.capital")


def _listed(catalogue: Catalogue, language: str, lines: Sequence[str]) -> Html:
    shown: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) > LIST_BUDGET:
            shown.append(catalogue.text(language, "contest_notice.more", n=len(lines) - len(shown)))
            break
        shown.append(line)
        used += len(line) + 1
    return Html("\n".join(shown) or catalogue.text(language, "contest_notice.nobody"))


async def _lines(
    session: AsyncSession,
    catalogue: Catalogue,
    language: str,
    standings: Sequence[Standing],
) -> list[str]:
    lines: list[str] = []
    for standing in standings:
        practice = await session.get(Practice, standing.practice)
        if practice is None:
            continue
        if practice.district is None:
            where = catalogue.text(language, "card.no_place")
        elif practice.khoroo_number is None:
            where = catalogue.text(
                language, "card.district_only", district=practice.district.name(language)
            )
        else:
            where = catalogue.text(
                language,
                "card.place",
                district=practice.district.name(language),
                khoroo=str(practice.khoroo_number),
            )
        lines.append(
            catalogue.text(
                language,
                "contest_notice.line",
                rank=str(standing.rank),
                title=practice.title,
                place=where,
                total=round(standing.total or 0.0, 1),
            )
        )
    return lines


def _texts(catalogue: Catalogue, key: str, **values: Any) -> dict[str, str]:
    return {language: catalogue.text(language, key, **values) for language in LANGUAGES}


async def _notice(
    session: AsyncSession,
    texts: Mapping[str, str],
    audience: dict[str, Any],
    now: datetime,
) -> Announcement:
    return await Announcements(session).add(
        Announcement(
            kind="contest",
            text=texts["mn"],
            text_en=texts["en"],
            audience=audience,
            scheduled_at=now,
        )
    )


async def remind_jurors(
    session: AsyncSession,
    catalogue: Catalogue,
    round_id: int,
    now: datetime,
    actor_id: int | None = None,
) -> Announcement | None:
    """Queue one reminder to the round's jurors who have not finished (None if all have)."""
    judging = Judging(session)
    contest_round = await judging.round(round_id)
    if contest_round.state != OPEN:
        raise JudgingError("closed")
    unfinished = await judging.unfinished(round_id)
    if not unfinished:
        return None
    texts = {
        language: catalogue.text(
            language,
            "contest_notice.juror_reminder",
            round=round_name(catalogue, language, contest_round),
            year=str(contest_round.year),
        )
        for language in LANGUAGES
    }
    AuditLog(session).record(
        actor_id, "contest.jurors_reminded", f"round:{round_id}", jurors=unfinished
    )
    return await _notice(session, texts, {"kind": "users", "ids": unfinished}, now)


async def _tell_authors(
    session: AsyncSession,
    catalogue: Catalogue,
    key: str,
    contest_round: ContestRound,
    standings: Sequence[Standing],
    now: datetime,
) -> list[Announcement]:
    queued = []
    for standing in standings:
        practice = await session.get(Practice, standing.practice)
        if practice is None or practice.submitter_id is None:
            continue
        texts = {
            language: catalogue.text(
                language,
                key,
                title=practice.title,
                year=str(contest_round.year),
                round=round_name(catalogue, language, contest_round),
                rank=str(standing.rank),
            )
            for language in LANGUAGES
        }
        queued.append(
            await _notice(session, texts, {"kind": "users", "ids": [practice.submitter_id]}, now)
        )
    return queued


async def close_round(
    session: AsyncSession,
    catalogue: Catalogue,
    round_id: int,
    now: datetime,
    actor_id: int | None = None,
) -> Closing:
    """Close a round and queue its announcements, in the caller's transaction.

    A district round: its khoroos' officers hear what advanced, the authors of advancing
    practices are told. The capital round: the winners are named to the officers of the
    districts that had practices in it, and their authors are told.
    """
    judging = Judging(session)
    closing = await judging.close_round(round_id, actor_id)
    contest_round = await judging.round(round_id)
    result = await judging.results(round_id)
    if contest_round.level == DISTRICT:
        chosen = set(closing.advanced)
        key = "contest_notice.district_closed" if chosen else "contest_notice.district_closed_none"
        districts = [contest_round.district_id] if contest_round.district_id else []
        author_key = "contest_notice.advanced"
    else:
        chosen = set(closing.winners)
        key = "contest_notice.capital_closed"
        districts = sorted(
            {
                d
                for d in (
                    await session.scalars(
                        select(Practice.district_id).where(
                            Practice.id.in_(await judging.practices(round_id))
                        )
                    )
                ).all()
                if d is not None
            }
        )
        author_key = "contest_notice.winner"
    standings = [s for s in result.standings if s.practice in chosen]
    texts: dict[str, str] = {}
    for language in LANGUAGES:
        lines = await _lines(session, catalogue, language, standings)
        texts[language] = catalogue.text(
            language,
            key,
            round=round_name(catalogue, language, contest_round),
            year=str(contest_round.year),
            practices=_listed(catalogue, language, lines),
        )
    if districts:
        await _notice(session, texts, {"kind": "officers", "districts": districts}, now)
    await _tell_authors(session, catalogue, author_key, contest_round, standings, now)
    return closing


async def results_text(session: AsyncSession, catalogue: Catalogue, year: int) -> dict[str, str]:
    """Render the year's results for everyone, in every language, with the chain head.

    Refused ("no_capital_round", "capital_open") until the capital round is closed.
    """
    judging = Judging(session)
    capital = await judging.capital_round(year)
    if capital is None:
        raise JudgingError("no_capital_round")
    if capital.state != CLOSED:
        raise JudgingError("capital_open")
    result = await judging.results(capital.id)
    scored = [s for s in result.standings if s.total is not None]
    winners = set(await judging.winners(capital.id))
    head = await judging.year_head(year)
    texts: dict[str, str] = {}
    for language in LANGUAGES:
        first = await _lines(
            session, catalogue, language, [s for s in scored if s.practice in winners]
        )
        rest = await _lines(
            session, catalogue, language, [s for s in scored if s.practice not in winners]
        )
        texts[language] = catalogue.text(
            language,
            "contest_notice.results",
            year=str(year),
            winners=_listed(catalogue, language, first),
            advanced=_listed(catalogue, language, rest),
            head=head,
        )
    return texts


async def publish_results(
    session: AsyncSession,
    catalogue: Catalogue,
    year: int,
    now: datetime,
    actor_id: int | None = None,
) -> Announcement:
    """Queue the year's results to everyone (refused until the capital round is closed)."""
    texts = await results_text(session, catalogue, year)
    AuditLog(session).record(
        actor_id,
        "contest.results_published",
        f"contest:{year}",
        head=await Judging(session).year_head(year),
    )
    return await _notice(session, texts, {"kind": "all"}, now)
