"""Contest judging: rounds, juries, scores with their hash-chained log, closing and results.

A repository like the others: it never commits, so a score and its log entry are written in
the caller's one transaction (or neither is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.contest import (
    COMMENT,
    DEFAULT_RUBRIC,
    GENESIS,
    SCORE,
    ChainProblem,
    Criterion,
    LogEntry,
    Score,
    Standing,
    borda,
    canonical,
    chain_hash,
    criterion_means,
    juror_totals,
    kendalls_w,
    latest_comments,
    latest_rankings,
    latest_score_entries,
    latest_scores,
    normalise,
    rank,
    ranking_order,
    verify_chain,
    year_head,
)
from storage.audit import AuditLog
from storage.contest_files import JudgingSpec
from storage.models import (
    ContestComment,
    ContestCriterion,
    ContestEntry,
    ContestJuror,
    ContestPeerRanking,
    ContestRound,
    ContestScore,
    ContestScoreLog,
    ContestSettings,
    Practice,
    User,
    utcnow,
)
from storage.practices import SHARED

DISTRICT, CAPITAL = "district", "capital"
OPEN, CLOSED = "open", "closed"
LEVELS = (DISTRICT, CAPITAL)
RUBRIC_LIMIT = 10  # the score sheet's buttons carry a criterion's place as one digit
COMMENT_LIMIT = 1000  # characters; a comment is a note beside the marks, not an essay


class JudgingError(Exception):
    """An action the rules refuse; `reason` names which rule (for the user's message)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Recorded:
    """What recording a score did: `changed` is False when it repeated the mark in force."""

    changed: bool
    seq: int | None


@dataclass(frozen=True)
class RoundResult:
    """A round's standings, the per-criterion means, its jury's agreement, the peer scores."""

    round: ContestRound
    standings: list[Standing]
    means: dict[int, dict[str, float]]
    agreement: float | None
    jurors: int
    peer: dict[int, float] = field(default_factory=dict)  # out of 100, by practice
    rankings: int = 0  # khoroos that ranked
    head: str = GENESIS  # the round's chain head when the result was computed


@dataclass(frozen=True)
class Closing:
    """What closing a round did: the practices that advanced and the round they went to.

    Closing the capital round names its `winners` (its first top N places that were scored).
    """

    advanced: list[int]
    capital_round_id: int | None
    round_id: int | None = None
    winners: list[int] = field(default_factory=list)


@dataclass
class RoundCheck:
    """`contest verify` for one round: its chain head and what does not add up."""

    round: ContestRound
    entries: int
    head: str
    problems: list[ChainProblem] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    totals: dict[int, float] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        """Return whether the chain and the scores in force agree everywhere."""
        return not self.problems and not self.mismatches


@dataclass(frozen=True)
class RoundSettings:
    """How a year judges one level: advancing (or winners named), peer share, normalise, blind."""

    level: str
    top_n: int = 3
    peer_share: int = 0
    normalise: bool = False
    blind: bool = False


@dataclass(frozen=True)
class JurorProgress:
    """A juror's progress in a round: practices fully scored out of those they may score."""

    juror: int
    scored: int
    total: int

    @property
    def finished(self) -> bool:
        """Return whether every practice the juror may score is fully scored."""
        return self.scored >= self.total


@dataclass(frozen=True)
class Comment:
    """A juror's comment in force on a practice."""

    juror: int
    practice: int
    text: str


def _points(total: float | None) -> str:
    return "none" if total is None else f"{total:.2f}"


def _criterion(row: ContestCriterion) -> Criterion:
    return Criterion(
        row.code,
        row.name_mn,
        row.name_en,
        row.description_mn,
        row.description_en,
        row.weight,
        row.scale_min,
        row.scale_max,
    )


def _entry(row: ContestScoreLog) -> LogEntry:
    return LogEntry(
        seq=row.seq,
        round_id=row.round_id,
        juror=row.juror_id,
        practice=row.practice_id,
        criterion=row.criterion,
        value=row.value,
        comment=row.comment,
        at=row.created_at,
        prev_hash=row.prev_hash,
        hash=row.hash,
        kind=row.kind,
        data=row.data,
    )


class Judging:
    """Repository of contest rounds, their juries and scores; it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- Rubric ---

    async def rubric(self, year: int) -> list[Criterion]:
        """Return the year's criteria, setting the default (Galing Pook) rubric if it has none."""
        rows = (
            await self.session.scalars(
                select(ContestCriterion)
                .where(ContestCriterion.year == year)
                .order_by(ContestCriterion.position, ContestCriterion.id)
            )
        ).all()
        if rows:
            return [_criterion(r) for r in rows]
        await self.set_rubric(year, DEFAULT_RUBRIC)
        return list(DEFAULT_RUBRIC)

    async def set_rubric(
        self, year: int, criteria: Sequence[Criterion], actor_id: int | None = None
    ) -> None:
        """Replace the year's criteria; refused once any round of the year has scores.

        Refused ("bad_criterion"): no criteria, more than RUBRIC_LIMIT, a repeated code, a
        weight below 1 or an empty scale.
        """
        codes = [c.code for c in criteria]
        if not criteria or len(criteria) > RUBRIC_LIMIT or len(set(codes)) != len(codes):
            raise JudgingError("bad_criterion")
        scored = await self.session.scalar(
            select(func.count(ContestScore.id))
            .join(ContestRound, ContestRound.id == ContestScore.round_id)
            .where(ContestRound.year == year)
        )
        if scored:
            raise JudgingError("rubric_in_use")
        for row in (
            await self.session.scalars(
                select(ContestCriterion).where(ContestCriterion.year == year)
            )
        ).all():
            await self.session.delete(row)
        await self.session.flush()
        for position, c in enumerate(criteria):
            if c.weight <= 0 or c.scale_min >= c.scale_max:
                raise JudgingError("bad_criterion")
            self.session.add(
                ContestCriterion(
                    year=year,
                    code=c.code,
                    name_mn=c.name_mn,
                    name_en=c.name_en,
                    description_mn=c.description_mn,
                    description_en=c.description_en,
                    weight=c.weight,
                    scale_min=c.scale_min,
                    scale_max=c.scale_max,
                    position=position,
                )
            )
        AuditLog(self.session).record(actor_id, "contest.rubric", f"contest:{year}", criteria=codes)
        await self.session.flush()

    # --- Rounds and juries ---

    async def round(self, round_id: int, *, lock: bool = False) -> ContestRound:
        """Return a round (locked for this transaction when asked), or refuse an unknown one."""
        query = select(ContestRound).where(ContestRound.id == round_id)
        if lock:
            # Scores, their chain and closing queue up on the round's row (PostgreSQL);
            # SQLite already runs one writer at a time.
            query = query.with_for_update(of=ContestRound)
        found = (await self.session.scalars(query)).first()
        if found is None:
            raise JudgingError("unknown_round")
        return found

    async def rounds(self, year: int) -> Sequence[ContestRound]:
        """Return the year's rounds, district rounds first."""
        return (
            await self.session.scalars(
                select(ContestRound)
                .where(ContestRound.year == year)
                .order_by(ContestRound.level.desc(), ContestRound.id)
            )
        ).all()

    async def open_district_round(
        self,
        year: int,
        district_id: int,
        *,
        actor_id: int | None = None,
        blind: bool | None = None,
        top_n: int | None = None,
        peer_share: int | None = None,
        normalise: bool | None = None,
    ) -> ContestRound:
        """Open a district's round with its approved practices of the year.

        What is not given comes from the year's district settings (`settings`).
        """
        defaults = await self.settings(year, DISTRICT)
        blind = defaults.blind if blind is None else blind
        top_n = defaults.top_n if top_n is None else top_n
        peer_share = defaults.peer_share if peer_share is None else peer_share
        normalise = defaults.normalise if normalise is None else normalise
        existing = await self.session.scalar(
            select(ContestRound.id).where(
                ContestRound.year == year,
                ContestRound.level == DISTRICT,
                ContestRound.district_id == district_id,
            )
        )
        if existing is not None:
            raise JudgingError("round_exists")
        if top_n < 1 or not 0 <= peer_share <= 100:
            raise JudgingError("bad_settings")
        await self.rubric(year)
        practices = (
            await self.session.scalars(
                select(Practice.id)
                .where(
                    Practice.year == year,
                    Practice.district_id == district_id,
                    Practice.status.in_(SHARED),
                )
                .order_by(Practice.id)
            )
        ).all()
        contest_round = ContestRound(
            year=year,
            level=DISTRICT,
            district_id=district_id,
            blind=blind,
            top_n=top_n,
            peer_share=peer_share,
            normalise=normalise,
            opened_by=actor_id,
        )
        self.session.add(contest_round)
        await self.session.flush()
        for practice_id in practices:
            self.session.add(ContestEntry(round_id=contest_round.id, practice_id=practice_id))
        AuditLog(self.session).record(
            actor_id,
            "contest.round_opened",
            f"round:{contest_round.id}",
            year=year,
            district_id=district_id,
            practices=len(practices),
        )
        await self.session.flush()
        return contest_round

    async def districts_to_judge(self, year: int) -> list[int]:
        """Return the districts with approved practices of the year and no round yet."""
        opened = select(ContestRound.district_id).where(
            ContestRound.year == year,
            ContestRound.level == DISTRICT,
            ContestRound.district_id.is_not(None),
        )
        rows = await self.session.scalars(
            select(Practice.district_id)
            .where(
                Practice.year == year,
                Practice.status.in_(SHARED),
                Practice.district_id.is_not(None),
                Practice.district_id.not_in(opened),
            )
            .distinct()
            .order_by(Practice.district_id)
        )
        return [d for d in rows.all() if d is not None]

    async def practices(self, round_id: int) -> list[int]:
        """Return the ids of the round's practices."""
        return list(
            (
                await self.session.scalars(
                    select(ContestEntry.practice_id)
                    .where(ContestEntry.round_id == round_id)
                    .order_by(ContestEntry.practice_id)
                )
            ).all()
        )

    async def grant_juror(self, round_id: int, user_id: int, actor_id: int | None) -> bool:
        """Make a user a juror of a round; False if they already were."""
        await self.round(round_id)
        existing = await self.session.scalar(
            select(ContestJuror.id).where(
                ContestJuror.round_id == round_id, ContestJuror.user_id == user_id
            )
        )
        if existing is not None:
            return False
        self.session.add(ContestJuror(round_id=round_id, user_id=user_id, granted_by=actor_id))
        AuditLog(self.session).record(
            actor_id, "contest.juror_granted", f"user:{user_id}", round_id=round_id
        )
        await self.session.flush()
        return True

    async def jurors(self, round_id: int) -> list[int]:
        """Return the user ids of the round's jurors."""
        return list(
            (
                await self.session.scalars(
                    select(ContestJuror.user_id)
                    .where(ContestJuror.round_id == round_id)
                    .order_by(ContestJuror.user_id)
                )
            ).all()
        )

    async def open_rounds_of(self, user_id: int) -> list[ContestRound]:
        """Return the open rounds a user was granted as a juror."""
        rows = await self.session.scalars(
            select(ContestRound)
            .join(ContestJuror, ContestJuror.round_id == ContestRound.id)
            .where(ContestJuror.user_id == user_id, ContestRound.state == OPEN)
            .order_by(ContestRound.id)
        )
        return list(rows.all())

    # --- Scores and their chain ---

    async def record_score(
        self,
        round_id: int,
        juror_id: int,
        practice_id: int,
        criterion: str,
        value: int,
        comment: str | None = None,
    ) -> Recorded:
        """Record a juror's mark (a new one or a change) and append it to the round's chain."""
        contest_round = await self.round(round_id, lock=True)
        if contest_round.state != OPEN:
            raise JudgingError("closed")
        if juror_id not in await self.jurors(round_id):
            raise JudgingError("not_juror")
        if practice_id not in await self.practices(round_id):
            raise JudgingError("not_in_round")
        rubric = {c.code: c for c in await self.rubric(contest_round.year)}
        if criterion not in rubric:
            raise JudgingError("unknown_criterion")
        scale = rubric[criterion]
        if isinstance(value, bool) or not scale.scale_min <= value <= scale.scale_max:
            raise JudgingError("out_of_scale")
        if await self.own_practice(juror_id, practice_id):
            raise JudgingError("own_khoroo")
        score = (
            await self.session.scalars(
                select(ContestScore).where(
                    ContestScore.round_id == round_id,
                    ContestScore.juror_id == juror_id,
                    ContestScore.practice_id == practice_id,
                    ContestScore.criterion == criterion,
                )
            )
        ).first()
        if score is not None and score.value == value and score.comment == comment:
            return Recorded(changed=False, seq=None)
        now = utcnow().replace(microsecond=0)
        if score is None:
            self.session.add(
                ContestScore(
                    round_id=round_id,
                    juror_id=juror_id,
                    practice_id=practice_id,
                    criterion=criterion,
                    value=value,
                    comment=comment,
                    updated_at=now,
                )
            )
        else:
            score.value, score.comment, score.updated_at = value, comment, now
        seq = await self.append(round_id, juror_id, practice_id, criterion, value, comment, now)
        return Recorded(changed=True, seq=seq)

    async def own_practice(self, juror_id: int, practice_id: int) -> bool:
        """Tell whether a practice is the juror's own: theirs, or of their khoroo."""
        juror = await self.session.get(User, juror_id)
        practice = await self.session.get(Practice, practice_id)
        if juror is None or practice is None:
            return True
        if practice.submitter_id == juror_id:
            return True
        return (
            juror.district_id is not None
            and juror.khoroo_number is not None
            and (juror.district_id, juror.khoroo_number)
            == (practice.district_id, practice.khoroo_number)
        )

    async def append(
        self,
        round_id: int,
        juror_id: int,
        practice_id: int,
        criterion: str,
        value: int,
        comment: str | None,
        at: datetime,
        *,
        kind: str = SCORE,
        data: str | None = None,
    ) -> int:
        """Append an entry to the round's chain (the caller holds the round's lock)."""
        head = (
            await self.session.scalars(
                select(ContestScoreLog)
                .where(ContestScoreLog.round_id == round_id)
                .order_by(ContestScoreLog.seq.desc())
                .limit(1)
            )
        ).first()
        seq = 1 if head is None else head.seq + 1
        prev_hash = GENESIS if head is None else head.hash
        body = canonical(
            seq,
            round_id,
            juror_id,
            practice_id,
            criterion,
            value,
            comment,
            at,
            kind=kind,
            data=data,
        )
        self.session.add(
            ContestScoreLog(
                kind=kind,
                data=data,
                round_id=round_id,
                seq=seq,
                juror_id=juror_id,
                practice_id=practice_id,
                criterion=criterion,
                value=value,
                comment=comment,
                created_at=at,
                prev_hash=prev_hash,
                hash=chain_hash(prev_hash, body),
            )
        )
        await self.session.flush()
        return seq

    async def scores(self, round_id: int) -> list[Score]:
        """Return the marks in force in a round."""
        rows = (
            await self.session.scalars(
                select(ContestScore).where(ContestScore.round_id == round_id)
            )
        ).all()
        return [Score(r.juror_id, r.practice_id, r.criterion, r.value) for r in rows]

    async def log(self, round_id: int) -> list[LogEntry]:
        """Return the round's chain in sequence order."""
        rows = (
            await self.session.scalars(
                select(ContestScoreLog)
                .where(ContestScoreLog.round_id == round_id)
                .order_by(ContestScoreLog.seq, ContestScoreLog.id)
            )
        ).all()
        return [_entry(r) for r in rows]

    # --- Results, closing, verification ---

    async def results(self, round_id: int) -> RoundResult:
        """Return a round's standings by the stated tie-break rule, means and Kendall's W."""
        contest_round = await self.round(round_id)
        criteria = await self.rubric(contest_round.year)
        scores = await self.scores(round_id)
        practices = await self.practices(round_id)
        submitted = {
            p.id: p.submitted_at or p.created_at
            for p in (
                await self.session.scalars(select(Practice).where(Practice.id.in_(practices)))
            ).all()
        }
        rankings = await self._rankings(round_id)
        peer = borda(rankings)
        standings = rank(
            scores,
            criteria,
            practices=practices,
            submitted_at=submitted,
            normalised=contest_round.normalise,
            peer=peer,
            peer_share=contest_round.peer_share,
        )
        used = normalise(scores) if contest_round.normalise else scores
        return RoundResult(
            round=contest_round,
            standings=standings,
            means=criterion_means(used),
            agreement=kendalls_w(juror_totals(used, criteria)),
            jurors=len(await self.jurors(round_id)),
            peer=peer,
            rankings=len(rankings),
            head=await self.head(round_id),
        )

    async def _rankings(self, round_id: int) -> list[list[int]]:
        rows = await self.session.scalars(
            select(ContestPeerRanking.ranking)
            .where(ContestPeerRanking.round_id == round_id)
            .order_by(ContestPeerRanking.district_id, ContestPeerRanking.khoroo_number)
        )
        return [list(r) for r in rows.all()]

    async def close_round(self, round_id: int, actor_id: int | None) -> Closing:
        """Close a round; a district round's top N advance to the year's capital round."""
        contest_round = await self.round(round_id, lock=True)
        if contest_round.state != OPEN:
            raise JudgingError("closed")
        contest_round.state = CLOSED
        contest_round.closed_at = utcnow()
        AuditLog(self.session).record(actor_id, "contest.round_closed", f"round:{round_id}")
        if contest_round.level != DISTRICT:
            await self.session.flush()
            return Closing(
                advanced=[],
                capital_round_id=None,
                round_id=round_id,
                winners=await self.winners(round_id),
            )
        result = await self.results(round_id)
        advanced = [
            s.practice for s in result.standings[: contest_round.top_n] if s.total is not None
        ]
        capital = await self._capital_round(contest_round.year, actor_id)
        if capital.state != OPEN:
            raise JudgingError("capital_closed")
        already = set(await self.practices(capital.id))
        for practice_id in advanced:
            if practice_id not in already:
                self.session.add(
                    ContestEntry(
                        round_id=capital.id, practice_id=practice_id, advanced_from=round_id
                    )
                )
        await self.session.flush()
        return Closing(advanced=advanced, capital_round_id=capital.id, round_id=round_id)

    async def _capital_round(self, year: int, actor_id: int | None) -> ContestRound:
        found = (
            await self.session.scalars(
                select(ContestRound).where(ContestRound.year == year, ContestRound.level == CAPITAL)
            )
        ).first()
        if found is not None:
            return found
        chosen = await self.settings(year, CAPITAL)
        capital = ContestRound(
            year=year,
            level=CAPITAL,
            opened_by=actor_id,
            top_n=chosen.top_n,
            peer_share=0,  # khoroos rank in the district round only
            normalise=chosen.normalise,
            blind=chosen.blind,
        )
        self.session.add(capital)
        await self.session.flush()
        AuditLog(self.session).record(
            actor_id, "contest.round_opened", f"round:{capital.id}", year=year, level=CAPITAL
        )
        return capital

    async def verify(self, year: int) -> list[RoundCheck]:
        """Recompute every round's chain and totals of a year from the log alone.

        Compares what the log says is in force (marks, comments, rankings) with the tables
        the bot reads, naming the log entry that set each value that differs.
        """
        checks = []
        criteria = await self.rubric(year)
        for contest_round in await self.rounds(year):
            entries = await self.log(contest_round.id)
            check = RoundCheck(
                round=contest_round,
                entries=len(entries),
                head=entries[-1].hash if entries else GENESIS,
                problems=verify_chain(entries),
            )
            logged = latest_score_entries(entries)
            in_force = {
                (s.juror, s.practice, s.criterion): int(s.value)
                for s in await self.scores(contest_round.id)
            }
            for key in sorted(set(logged) | set(in_force)):
                entry = logged.get(key)
                value = None if entry is None else entry.value
                if value != in_force.get(key):
                    juror, practice, criterion = key
                    where = "no entry" if entry is None else f"entry {entry.seq}"
                    check.mismatches.append(
                        f"juror {juror}, practice {practice}, {criterion}: "
                        f"log {value} ({where}), scores {in_force.get(key)}"
                    )
            noted = latest_comments(entries)
            comments = {
                (c.juror, c.practice): c.text for c in await self.comments(contest_round.id)
            }
            for pair in sorted(set(noted) | set(comments)):
                entry_ = noted.get(pair)
                text = None if entry_ is None else entry_.comment
                if text != comments.get(pair):
                    where = "no entry" if entry_ is None else f"entry {entry_.seq}"
                    check.mismatches.append(
                        f"comment of juror {pair[0]} on practice {pair[1]} differs ({where})"
                    )
            ranked = latest_rankings(entries)
            rows = {
                (r.district_id, r.khoroo_number): list(r.ranking)
                for r in (
                    await self.session.scalars(
                        select(ContestPeerRanking).where(
                            ContestPeerRanking.round_id == contest_round.id
                        )
                    )
                ).all()
            }
            for khoroo in sorted(set(ranked) | set(rows)):
                peer_entry = ranked.get(khoroo)
                order = None if peer_entry is None else ranking_order(peer_entry)
                if order != rows.get(khoroo):
                    where = "no entry" if peer_entry is None else f"entry {peer_entry.seq}"
                    check.mismatches.append(
                        f"ranking of khoroo {khoroo[1]} (district {khoroo[0]}) differs ({where})"
                    )
            standings = rank(
                latest_scores(entries),
                criteria,
                normalised=contest_round.normalise,
                peer=borda(ranking_order(e) for e in ranked.values()),
                peer_share=contest_round.peer_share,
            )
            check.totals = {s.practice: s.total for s in standings if s.total is not None}
            shown = {
                s.practice: s.total
                for s in (await self.results(contest_round.id)).standings
                if s.total is not None
            }
            for practice in sorted(set(check.totals) | set(shown)):
                logged_total, shown_total = check.totals.get(practice), shown.get(practice)
                if (
                    logged_total is None
                    or shown_total is None
                    or (abs(logged_total - shown_total) > 1e-9)
                ):
                    check.mismatches.append(
                        f"total of practice {practice}: log {_points(logged_total)}, "
                        f"tables {_points(shown_total)}"
                    )
            checks.append(check)
        return checks

    # --- Settings per year and level (the contest file or an admin) ---

    async def settings(self, year: int, level: str) -> RoundSettings:
        """Return a year's settings for a level (the defaults when nobody set them)."""
        if level not in LEVELS:
            raise JudgingError("bad_settings")
        row = await self._settings_row(year, level)
        if row is None:
            return RoundSettings(level)
        return RoundSettings(level, row.top_n, row.peer_share, row.normalise, row.blind)

    async def _settings_row(self, year: int, level: str) -> ContestSettings | None:
        return (
            await self.session.scalars(
                select(ContestSettings).where(
                    ContestSettings.year == year, ContestSettings.level == level
                )
            )
        ).first()

    async def set_settings(
        self,
        year: int,
        level: str,
        *,
        actor_id: int | None = None,
        top_n: int | None = None,
        peer_share: int | None = None,
        normalise: bool | None = None,
        blind: bool | None = None,
    ) -> RoundSettings:
        """Change what is given of a year's settings for a level, and its rounds still open.

        Refused ("bad_settings"): an unknown level, top N below 1, a peer share outside
        0..100, or a peer share in the capital round (khoroos rank in district rounds).
        """
        current = await self.settings(year, level)
        chosen = RoundSettings(
            level,
            current.top_n if top_n is None else top_n,
            current.peer_share if peer_share is None else peer_share,
            current.normalise if normalise is None else normalise,
            current.blind if blind is None else blind,
        )
        if (
            isinstance(chosen.top_n, bool)
            or chosen.top_n < 1
            or not 0 <= chosen.peer_share <= 100
            or (level == CAPITAL and chosen.peer_share)
        ):
            raise JudgingError("bad_settings")
        row = await self._settings_row(year, level)
        if row is None:
            row = ContestSettings(year=year, level=level)
            self.session.add(row)
        row.top_n, row.peer_share = chosen.top_n, chosen.peer_share
        row.normalise, row.blind, row.updated_by = chosen.normalise, chosen.blind, actor_id
        for contest_round in await self.rounds(year):
            if contest_round.level == level and contest_round.state == OPEN:
                contest_round.top_n, contest_round.peer_share = chosen.top_n, chosen.peer_share
                contest_round.normalise, contest_round.blind = chosen.normalise, chosen.blind
        AuditLog(self.session).record(
            actor_id,
            "contest.settings",
            f"contest:{year}",
            level=level,
            top_n=chosen.top_n,
            peer_share=chosen.peer_share,
            normalise=chosen.normalise,
            blind=chosen.blind,
        )
        await self.session.flush()
        return chosen

    async def apply(self, spec: JudgingSpec, actor_id: int | None = None) -> None:
        """Apply a contest file's judging for a year: its settings and rubric."""
        for level, values in spec.settings.items():
            await self.set_settings(spec.year, level, actor_id=actor_id, **values)
        if spec.rubric is not None:
            await self.set_rubric(spec.year, spec.rubric)

    async def open_year(self, year: int, actor_id: int | None = None) -> list[ContestRound]:
        """Open, with the year's district settings, each district round not open yet."""
        return [
            await self.open_district_round(year, district_id, actor_id=actor_id)
            for district_id in await self.districts_to_judge(year)
        ]

    # --- Comments ---

    async def set_comment(
        self, round_id: int, juror_id: int, practice_id: int, text: str | None
    ) -> Recorded:
        """Set (or clear, with None or blank) a juror's comment on a practice; chain it.

        Refused as a mark is ("closed", "not_juror", "not_in_round", "own_khoroo"), and
        "comment_too_long" past COMMENT_LIMIT characters.
        """
        contest_round = await self.round(round_id, lock=True)
        if contest_round.state != OPEN:
            raise JudgingError("closed")
        if juror_id not in await self.jurors(round_id):
            raise JudgingError("not_juror")
        if practice_id not in await self.practices(round_id):
            raise JudgingError("not_in_round")
        if await self.own_practice(juror_id, practice_id):
            raise JudgingError("own_khoroo")
        cleaned = (text or "").strip() or None
        if cleaned is not None and len(cleaned) > COMMENT_LIMIT:
            raise JudgingError("comment_too_long")
        row = await self._comment_row(round_id, juror_id, practice_id)
        if (row.text if row is not None else None) == cleaned:
            return Recorded(changed=False, seq=None)
        now = utcnow().replace(microsecond=0)
        if cleaned is None:
            assert row is not None
            await self.session.delete(row)
        elif row is None:
            self.session.add(
                ContestComment(
                    round_id=round_id,
                    juror_id=juror_id,
                    practice_id=practice_id,
                    text=cleaned,
                    updated_at=now,
                )
            )
        else:
            row.text, row.updated_at = cleaned, now
        seq = await self.append(round_id, juror_id, practice_id, "", 0, cleaned, now, kind=COMMENT)
        return Recorded(changed=True, seq=seq)

    async def _comment_row(
        self, round_id: int, juror_id: int, practice_id: int
    ) -> ContestComment | None:
        return (
            await self.session.scalars(
                select(ContestComment).where(
                    ContestComment.round_id == round_id,
                    ContestComment.juror_id == juror_id,
                    ContestComment.practice_id == practice_id,
                )
            )
        ).first()

    async def comment(self, round_id: int, juror_id: int, practice_id: int) -> str | None:
        """Return a juror's comment in force on a practice."""
        row = await self._comment_row(round_id, juror_id, practice_id)
        return None if row is None else row.text

    async def comments(self, round_id: int) -> list[Comment]:
        """Return every comment in force in a round, by practice then juror."""
        rows = await self.session.scalars(
            select(ContestComment)
            .where(ContestComment.round_id == round_id)
            .order_by(ContestComment.practice_id, ContestComment.juror_id)
        )
        return [Comment(r.juror_id, r.practice_id, r.text) for r in rows.all()]

    # --- Progress ---

    async def sheet(self, round_id: int, juror_id: int) -> list[int]:
        """Return the practices a juror may score in a round (their own khoroo's left out)."""
        juror = await self.session.get(User, juror_id)
        if juror is None:
            return []  # as own_practice: an unknown user scores nothing
        # One query, the same rule as own_practice (NULLs never make a practice one's own).
        query = (
            select(ContestEntry.practice_id)
            .join(Practice, Practice.id == ContestEntry.practice_id)
            .where(
                ContestEntry.round_id == round_id,
                or_(Practice.submitter_id.is_(None), Practice.submitter_id != juror_id),
            )
            .order_by(ContestEntry.practice_id)
        )
        if juror.district_id is not None and juror.khoroo_number is not None:
            query = query.where(
                or_(
                    Practice.district_id.is_(None),
                    Practice.khoroo_number.is_(None),
                    Practice.district_id != juror.district_id,
                    Practice.khoroo_number != juror.khoroo_number,
                )
            )
        return list((await self.session.scalars(query)).all())

    async def progress(self, round_id: int) -> list[JurorProgress]:
        """Return each juror's progress in a round: fully scored practices out of theirs."""
        contest_round = await self.round(round_id)
        needed = len(await self.rubric(contest_round.year))
        marks: dict[tuple[int, int], int] = {}
        for score in await self.scores(round_id):
            key = (score.juror, score.practice)
            marks[key] = marks.get(key, 0) + 1
        result = []
        for juror in await self.jurors(round_id):
            mine = await self.sheet(round_id, juror)
            done = sum(1 for p in mine if marks.get((juror, p), 0) >= needed)
            result.append(JurorProgress(juror, done, len(mine)))
        return result

    async def unfinished(self, round_id: int) -> list[int]:
        """Return the jurors of a round who have not fully scored every practice of theirs."""
        return [p.juror for p in await self.progress(round_id) if not p.finished]

    # --- Chain heads and winners ---

    async def head(self, round_id: int) -> str:
        """Return the hash of a round's last log entry (the genesis hash when empty)."""
        found = await self.session.scalar(
            select(ContestScoreLog.hash)
            .where(ContestScoreLog.round_id == round_id)
            .order_by(ContestScoreLog.seq.desc())
            .limit(1)
        )
        return found or GENESIS

    async def year_head(self, year: int) -> str:
        """Return the year's digest over its rounds' heads (what published results print)."""
        return year_head({r.id: await self.head(r.id) for r in await self.rounds(year)})

    async def capital_round(self, year: int) -> ContestRound | None:
        """Return the year's capital round, if there is one yet."""
        return (
            await self.session.scalars(
                select(ContestRound).where(ContestRound.year == year, ContestRound.level == CAPITAL)
            )
        ).first()

    async def winners(self, round_id: int) -> list[int]:
        """Return a capital round's winners: its first top N places that were scored."""
        contest_round = await self.round(round_id)
        if contest_round.level != CAPITAL:
            return []
        result = await self.results(round_id)
        return [s.practice for s in result.standings[: contest_round.top_n] if s.total is not None]
