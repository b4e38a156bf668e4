"""Count ballots: votes and shares for one or several choices, Borda points for rankings.

A ranking ballot lists option indexes from most to least preferred; it may stop early.
With n options, the option placed first gets n-1 points, the next n-2, and so on; an option
a voter did not place gets nothing (the usual way to count partial Borda ballots).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SINGLE, MULTIPLE, RANKING = "single", "multiple", "ranking"
KINDS = (SINGLE, MULTIPLE, RANKING)


@dataclass(frozen=True)
class OptionResult:
    """How one option did."""

    index: int
    votes: int  # ballots that chose (or ranked) the option
    share: float  # 0..1: of the voters, or of the points possible for a ranking
    points: int = 0  # Borda points (rankings only)
    average_position: float | None = None  # 1 = first place, over the ballots that placed it


@dataclass(frozen=True)
class Tally:
    """The result of a vote."""

    kind: str
    ballots: int
    options: tuple[OptionResult, ...]

    def ordered(self) -> tuple[OptionResult, ...]:
        """Return the options as results are read: rankings by points, others as asked."""
        if self.kind != RANKING:
            return self.options
        return tuple(
            sorted(
                self.options,
                key=lambda o: (-o.points, o.average_position or float("inf"), o.index),
            )
        )


def tap(kind: str, ballot: Sequence[int], index: int) -> list[int]:
    """Return the choices after a tap on an option of a single or multiple choice vote.

    A single choice takes the tapped option; a multiple choice toggles it, keeping the order
    of the earlier taps. An empty result withdraws the ballot.
    """
    if kind == SINGLE:
        return [index]
    return [i for i in ballot if i != index] if index in ballot else [*ballot, index]


def tally(kind: str, option_count: int, ballots: Iterable[Sequence[int]]) -> Tally:
    """Count the ballots of a vote with the given number of options."""
    votes = [0] * option_count
    points = [0] * option_count
    positions = [0] * option_count
    counted = 0
    for ballot in ballots:
        chosen = _clean(ballot, option_count)
        if not chosen:
            continue
        if kind == SINGLE:
            chosen = chosen[:1]
        counted += 1
        for place, index in enumerate(chosen):
            votes[index] += 1
            if kind == RANKING:
                points[index] += option_count - 1 - place
                positions[index] += place + 1
    if kind == RANKING:
        most = counted * (option_count - 1)
        results = tuple(
            OptionResult(
                i,
                votes[i],
                points[i] / most if most else 0.0,
                points[i],
                positions[i] / votes[i] if votes[i] else None,
            )
            for i in range(option_count)
        )
    else:
        results = tuple(
            OptionResult(i, votes[i], votes[i] / counted if counted else 0.0)
            for i in range(option_count)
        )
    return Tally(kind, counted, results)


def _clean(ballot: Sequence[int], option_count: int) -> list[int]:
    # Keep each valid option once, in the voter's order: a stale or forged index counts nothing.
    seen: list[int] = []
    for index in ballot:
        if isinstance(index, int) and 0 <= index < option_count and index not in seen:
            seen.append(index)
    return seen
