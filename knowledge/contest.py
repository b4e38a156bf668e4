"""Contest judging arithmetic: rubric, weighted totals, normalisation, ranking, agreement, chain.

Pure functions over plain values; storage/contest_judging.py feeds them from the database.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

RESULTS = "results_impact"
GENESIS = "0" * 64


@dataclass(frozen=True)
class Criterion:
    """A rubric criterion: its weight and the 1..5 scale the juror scores it on."""

    code: str
    name_mn: str
    name_en: str
    description_mn: str
    description_en: str
    weight: int
    scale_min: int = 1
    scale_max: int = 5

    def name(self, language: str) -> str:
        """Return the name in the given language."""
        return self.name_mn if language == "mn" else self.name_en

    def description(self, language: str) -> str:
        """Return the one-line description in the given language."""
        return self.description_mn if language == "mn" else self.description_en


# The Galing Pook weighting (Philippines' award for local governance), used unless the
# contest file or an admin sets another rubric for the year.
DEFAULT_RUBRIC: tuple[Criterion, ...] = (
    Criterion(
        RESULTS,
        "Үр дүн, нөлөө",
        "Results and impact",
        "Иргэдийн амьдралд бодитоор ямар өөрчлөлт гарсныг тоо баримтаар харуулж чадсан уу?",
        "What real change did it bring to residents' lives, shown with figures?",
        30,
    ),
    Criterion(
        "participation",
        "Иргэдийн оролцоо",
        "Citizen participation",
        "Иргэд төлөвлөх, хэрэгжүүлэх, хянах шатанд хэр идэвхтэй оролцсон бэ?",
        "How actively did residents take part in planning, doing and checking it?",
        30,
    ),
    Criterion(
        "innovation",
        "Шинэлэг байдал",
        "Innovation",
        "Асуудлыг шийдэх шинэ, өвөрмөц арга санал болгосон уу?",
        "Does it offer a new, original way of solving the problem?",
        15,
    ),
    Criterion(
        "transferability",
        "Түгээх боломж, тогтвортой байдал",
        "Transferability and sustainability",
        "Өөр хороо нэвтрүүлж болох уу, санхүүжилт дуусахад ч үргэлжлэх үү?",
        "Can other khoroos adopt it, and will it last once the funding ends?",
        15,
    ),
    Criterion(
        "efficiency",
        "Үр ашиг",
        "Efficiency",
        "Зарцуулсан хөрөнгө, хүч хөдөлмөртэй харьцуулахад үр дүн нь хэр өндөр вэ?",
        "How much did it achieve for the money and effort it took?",
        10,
    ),
)


@dataclass(frozen=True)
class Score:
    """One juror's mark for one practice on one criterion (float once normalised)."""

    juror: int
    practice: int
    criterion: str
    value: float


@dataclass(frozen=True)
class Standing:
    """A practice's place in a round, with what the tie-break looked at."""

    practice: int
    rank: int
    total: float | None
    results_mean: float | None
    top_marks: int
    submitted_at: datetime | None
    # With a peer share, `total` mixes both; these are the parts (each out of 100).
    jury_total: float | None = None
    peer_score: float | None = None


def _rounded(value: float | None) -> float | None:
    # Floats summed in another order differ in the last bits: compare what people would see.
    return None if value is None else round(value, 9)


def criterion_means(scores: Iterable[Score]) -> dict[int, dict[str, float]]:
    """Return each practice's mean mark per criterion, over the jurors who gave one."""
    sums: dict[tuple[int, str], list[float]] = defaultdict(list)
    for score in scores:
        sums[(score.practice, score.criterion)].append(score.value)
    means: dict[int, dict[str, float]] = defaultdict(dict)
    for (practice, criterion), values in sums.items():
        means[practice][criterion] = sum(values) / len(values)
    return dict(means)


def weighted_totals(scores: Iterable[Score], criteria: Sequence[Criterion]) -> dict[int, float]:
    """Return each scored practice's total out of 100: weighted criterion means over the maxima.

    A criterion nobody has scored yet counts as its scale's minimum, so an unfinished sheet
    never lifts a practice above one that was fully scored alike.
    """
    weights = sum(c.weight for c in criteria)
    if weights <= 0:
        return {}
    totals: dict[int, float] = {}
    for practice, means in criterion_means(scores).items():
        points = sum(c.weight * means.get(c.code, c.scale_min) / c.scale_max for c in criteria)
        totals[practice] = 100 * points / weights
    return totals


