"""Peer ranking: in a district round each khoroo ranks the other khoroos' practices.

One ranking per khoroo, made by its officers (registered users of the khoroo with a khoroo
position), never including the khoroo's own practices; the last ranking an officer of the
khoroo submits replaces the khoroo's ranking. Every submission is appended to the round's
hash chain (kind "peer") in the caller's transaction. A ranking becomes a peer score out of
100 by Borda (knowledge.contest.borda), which counts for the round's peer share of the total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.contest import PEER, borda, ranking_data
from storage.contest_judging import DISTRICT, OPEN, Judging, JudgingError, Recorded
from storage.models import (
    ContestEntry,
    ContestPeerRanking,
    ContestRound,
    Practice,
    User,
    utcnow,
)
from storage.users import KHOROO_STAFF


@dataclass(frozen=True)
class KhorooRanking:
    """A khoroo's ranking in force: who submitted it last and the practices, best first."""

    district_id: int
    khoroo_number: int
    officer_id: int
    order: list[int]


class PeerRanking:
    """Repository of the khoroos' rankings in district rounds; it never commits.

    Refusals raise JudgingError: "unknown_round", "closed", "not_district_round",
    "not_officer" (not a registered khoroo officer of the round's district) and
    "bad_ranking" (not every practice of the khoroo's ballot exactly once).
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.judging = Judging(session)

    async def _officer(self, contest_round: ContestRound, officer_id: int) -> User:
        officer = await self.session.get(User, officer_id)
        if (
            officer is None
            or not officer.registered
            or officer.position not in KHOROO_STAFF
            or officer.khoroo_number is None
            or officer.district_id is None
            or officer.district_id != contest_round.district_id
        ):
            raise JudgingError("not_officer")
        return officer

    async def rounds_for(self, officer_id: int) -> list[ContestRound]:
        """Return the open district rounds in which this officer's khoroo may rank."""
        officer = await self.session.get(User, officer_id)
        if (
            officer is None
            or not officer.registered
            or officer.position not in KHOROO_STAFF
            or officer.khoroo_number is None
            or officer.district_id is None
        ):
            return []
        rows = await self.session.scalars(
            select(ContestRound)
            .where(
                ContestRound.level == DISTRICT,
                ContestRound.state == OPEN,
                ContestRound.district_id == officer.district_id,
            )
            .order_by(ContestRound.id)
        )
        return list(rows.all())

    async def _ballot(self, contest_round: ContestRound, officer: User) -> list[int]:
        # One query: the round's practices but the khoroo's own and any the officer wrote.
        rows = await self.session.scalars(
            select(ContestEntry.practice_id)
            .join(Practice, Practice.id == ContestEntry.practice_id)
            .where(
                ContestEntry.round_id == contest_round.id,
                or_(Practice.submitter_id.is_(None), Practice.submitter_id != officer.id),
                or_(
                    Practice.district_id.is_(None),
                    Practice.khoroo_number.is_(None),
                    Practice.district_id != officer.district_id,
                    Practice.khoroo_number != officer.khoroo_number,
                ),
            )
            .order_by(ContestEntry.practice_id)
        )
        return list(rows.all())

    async def _district_round(self, round_id: int, *, lock: bool = False) -> ContestRound:
        contest_round = await self.judging.round(round_id, lock=lock)
        if contest_round.level != DISTRICT or contest_round.district_id is None:
            raise JudgingError("not_district_round")
        return contest_round

    async def ballot(self, round_id: int, officer_id: int) -> list[int]:
        """Return the practices the officer's khoroo ranks: the round's, its own left out."""
        contest_round = await self._district_round(round_id)
        officer = await self._officer(contest_round, officer_id)
        return await self._ballot(contest_round, officer)

    async def submit(self, round_id: int, officer_id: int, order: Sequence[int]) -> Recorded:
        """Record the khoroo's ranking (every practice of the ballot once, best first).

        It replaces the khoroo's ranking, whichever of its officers made that one, and is
        appended to the round's chain; the same order submitted again changes nothing.
        """
        contest_round = await self._district_round(round_id, lock=True)
        if contest_round.state != OPEN:
            raise JudgingError("closed")
        officer = await self._officer(contest_round, officer_id)
        ballot = await self._ballot(contest_round, officer)
        chosen = [int(p) for p in order if not isinstance(p, bool)]
        if len(chosen) != len(order) or sorted(chosen) != sorted(ballot) or not ballot:
            raise JudgingError("bad_ranking")
        assert officer.district_id is not None and officer.khoroo_number is not None
        row = (
            await self.session.scalars(
                select(ContestPeerRanking).where(
                    ContestPeerRanking.round_id == round_id,
                    ContestPeerRanking.district_id == officer.district_id,
                    ContestPeerRanking.khoroo_number == officer.khoroo_number,
                )
            )
        ).first()
        if row is not None and list(row.ranking) == chosen:
            return Recorded(changed=False, seq=None)
        now = utcnow().replace(microsecond=0)
        if row is None:
            self.session.add(
                ContestPeerRanking(
                    round_id=round_id,
                    district_id=officer.district_id,
                    khoroo_number=officer.khoroo_number,
                    officer_id=officer_id,
                    ranking=chosen,
                    updated_at=now,
                )
            )
        else:
            row.officer_id, row.ranking, row.updated_at = officer_id, chosen, now
        data = ranking_data(officer.district_id, officer.khoroo_number, chosen)
        seq = await self.judging.append(
            round_id, officer_id, 0, "", 0, None, now, kind=PEER, data=data
        )
        return Recorded(changed=True, seq=seq)

    async def ranking_of(self, round_id: int, officer_id: int) -> KhorooRanking | None:
        """Return the ranking in force of the officer's khoroo, if it has one."""
        officer = await self.session.get(User, officer_id)
        if officer is None or officer.district_id is None or officer.khoroo_number is None:
            return None
        for ranking in await self.rankings(round_id):
            if (ranking.district_id, ranking.khoroo_number) == (
                officer.district_id,
                officer.khoroo_number,
            ):
                return ranking
        return None

    async def rankings(self, round_id: int) -> list[KhorooRanking]:
        """Return every khoroo's ranking in force in a round, by district and khoroo."""
        rows = await self.session.scalars(
            select(ContestPeerRanking)
            .where(ContestPeerRanking.round_id == round_id)
            .order_by(ContestPeerRanking.district_id, ContestPeerRanking.khoroo_number)
        )
        return [
            KhorooRanking(r.district_id, r.khoroo_number, r.officer_id, list(r.ranking))
            for r in rows.all()
        ]

    async def scores(self, round_id: int) -> dict[int, float]:
        """Return each ranked practice's peer score out of 100 (Borda over the rankings)."""
        return borda(r.order for r in await self.rankings(round_id))
