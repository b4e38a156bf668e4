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

from sqlalchemy.ext.asyncio import AsyncSession

from storage.contest_judging import Recorded
from storage.models import ContestRound


@dataclass(frozen=True)
class KhorooRanking:
    """A khoroo's ranking in force: who submitted it last and the practices, best first."""

    district_id: int
    khoroo_number: int
    officer_id: int
    order: list[int]


class PeerRanking:
    """Repository of the khoroos' rankings in district rounds; it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rounds_for(self, officer_id: int) -> list[ContestRound]:
        """Return the open district rounds in which this officer's khoroo may rank."""
        raise NotImplementedError

    async def ballot(self, round_id: int, officer_id: int) -> list[int]:
        """Return the practices the officer's khoroo ranks: the round's, its own left out."""
        raise NotImplementedError

    async def submit(self, round_id: int, officer_id: int, order: Sequence[int]) -> Recorded:
        """Record the khoroo's ranking (every practice of the ballot once, best first)."""
        raise NotImplementedError

    async def ranking_of(self, round_id: int, officer_id: int) -> KhorooRanking | None:
        """Return the ranking in force of the officer's khoroo, if it has one."""
        raise NotImplementedError

    async def rankings(self, round_id: int) -> list[KhorooRanking]:
        """Return every khoroo's ranking in force in a round, by district and khoroo."""
        raise NotImplementedError

    async def scores(self, round_id: int) -> dict[int, float]:
        """Return each ranked practice's peer score out of 100 (Borda over the rankings)."""
        raise NotImplementedError