def normalise(scores: Sequence[Score], scale_min: int = 1, scale_max: int = 5) -> list[Score]:
    """Rescale each juror's marks to z-scores around the scale's middle, clamped to the scale.

    A juror's mean becomes the middle of the scale and one of their standard deviations a
    quarter of its range, so a harsh or a lenient juror weighs the same as any other; a juror
    who gave one value throughout says nothing about order and lands on the middle.
    """
    middle = (scale_min + scale_max) / 2
    spread = (scale_max - scale_min) / 4
    by_juror: dict[int, list[float]] = defaultdict(list)
    for score in scores:
        by_juror[score.juror].append(score.value)
    moments: dict[int, tuple[float, float]] = {}
    for juror, values in by_juror.items():
        mean = sum(values) / len(values)
        deviation = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        moments[juror] = (mean, deviation)
    result = []
    for score in scores:
        mean, deviation = moments[score.juror]
        z = 0.0 if deviation < 1e-12 else (score.value - mean) / deviation
        value = min(scale_max, max(scale_min, middle + z * spread))
        result.append(Score(score.juror, score.practice, score.criterion, value))
    return result


def rank(
    scores: Sequence[Score],
    criteria: Sequence[Criterion],
    *,
    practices: Iterable[int] = (),
    submitted_at: Mapping[int, datetime | None] | None = None,
    normalised: bool = False,
    raw_for_top_marks: Sequence[Score] | None = None,
    peer: Mapping[int, float] | None = None,
    peer_share: int = 0,
) -> list[Standing]:
    """Rank practices: higher total, then higher results-and-impact mean, then more top marks,
    then earlier submission, then lower id (so the order never depends on input order).

    `practices` adds practices nobody scored yet (ranked last, total None). Top marks count
    the jurors' raw marks at the scale's maximum (pass them as `raw_for_top_marks` when the
    scores were normalised). With a `peer_share` (percent) the total is that share of the
    peer score (`peer`, 0..100; see combined_totals) and the rest of the jury's total; a
    practice neither scored nor ranked stays unscored.
    """
    used = normalise(scores, *_scale(criteria)) if normalised else list(scores)
    jury = weighted_totals(used, criteria)
    peers = dict(peer or {})
    totals = combined_totals(jury, peers, peer_share)
    means = criterion_means(used)
    top = max((c.scale_max for c in criteria), default=5)
    raw = scores if raw_for_top_marks is None else raw_for_top_marks
    top_marks: dict[int, int] = defaultdict(int)
    for score in raw:
        if score.value >= top:
            top_marks[score.practice] += 1
    ids = set(practices) | set(totals)
    dates = submitted_at or {}

    def key(practice: int) -> tuple[object, ...]:
        total = _rounded(totals.get(practice))
        results = _rounded(means.get(practice, {}).get(RESULTS))
        when = dates.get(practice)
        return (
            total is None,
            -(total or 0.0),
            -(results or 0.0),
            -top_marks[practice],
            when is None,
            when.timestamp() if when is not None else 0.0,
            practice,
        )

    ordered = sorted(ids, key=key)
    return [
        Standing(
            practice=p,
            rank=place,
            total=totals.get(p),
            results_mean=means.get(p, {}).get(RESULTS),
            top_marks=top_marks[p],
            submitted_at=dates.get(p),
            jury_total=jury.get(p),
            peer_score=peers.get(p),
        )
        for place, p in enumerate(ordered, start=1)
    ]


# The peer score of a practice no khoroo ranked: what a random ranking gives on average.
NEUTRAL_PEER = 50.0


def combined_totals(
    jury: Mapping[int, float], peer: Mapping[int, float], peer_share: int
) -> dict[int, float]:
    """Mix the jury's totals and the peer scores (both out of 100) by the peer share (percent).

    Without a share, or before any khoroo ranked, the peer scores are only shown, never
    counted. A practice no khoroo ranked (a khoroo never ranks its own, so with few rankings
    some are left out) counts NEUTRAL_PEER rather than 0; one the jury has not scored
    counts its jury part as 0.
    """
    if peer_share <= 0 or not peer:
        return dict(jury)
    share = min(peer_share, 100) / 100
    practices = set(jury) | set(peer)
    return {
        p: (1 - share) * jury.get(p, 0.0) + share * peer.get(p, NEUTRAL_PEER) for p in practices
    }


def borda(rankings: Iterable[Sequence[int]]) -> dict[int, float]:
    """Return each practice's peer score out of 100: its mean Borda share over the rankings.

    In a ranking of n practices the first gets n − 1 points and the last 0; dividing by
    n − 1 makes rankings of different lengths weigh alike (first = 100, last = 0). A ranking
    of one practice gives it 100. Practices no ranking names are left out.
    """
    points: dict[int, list[float]] = defaultdict(list)
    for ranking in rankings:
        n = len(ranking)
        for place, practice in enumerate(ranking):
            points[practice].append(100.0 if n == 1 else 100 * (n - 1 - place) / (n - 1))
    return {p: sum(values) / len(values) for p, values in points.items()}


