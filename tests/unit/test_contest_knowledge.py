"""Contest arithmetic: totals, normalisation, the tie-break, Kendall's W and the score chain."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.contest import (
    DEFAULT_RUBRIC,
    GENESIS,
    RESULTS,
    LogEntry,
    Score,
    advancing,
    average_ranks,
    canonical,
    chain_hash,
    kendalls_w,
    latest_scores,
    normalise,
    rank,
    verify_chain,
    weighted_totals,
)

CODES = [c.code for c in DEFAULT_RUBRIC]
marks = st.integers(min_value=1, max_value=5)


def sheet(juror: int, practice: int, values: list[int]) -> list[Score]:
    return [Score(juror, practice, code, v) for code, v in zip(CODES, values, strict=True)]


def test_the_default_rubric_is_galing_pooks_weighting_in_both_languages():
    assert [(c.code, c.weight) for c in DEFAULT_RUBRIC] == [
        ("results_impact", 30),
        ("participation", 30),
        ("innovation", 15),
        ("transferability", 15),
        ("efficiency", 10),
    ]
    for c in DEFAULT_RUBRIC:
        assert c.name_mn and c.name_en and c.description_mn.endswith("?")
        assert (c.scale_min, c.scale_max) == (1, 5)


def test_weighted_totals_are_points_out_of_a_hundred():
    scores = sheet(1, 10, [5, 5, 5, 5, 5]) + sheet(1, 11, [1, 1, 1, 1, 1])
    scores += sheet(1, 12, [5, 1, 1, 1, 1])
    totals = weighted_totals(scores, DEFAULT_RUBRIC)
    assert totals[10] == pytest.approx(100)
    assert totals[11] == pytest.approx(20)
    assert totals[12] == pytest.approx(20 + 0.3 * 80)


@given(st.lists(st.tuples(marks, marks), min_size=1, max_size=6))
def test_a_total_is_the_weighted_mean_of_the_jurors_criterion_means(pairs):
    scores = [Score(j, 1, RESULTS, v) for j, (v, _) in enumerate(pairs)]
    scores += [Score(j, 1, c, w) for j, (_, w) in enumerate(pairs) for c in CODES[1:]]
    results = sum(v for v, _ in pairs) / len(pairs)
    rest = sum(w for _, w in pairs) / len(pairs)
    expected = 100 * (30 * results + 70 * rest) / (100 * 5)
    assert weighted_totals(scores, DEFAULT_RUBRIC)[1] == pytest.approx(expected)


@given(
    st.lists(marks, min_size=2, max_size=20),
    st.integers(min_value=-3, max_value=3),
    st.sampled_from([1, 2, 3]),
)
def test_normalising_ignores_how_harsh_or_lenient_a_juror_is(values, shift, stretch):
    # A juror who gives the same order with a shifted or stretched hand ends up the same.
    own = [Score(1, i, RESULTS, v) for i, v in enumerate(values)]
    other = [Score(1, i, RESULTS, v * stretch + shift) for i, v in enumerate(values)]
    first = [s.value for s in normalise(own)]
    second = [s.value for s in normalise(other)]
    assert first == pytest.approx(second)
    assert all(1 <= v <= 5 for v in first)


@given(st.lists(st.tuples(marks, marks), min_size=2, max_size=20))
def test_normalising_keeps_each_jurors_order_and_leaves_others_alone(pairs):
    scores = [Score(1, i, RESULTS, a) for i, (a, _) in enumerate(pairs)]
    scores += [Score(2, i, RESULTS, b) for i, (_, b) in enumerate(pairs)]
    result = normalise(scores)
    alone = normalise([s for s in scores if s.juror == 2])
    for juror in (1, 2):
        raw = [s.value for s in scores if s.juror == juror]
        new = [s.value for s in result if s.juror == juror]
        for i in range(len(raw)):
            for j in range(len(raw)):
                if raw[i] < raw[j]:
                    assert new[i] <= new[j]
    assert [s.value for s in result if s.juror == 2] == pytest.approx([s.value for s in alone])


def test_a_juror_who_gives_one_value_throughout_lands_on_the_middle():
    assert {s.value for s in normalise(sheet(1, 1, [2, 2, 2, 2, 2]))} == {3.0}


def test_ties_break_on_results_then_top_marks_then_submission_then_id():
    day = datetime(2026, 5, 1, tzinfo=UTC)
    # 10 and 11 have equal totals; 11 has the higher results-and-impact mark.
    scores = sheet(1, 10, [3, 4, 3, 3, 3]) + sheet(1, 11, [4, 3, 3, 3, 3])
    # 12 and 13 are equal in total and results; 13 has a top mark.
    scores += sheet(1, 12, [2, 3, 2, 4, 4]) + sheet(1, 13, [2, 3, 2, 5, 3])
    # 14 and 15 are equal in everything; 15 was submitted first. 16 likewise, no date.
    scores += sheet(1, 14, [1, 1, 1, 1, 1]) + sheet(1, 15, [1, 1, 1, 1, 1])
    scores += sheet(1, 16, [1, 1, 1, 1, 1])
    dates = {14: day + timedelta(days=1), 15: day, 16: None}
    order = [s.practice for s in rank(scores, DEFAULT_RUBRIC, practices=[17], submitted_at=dates)]
    assert order == [11, 10, 13, 12, 15, 14, 16, 17]


@given(st.lists(st.lists(marks, min_size=5, max_size=5), min_size=1, max_size=8), st.randoms())
def test_the_ranking_never_depends_on_the_order_scores_arrive_in(sheets, rnd):
    scores = [s for p, values in enumerate(sheets) for s in sheet(p % 3, p, values)]
    shuffled = list(scores)
    rnd.shuffle(shuffled)
    for normalised in (False, True):
        first = rank(scores, DEFAULT_RUBRIC, normalised=normalised)
        second = rank(shuffled, DEFAULT_RUBRIC, normalised=normalised)
        assert [s.practice for s in first] == [s.practice for s in second]
        assert [s.total for s in first] == pytest.approx([s.total for s in second])


def test_each_district_advances_its_top_n_scored_practices():
    scores = [s for p, v in [(1, 5), (2, 4), (3, 3), (4, 2)] for s in sheet(9, p, [v] * 5)]
    scores += [s for p, v in [(5, 1), (6, 2)] for s in sheet(9, p, [v] * 5)]
    standings = {
        1: rank([s for s in scores if s.practice <= 4], DEFAULT_RUBRIC),
        2: rank([s for s in scores if s.practice > 4], DEFAULT_RUBRIC, practices=[7]),
    }
    assert advancing(standings, 3) == {1: [1, 2, 3], 2: [6, 5]}


# --- Kendall's W ---


def test_average_ranks_share_places_among_ties():
    assert average_ranks({1: 9, 2: 7, 3: 7, 4: 1}) == {1: 1, 2: 2.5, 3: 2.5, 4: 4}


def test_perfect_agreement_gives_one_and_reversed_pairs_give_zero():
    same = {j: {1: 10, 2: 8, 3: 5, 4: 1} for j in (1, 2, 3)}
    assert kendalls_w(same) == pytest.approx(1)
    assert kendalls_w({1: {1: 3, 2: 2, 3: 1}, 2: {1: 1, 2: 2, 3: 3}}) == pytest.approx(0)


def test_ties_are_corrected():
    # Rank sums 3.5, 5.5, 9.5, 11.5: S = 40; ties add 12 to the correction: 480 / 504.
    judgements = {
        1: {1: 4, 2: 3, 3: 2, 4: 1},
        2: {1: 4, 2: 3, 3: 2, 4: 1},
        3: {1: 4, 2: 4, 3: 1, 4: 1},
    }
    assert kendalls_w(judgements) == pytest.approx(20 / 21)


def test_w_is_undefined_without_two_jurors_two_practices_or_any_order():
    assert kendalls_w({1: {1: 1, 2: 2}}) is None
    assert kendalls_w({1: {1: 1, 2: 2}, 2: {1: 3, 3: 1}}) is None
    assert kendalls_w({1: {1: 1, 2: 1}, 2: {1: 2, 2: 2}}) is None


@given(st.lists(st.lists(marks, min_size=4, max_size=4), min_size=2, max_size=5), st.randoms())
def test_w_lies_between_zero_and_one_and_ignores_juror_order(rows, rnd):
    judgements = {j: dict(enumerate(row)) for j, row in enumerate(rows)}
    w = kendalls_w(judgements)
    if w is not None:
        assert -1e-9 <= w <= 1 + 1e-9
        keys = list(judgements)
        rnd.shuffle(keys)
        assert kendalls_w({k: judgements[k] for k in keys}) == pytest.approx(w)


# --- The chain ---


def build_chain(values: list[int]) -> list[LogEntry]:
    at = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    chain, prev = [], GENESIS
    for seq, value in enumerate(values, start=1):
        body = canonical(seq, 1, 7, seq % 3, RESULTS, value, "Сайн" if seq == 2 else None, at)
        entry = LogEntry(
            seq,
            1,
            7,
            seq % 3,
            RESULTS,
            value,
            "Сайн" if seq == 2 else None,
            at,
            prev,
            chain_hash(prev, body),
        )
        chain.append(entry)
        prev = entry.hash
    return chain


def test_an_intact_chain_verifies():
    assert verify_chain(build_chain([3, 4, 5, 2])) == []
    assert verify_chain([]) == []


def test_the_canonical_form_is_fixed():
    at = datetime(2026, 6, 1, 9, 0, 5, 123, tzinfo=UTC)
    assert canonical(1, 2, 3, 4, "innovation", 5, "Ёс", at) == (
        '{"at":"2026-06-01T09:00:05Z","comment":"Ёс","criterion":"innovation",'
        '"juror":3,"practice":4,"round":2,"seq":1,"value":5}'
    )


@given(st.lists(marks, min_size=3, max_size=12), st.data())
def test_each_kind_of_tampering_is_named_at_its_entry(values, data):
    chain = build_chain(values)
    k = data.draw(st.integers(min_value=0, max_value=len(chain) - 1))
    altered = list(chain)
    altered[k] = replace(chain[k], value=chain[k].value % 5 + 1)
    assert [(p.kind, p.seq) for p in verify_chain(altered)] == [("altered", k + 1)]

    removed = chain[:k] + chain[k + 1 :]
    if k < len(chain) - 1:  # a removed last entry shows only against the published head
        assert [(p.kind, p.seq) for p in verify_chain(removed)] == [("removed", k + 1)]

    forged = replace(chain[k], value=1, comment="forged")
    forged = replace(
        forged,
        hash=chain_hash(
            forged.prev_hash,
            canonical(forged.seq, 1, 7, forged.practice, RESULTS, 1, "forged", forged.at),
        ),
    )
    inserted = [*chain[: k + 1], forged, *chain[k + 1 :]]
    assert ("inserted", k + 1) in [(p.kind, p.seq) for p in verify_chain(inserted)]


def test_a_reforged_tail_does_not_link():
    chain = build_chain([3, 4, 5])
    at = chain[1].at
    fake = LogEntry(
        2,
        1,
        7,
        2,
        RESULTS,
        1,
        None,
        at,
        "f" * 64,
        chain_hash("f" * 64, canonical(2, 1, 7, 2, RESULTS, 1, None, at)),
    )
    problems = verify_chain([chain[0], fake, chain[2]])
    assert [(p.kind, p.seq) for p in problems] == [("inserted", 2), ("inserted", 3)]


def test_the_marks_in_force_are_the_last_per_cell():
    chain = build_chain([3, 4, 5, 2])  # practices 1, 2, 0, 1
    latest = {(s.practice, s.value) for s in latest_scores(chain)}
    assert latest == {(1, 2), (2, 4), (0, 5)}


def test_shuffled_chains_verify_the_same():
    chain = build_chain([1, 2, 3, 4, 5])
    shuffled = list(chain)
    random.Random(4).shuffle(shuffled)
    assert verify_chain(shuffled) == []


def test_borda_gives_first_100_and_last_0_whatever_the_ranking_length():
    from knowledge.contest import borda

    assert borda([[1, 2, 3], [3, 1]]) == {1: 50.0, 2: 50.0, 3: 50.0}
    assert borda([[1, 2, 3], [2, 3]]) == {1: 100.0, 2: 75.0, 3: 0.0}
    assert borda([[7]]) == {7: 100.0} and borda([]) == {}


def test_the_peer_share_mixes_only_once_khoroos_ranked():
    from knowledge.contest import NEUTRAL_PEER, combined_totals

    jury = {1: 80.0, 2: 60.0}
    assert combined_totals(jury, {1: 0.0}, 0) == jury  # shown, not counted
    assert combined_totals(jury, {}, 30) == jury  # nobody ranked yet
    mixed = combined_totals(jury, {1: 0.0, 3: 100.0}, 25)
    assert mixed == {1: 60.0, 2: 0.75 * 60 + 0.25 * NEUTRAL_PEER, 3: 25.0}


def test_a_marks_hash_is_what_it_was_before_entries_had_kinds():
    import hashlib
    import json

    from knowledge.contest import GENESIS, LogEntry, canonical, entry_hash

    at = datetime(2026, 5, 1, 2, 3, 4, tzinfo=UTC)
    old_body = json.dumps(
        {
            "seq": 1,
            "round": 2,
            "juror": 3,
            "practice": 4,
            "criterion": "innovation",
            "value": 5,
            "comment": None,
            "at": "2026-05-01T02:03:04Z",
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert canonical(1, 2, 3, 4, "innovation", 5, None, at) == old_body
    expected = hashlib.sha256((GENESIS + old_body).encode()).hexdigest()
    assert entry_hash(LogEntry(1, 2, 3, 4, "innovation", 5, None, at, GENESIS, expected)) == (
        expected
    )
    ranking = canonical(1, 2, 3, 0, "", 0, None, at, kind="peer", data="{}")
    assert '"kind":"peer"' in ranking and '"data":"{}"' in ranking
