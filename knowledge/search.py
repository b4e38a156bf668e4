"""In-memory practice search: typo-tolerant, script-agnostic, ranked by field.

The storage layer feeds documents in with :meth:`SearchIndex.add`,
:meth:`~SearchIndex.update` and :meth:`~SearchIndex.remove`; each write costs
time proportional to that document only. Text goes through
:func:`knowledge.text.terms`, so Cyrillic, every Latin habit, look-alike
letters and Mongolian word endings meet on one stemmed key.

Matching works like Meilisearch or Typesense: query terms of up to 4 folded
letters must match exactly, 5–8 letters allow one typo, longer ones two; the
last query word also matches as a prefix, since people search while typing.
Ranking sorts first by how many query terms a practice matches, then by a
BM25F relevance where the title weighs most, then the problem and solution,
then the results, plus a bonus when the query's words stand together, in
order, in the title. Ties break by id, so results are deterministic.
"""

from __future__ import annotations

import bisect
import heapq
import math
from array import array
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from knowledge.text import STOPWORDS, fold_words, stem, terms

__all__ = [
    "Filters",
    "Hit",
    "SearchDocument",
    "SearchIndex",
    "SearchPage",
    "typo_budget",
]

DocId = int | str

# Field weights: the title above the problem and solution, those above the
# results. Tags are short keyword lists an officer chose, close to a title.
_FIELDS = ("title", "tags", "problem", "solution", "results")
_WEIGHTS = {"title": 3.0, "tags": 2.0, "problem": 1.5, "solution": 1.2, "results": 1.0}
# Typical field lengths in terms, measured on the test practices. They are
# fixed rather than running averages so that a document's score never
# depends on what was indexed before it (deterministic, no re-scoring).
_NOMINAL_LENGTH = {"title": 5.0, "tags": 3.0, "problem": 14.0, "solution": 20.0, "results": 11.0}
_K1 = 1.2
_B = 0.6
# Per-document term impacts are stored as one byte (0.01 steps): a posting
# costs 9 bytes instead of a dict entry and a float object.
_IMPACT_SCALE = 100.0

_FUZZY_WEIGHT = (1.0, 0.6, 0.45)  # by number of typos
_PREFIX_WEIGHT = 0.8
_MAX_PREFIX_EXPANSIONS = 20
# Relevance multipliers for a title holding every query word, and more when
# they stand adjacent in query order: a phrase in the title is the strongest
# sign that a practice is the one meant.
_TITLE_ALL_BONUS = 0.3
_TITLE_ORDER_BONUS = 0.7
# Compact postings once this share of indexed slots belongs to removed
# documents; the cost spreads over the writes that caused it.
_COMPACT_RATIO = 0.25


def typo_budget(length: int) -> int:
    """Return how many typos a query word of this folded length may contain."""
    if length <= 4:
        return 0
    if length <= 8:
        return 1
    return 2


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """One practice as the index sees it: searchable text plus filter fields."""

    id: DocId
    title: str
    problem: str = ""
    solution: str = ""
    results: str = ""
    tags: tuple[str, ...] = ()
    district: str | None = None
    category: str | None = None
    status: str | None = None
    year: int | None = None


def _as_set(value: object) -> frozenset[object] | None:
    """Normalise a filter value (one value, a collection of values, or None) to a set."""
    if value is None:
        return None
    if isinstance(value, str | int):
        return frozenset((value,))
    if isinstance(value, Iterable):
        return frozenset(value)
    return frozenset((value,))


@dataclass(frozen=True, slots=True)
class Filters:
    """Narrow results; each field takes one value or a collection of accepted values."""

    district: str | Collection[str] | None = None
    category: str | Collection[str] | None = None
    status: str | Collection[str] | None = None
    year: int | Collection[int] | None = None
    year_from: int | None = None
    year_to: int | None = None

    def accepts(self, doc: SearchDocument) -> bool:
        """Tell whether a document passes every filter."""
        for name in ("district", "category", "status", "year"):
            allowed = _as_set(getattr(self, name))
            if allowed is not None and getattr(doc, name) not in allowed:
                return False
        if self.year_from is not None and (doc.year is None or doc.year < self.year_from):
            return False
        return not (self.year_to is not None and (doc.year is None or doc.year > self.year_to))


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: the document id and its score (higher ranks first)."""

    id: DocId
    score: float


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of results and how many documents matched in all."""

    hits: list[Hit]
    total: int