def _scale(criteria: Sequence[Criterion]) -> tuple[int, int]:
    if not criteria:
        return 1, 5
    return min(c.scale_min for c in criteria), max(c.scale_max for c in criteria)


def advancing(standings: Mapping[int, Sequence[Standing]], top_n: int) -> dict[int, list[int]]:
    """Return, per district, the practices of its first `top_n` places that were scored."""
    return {
        district: [s.practice for s in ranked[:top_n] if s.total is not None]
        for district, ranked in standings.items()
    }


def average_ranks(values: Mapping[int, float]) -> dict[int, float]:
    """Rank items by value, highest first as rank 1; tied items share their mean rank."""
    ordered = sorted(values.items(), key=lambda item: -item[1])
    ranks: dict[int, float] = {}
    start = 0
    while start < len(ordered):
        end = start
        while end + 1 < len(ordered) and _rounded(ordered[end + 1][1]) == _rounded(
            ordered[start][1]
        ):
            end += 1
        mean_rank = (start + end) / 2 + 1
        for item, _value in ordered[start : end + 1]:
            ranks[item] = mean_rank
        start = end + 1
    return ranks


def kendalls_w(judgements: Mapping[int, Mapping[int, float]]) -> float | None:
    """Return Kendall's W (0 = no agreement, 1 = full) of jurors' values per practice.

    Only practices every juror judged count. Ties get mean ranks and the usual correction
    (the sum of t³ − t over each juror's tie groups). None when it is undefined: fewer than
    two jurors or two common practices, or every juror tied everything.
    """
    jurors = [j for j in judgements if judgements[j]]
    if len(jurors) < 2:
        return None
    common = set.intersection(*(set(judgements[j]) for j in jurors))
    n, m = len(common), len(jurors)
    if n < 2:
        return None
    sums: dict[int, float] = defaultdict(float)
    correction = 0.0
    for juror in jurors:
        values = {p: judgements[juror][p] for p in common}
        ranks = average_ranks(values)
        for practice, r in ranks.items():
            sums[practice] += r
        groups: dict[float, int] = defaultdict(int)
        for r in ranks.values():
            groups[r] += 1
        correction += sum(t**3 - t for t in groups.values())
    mean = m * (n + 1) / 2
    s = sum((total - mean) ** 2 for total in sums.values())
    denominator = m**2 * (n**3 - n) - m * correction
    if denominator <= 0:
        return None
    return 12 * s / denominator


def juror_totals(
    scores: Iterable[Score], criteria: Sequence[Criterion]
) -> dict[int, dict[int, float]]:
    """Return each juror's own weighted total per practice (what Kendall's W compares)."""
    by_juror: dict[int, list[Score]] = defaultdict(list)
    for score in scores:
        by_juror[score.juror].append(score)
    return {juror: weighted_totals(own, criteria) for juror, own in by_juror.items()}


# --- The hash-chained score log ---

# What an entry records: a juror's mark, a juror's comment on a practice, a khoroo's ranking.
SCORE, COMMENT, PEER = "score", "comment", "peer"


@dataclass(frozen=True)
class LogEntry:
    """One appended event (a mark, a comment or a khoroo's ranking), as the chain hashes it.

    A comment carries its text in `comment` (criterion "" and value 0); a ranking carries
    the officer in `juror` and `{"district", "khoroo", "order"}` as canonical JSON in `data`.
    """

    seq: int
    round_id: int
    juror: int
    practice: int
    criterion: str
    value: int
    comment: str | None
    at: datetime
    prev_hash: str
    hash: str
    kind: str = SCORE
    data: str | None = None


def canonical(
    seq: int,
    round_id: int,
    juror: int,
    practice: int,
    criterion: str,
    value: int,
    comment: str | None,
    at: datetime,
    *,
    kind: str = SCORE,
    data: str | None = None,
) -> str:
    """Return the entry's canonical JSON: sorted keys, no spaces, UTF-8, UTC to the second.

    A mark's JSON has no "kind" (so marks chained before comments and rankings existed keep
    their hashes); the other kinds add "kind" and "data".
    """
    body: dict[str, object] = {
        "seq": seq,
        "round": round_id,
        "juror": juror,
        "practice": practice,
        "criterion": criterion,
        "value": value,
        "comment": comment,
        "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if kind != SCORE:
        body["kind"], body["data"] = kind, data
    return json.dumps(
        body,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def chain_hash(prev_hash: str, body: str) -> str:
    """Return SHA-256 (hex) over the previous hash followed by the entry's canonical JSON."""
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def entry_hash(entry: LogEntry) -> str:
    """Recompute an entry's hash from its content and the previous hash it carries."""
    body = canonical(
        entry.seq,
        entry.round_id,
        entry.juror,
        entry.practice,
        entry.criterion,
        entry.value,
        entry.comment,
        entry.at,
        kind=entry.kind,
        data=entry.data,
    )
    return chain_hash(entry.prev_hash, body)


@dataclass(frozen=True)
class ChainProblem:
    """Where the chain breaks: an altered, removed or inserted entry (by sequence number)."""

    kind: str  # "altered", "removed" or "inserted"
    seq: int
    detail: str


def verify_chain(entries: Sequence[LogEntry]) -> list[ChainProblem]:
    """Check a chain in sequence order; report every break, the first one first.

    Altered: the content no longer gives the stored hash. Removed: sequence numbers are
    missing. Inserted: an entry repeats a sequence number or does not link to the one before.
    Links are checked against the stored hashes, so one altered entry is reported once.
    """
    problems: list[ChainProblem] = []
    previous: LogEntry | None = None
    for entry in sorted(entries, key=lambda e: (e.seq, e.hash)):
        expected_seq = 1 if previous is None else previous.seq + 1
        expected_prev = GENESIS if previous is None else previous.hash
        if entry_hash(entry) != entry.hash:
            problems.append(ChainProblem("altered", entry.seq, "content does not match its hash"))
        if previous is not None and entry.seq == previous.seq:
            problems.append(ChainProblem("inserted", entry.seq, "sequence number repeated"))
            continue
        if entry.seq > expected_seq:
            missing = f"{expected_seq}" + (
                f"-{entry.seq - 1}" if entry.seq - 1 > expected_seq else ""
            )
            problems.append(ChainProblem("removed", expected_seq, f"entries {missing} missing"))
        elif entry.prev_hash != expected_prev:
            problems.append(
                ChainProblem("inserted", entry.seq, "does not link to the entry before it")
            )
        previous = entry
    return problems


def latest_scores(entries: Iterable[LogEntry]) -> list[Score]:
    """Return the marks in force according to the log: the last entry per juror and cell."""
    latest: dict[tuple[int, int, str], LogEntry] = {}
    for entry in sorted(entries, key=lambda e: e.seq):
        if entry.kind == SCORE:
            latest[(entry.juror, entry.practice, entry.criterion)] = entry
    return [Score(e.juror, e.practice, e.criterion, e.value) for e in latest.values()]


def latest_score_entries(entries: Iterable[LogEntry]) -> dict[tuple[int, int, str], LogEntry]:
    """Return the entry that set each mark in force, by (juror, practice, criterion)."""
    latest: dict[tuple[int, int, str], LogEntry] = {}
    for entry in sorted(entries, key=lambda e: e.seq):
        if entry.kind == SCORE:
            latest[(entry.juror, entry.practice, entry.criterion)] = entry
    return latest


def latest_comments(entries: Iterable[LogEntry]) -> dict[tuple[int, int], LogEntry]:
    """Return the entry of each juror's comment in force, by (juror, practice)."""
    latest: dict[tuple[int, int], LogEntry] = {}
    for entry in sorted(entries, key=lambda e: e.seq):
        if entry.kind == COMMENT:
            latest[(entry.juror, entry.practice)] = entry
    return latest


def ranking_data(district_id: int, khoroo: int, order: Sequence[int]) -> str:
    """Return a khoroo's ranking as the canonical JSON a peer entry carries."""
    return json.dumps(
        {"district": district_id, "khoroo": khoroo, "order": list(order)},
        sort_keys=True,
        separators=(",", ":"),
    )


def latest_rankings(entries: Iterable[LogEntry]) -> dict[tuple[int, int], LogEntry]:
    """Return the entry of each khoroo's ranking in force, by (district, khoroo number)."""
    latest: dict[tuple[int, int], LogEntry] = {}
    for entry in sorted(entries, key=lambda e: e.seq):
        if entry.kind == PEER and entry.data:
            parsed = json.loads(entry.data)
            latest[(int(parsed["district"]), int(parsed["khoroo"]))] = entry
    return latest


def ranking_order(entry: LogEntry) -> list[int]:
    """Return the practices a peer entry ranks, best first."""
    return [int(p) for p in json.loads(entry.data or "{}").get("order", [])]


def year_head(round_heads: Mapping[int, str]) -> str:
    """Return one digest of a year's chains: SHA-256 over "round:head" lines in round order.

    Each round keeps its own chain (so rounds are scored side by side without waiting on one
    another); this digest is what the published results print for the whole year.
    """
    lines = "".join(f"{round_id}:{head}\n" for round_id, head in sorted(round_heads.items()))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()