@dataclass(slots=True)
class _QueryTerm:
    """A query word with the vocabulary terms it matches and their weights."""

    word: str
    term: str
    expansions: dict[str, float] = field(default_factory=dict)


def _id_key(doc_id: DocId) -> tuple[int, int | str]:
    """Order ids of mixed types deterministically: integers first, then strings."""
    return (1, doc_id) if isinstance(doc_id, str) else (0, doc_id)


class SearchIndex:
    """An incremental inverted index over practices with typo-tolerant ranked search."""

    def __init__(self) -> None:
        """Create an empty index."""
        self._slot_of: dict[DocId, int] = {}
        self._docs: list[SearchDocument | None] = []
        self._slot_terms: list[tuple[str, ...]] = []
        self._title_terms: list[tuple[str, ...]] = []
        self._postings: dict[str, tuple[array[int], array[int]]] = {}
        self._title_postings: dict[str, array[int]] = {}
        self._df: dict[str, int] = {}
        self._vocab_sorted: list[str] = []
        self._vocab_by_len: dict[int, list[str]] = {}
        self._dead = 0

    def __len__(self) -> int:
        """Return the number of indexed documents."""
        return len(self._slot_of)

    def __contains__(self, doc_id: object) -> bool:
        """Tell whether a document with this id is indexed."""
        return doc_id in self._slot_of

    @property
    def vocabulary_size(self) -> int:
        """Return the number of distinct terms in live documents."""
        return len(self._df)

    # -- writes ---------------------------------------------------------------

    def add(self, doc: SearchDocument) -> None:
        """Index a document; replaces an indexed document with the same id."""
        if doc.id in self._slot_of:
            self.remove(doc.id)
        slot = len(self._docs)
        self._slot_of[doc.id] = slot
        self._docs.append(doc)

        field_terms = {
            "title": terms(doc.title),
            "tags": terms(" ".join(doc.tags)),
            "problem": terms(doc.problem),
            "solution": terms(doc.solution),
            "results": terms(doc.results),
        }
        pseudo_tf: dict[str, float] = {}
        for name in _FIELDS:
            words = field_terms[name]
            if not words:
                continue
            norm = _WEIGHTS[name] / (1.0 - _B + _B * len(words) / _NOMINAL_LENGTH[name])
            for term in words:
                pseudo_tf[term] = pseudo_tf.get(term, 0.0) + norm

        for term, tf in pseudo_tf.items():
            impact = tf * (_K1 + 1.0) / (tf + _K1)
            quantised = max(1, min(255, round(impact * _IMPACT_SCALE)))
            entry = self._postings.get(term)
            if entry is None:
                entry = (array("l"), array("B"))
                self._postings[term] = entry
            entry[0].append(slot)
            entry[1].append(quantised)
            df = self._df.get(term, 0)
            if df == 0:
                self._add_vocab(term)
            self._df[term] = df + 1
        self._slot_terms.append(tuple(pseudo_tf))

        title = tuple(field_terms["title"])
        self._title_terms.append(title)
        for term in set(title):
            self._title_postings.setdefault(term, array("l")).append(slot)

    def update(self, doc: SearchDocument) -> None:
        """Re-index a changed document (same as add: the id decides what it replaces)."""
        self.add(doc)

    def remove(self, doc_id: DocId) -> bool:
        """Drop a document from the index; return whether it was there."""
        slot = self._slot_of.pop(doc_id, None)
        if slot is None:
            return False
        self._docs[slot] = None
        for term in self._slot_terms[slot]:
            df = self._df[term] - 1
            if df:
                self._df[term] = df
            else:
                # Every posting of the term is dead now: drop it outright.
                del self._df[term]
                del self._postings[term]
                self._title_postings.pop(term, None)
                self._remove_vocab(term)
        self._slot_terms[slot] = ()
        self._title_terms[slot] = ()
        self._dead += 1
        if self._dead > 64 and self._dead > _COMPACT_RATIO * len(self._docs):
            self._compact()
        return True

    def _add_vocab(self, term: str) -> None:
        """Register a term that just got its first live document."""
        bisect.insort(self._vocab_sorted, term)
        self._vocab_by_len.setdefault(len(term), []).append(term)

    def _remove_vocab(self, term: str) -> None:
        """Forget a term that has no live document left."""
        position = bisect.bisect_left(self._vocab_sorted, term)
        del self._vocab_sorted[position]
        self._vocab_by_len[len(term)].remove(term)

    def _compact(self) -> None:
        """Filter postings of removed documents out (slot numbers stay as they are)."""
        docs = self._docs
        for term, (slots, impacts) in self._postings.items():
            keep = [i for i, slot in enumerate(slots) if docs[slot] is not None]
            if len(keep) != len(slots):
                self._postings[term] = (
                    array("l", (slots[i] for i in keep)),
                    array("B", (impacts[i] for i in keep)),
                )
        for term, slots in self._title_postings.items():
            self._title_postings[term] = array("l", (s for s in slots if docs[s] is not None))
        self._dead = 0

    # -- reads ----------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        filters: Filters | None = None,
    ) -> SearchPage:
        """Return one page of documents matching query, best first, and the total count."""
        query_terms = self._parse(query)
        if not query_terms or limit <= 0:
            return SearchPage([], 0)
        live = len(self._slot_of)

        per_term: list[dict[int, float]] = []
        for qt in query_terms:
            per_term.append(self._term_scores(qt, live))

        n = len(query_terms)
        # At least half of the words must match, so a stray typo or an unknown
        # word does not empty the result, yet one common word is not enough in
        # a longer query.
        need = 1 if n <= 2 else (n + 1) // 2
        # Any document with `need` matching terms appears in one of the
        # n - need + 1 rarest terms' postings: the common terms only get looked
        # up for those candidates instead of being walked in full.
        order = sorted(range(n), key=lambda i: len(per_term[i]))
        candidates: set[int] = set()
        for i in order[: n - need + 1]:
            candidates.update(per_term[i])

        docs = self._docs
        bonus = self._title_bonus(query_terms, candidates) if n > 1 else {}
        scored: list[tuple[float, tuple[int, int | str], DocId]] = []
        for slot in candidates:
            matched = 0
            relevance = 0.0
            for scores in per_term:
                value = scores.get(slot)
                if value is not None:
                    matched += 1
                    relevance += value
            if matched < need:
                continue
            doc = docs[slot]
            if doc is None or (filters is not None and not filters.accepts(doc)):
                continue
            relevance *= 1.0 + bonus.get(slot, 0.0)
            # Matched-term count ranks first (like Meilisearch's "words"
            # rule); relevance orders within it and stays below 1.
            score = matched + relevance / (relevance + 4.0)
            scored.append((round(score, 9), _id_key(doc.id), doc.id))

        top = heapq.nsmallest(offset + limit, scored, key=lambda item: (-item[0], item[1]))
        hits = [Hit(doc_id, score) for score, _, doc_id in top[offset:]]
        return SearchPage(hits, len(scored))

    def _parse(self, query: str) -> list[_QueryTerm]:
        """Turn a query into distinct query terms with their vocabulary expansions."""
        words = fold_words(query)
        # Stop words are not indexed, so a query of only stop words finds nothing.
        content = [w for w in words if w not in STOPWORDS]
        seen: set[str] = set()
        result = []
        for position, word in enumerate(content):
            term = stem(word)
            if term in seen:
                continue
            seen.add(term)
            qt = _QueryTerm(word, term)
            self._expand(qt, is_last=position == len(content) - 1)
            result.append(qt)
        return result

    def _expand(self, qt: _QueryTerm, *, is_last: bool) -> None:
        """Find the vocabulary terms a query term matches: exact, with typos, by prefix."""
        term = qt.term
        expansions = qt.expansions
        if term in self._df:
            expansions[term] = 1.0
        budget = typo_budget(len(qt.word))
        # A stem is shorter than the word typed; short stems get fewer typos
        # so that e.g. "hoh" (хүүхэд) does not match every three-letter stem.
        if len(term) <= 3:
            budget = 0
        elif len(term) <= 5:
            budget = min(budget, 1)
        if budget:
            for length in range(len(term) - budget, len(term) + budget + 1):
                bucket = self._vocab_by_len.get(length)
                if not bucket:
                    continue
                for candidate, distance, _ in process.extract(
                    term,
                    bucket,
                    scorer=Levenshtein.distance,
                    score_cutoff=budget,
                    limit=None,
                ):
                    weight = _FUZZY_WEIGHT[int(distance)]
                    if weight > expansions.get(candidate, 0.0):
                        expansions[candidate] = weight
        if is_last:
            for prefix in {term, qt.word}:
                if len(prefix) < 3:
                    continue
                for candidate in self._completions(prefix):
                    if expansions.get(candidate, 0.0) < _PREFIX_WEIGHT:
                        expansions[candidate] = _PREFIX_WEIGHT

    def _completions(self, prefix: str) -> list[str]:
        """Return the shortest vocabulary terms that start with prefix."""
        vocab = self._vocab_sorted
        start = bisect.bisect_left(vocab, prefix)
        end = bisect.bisect_left(vocab, prefix + "\x7f", lo=start)
        found = vocab[start:end]
        if len(found) > _MAX_PREFIX_EXPANSIONS:
            found = sorted(found, key=lambda t: (len(t), t))[:_MAX_PREFIX_EXPANSIONS]
        return found

    def _term_scores(self, qt: _QueryTerm, live: int) -> dict[int, float]:
        """Return slot → best weighted BM25 contribution of any expansion of a query term."""
        best: dict[int, float] = {}
        expansions = sorted(qt.expansions.items(), key=lambda kv: (-kv[1], kv[0]))
        if not expansions:
            return best
        # A misspelt or truncated match is often a rare word; its own idf
        # would outrank the common word the user meant, so no expansion counts
        # as rarer than the exact term (or, without one, the commonest match).
        exact_df = self._df.get(qt.term)
        cap = _idf(live, exact_df or max(self._df[term] for term, _ in expansions))
        for term, weight in expansions:
            slots, impacts = self._postings[term]
            factor = weight * min(cap, _idf(live, self._df[term])) / _IMPACT_SCALE
            if not best:
                # The common single-expansion case builds the dict in C.
                best = dict(zip(slots, map(factor.__mul__, impacts), strict=True))
                continue
            for slot, impact in zip(slots, impacts, strict=True):
                value = impact * factor
                if value > best.get(slot, 0.0):
                    best[slot] = value
        # Postings of removed documents linger until compaction.
        if self._dead:
            docs = self._docs
            best = {slot: value for slot, value in best.items() if docs[slot] is not None}
        return best

    def _title_bonus(self, query_terms: list[_QueryTerm], candidates: set[int]) -> dict[int, float]:
        """Reward titles that hold every query term, more so in query order and adjacent."""
        counts: dict[int, int] = {}
        for qt in query_terms:
            slots_with_term: set[int] = set()
            for term in qt.expansions:
                slots_with_term.update(self._title_postings.get(term, ()))
            for slot in slots_with_term:
                counts[slot] = counts.get(slot, 0) + 1
        n = len(query_terms)
        bonus: dict[int, float] = {}
        for slot, count in counts.items():
            if count < n or slot not in candidates:
                continue
            title = self._title_terms[slot]
            positions = []
            for qt in query_terms:
                position = next((i for i, term in enumerate(title) if term in qt.expansions), None)
                if position is None:
                    break
                positions.append(position)
            else:
                adjacent = sum(1 for a, b in pairwise(positions) if b == a + 1)
                bonus[slot] = _TITLE_ALL_BONUS + _TITLE_ORDER_BONUS * adjacent / (n - 1)
        return bonus


def _idf(live: int, df: int) -> float:
    """Return the BM25 inverse document frequency of a term in df of live documents."""
    return math.log(1.0 + (live - df + 0.5) / (df + 0.5))
