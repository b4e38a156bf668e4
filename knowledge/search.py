"""In-memory practice search: typo-tolerant, script-agnostic, ranked by field.

The storage layer feeds documents in with :meth:`SearchIndex.add`,
:meth:`~SearchIndex.update` and :meth:`~SearchIndex.remove`; each write costs
time proportional to that document only (apart from building a byte row
once, when a term or a filter value first needs one). Text goes through
:func:`knowledge.text.terms`, so Cyrillic, every Latin habit, look-alike
letters and Mongolian word endings meet on one stemmed key.

Matching works like Meilisearch or Typesense: query terms of up to 4 folded
letters must match exactly, 5–8 letters allow one typo, longer ones two; the
last query word also matches as a prefix, since people search while typing.
Ranking sorts first by how many query terms a practice matches, then by a
BM25F relevance where the title weighs most, then the problem and solution,
then the results, plus a bonus when the query's words stand together, in
order, in the title. Ties break by id, so results are deterministic.

A search costs time in proportion to the postings of the query's words and
their typo and prefix matches, plus a few array passes over all documents
(numpy, no Python loop per document); only documents whose best possible
score reaches the page are scored one by one.
"""

from __future__ import annotations

import bisect
import math
import re
from array import array
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from knowledge.glossary import Glossary, bundled
from knowledge.text import STOPWORDS, fold_word, fold_words, stem, terms

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
# A prefix this short is a whole word more often than a word being typed: folding
# merges о/ө/у/ү, so хог (waste) would complete to хөгжил (development). A shorter stem
# completes only to the letters typed after it: хуудас, cut to hod, meets хуудс-аар (hods).
_MIN_PREFIX = 4
# A practice is listed only if it matches the query nearly as surely as the best one
# does (sureness: its matched words, a typo or prefix match counting for its weight and a
# synonym in full): this share of it, or one word less, whichever is lower. A word plus
# a typo-match of another is noise beside practices matching them all, and a lone word's
# typo-matches beside the word itself; a long text (a practice's title and problem, when
# looking for similar ones) keeps what shares most of it.
_RELATIVE_FLOOR = 0.7
# Sureness is summed in these steps (every weight is a whole number of them), in bytes:
# the arrays cost an eighth of float ones.
_SURE_STEPS = 20
# Relevance multipliers for a title holding every query word, and more when
# they stand adjacent in query order: a phrase in the title is the strongest
# sign that a practice is the one meant.
_TITLE_ALL_BONUS = 0.3
_TITLE_ORDER_BONUS = 0.7
_TITLE_MAX_BONUS = _TITLE_ALL_BONUS + _TITLE_ORDER_BONUS
# Parsed queries kept for reuse while the vocabulary stays the same.
_PARSED_CACHE = 256
# Documents whose title holds the query are scored this many at a time.
_TITLE_BATCH = 32
# Compact postings once this share of indexed slots belongs to removed
# documents; the cost spreads over the writes that caused it.
_COMPACT_RATIO = 0.25
# A term in at least one slot in _DENSE_SHARE (and _DENSE_MIN_DF documents)
# also keeps a byte per slot: that costs no more than its 9-byte postings.
_DENSE_MIN_DF = 256
_DENSE_SHARE = 16
# Distinct query terms: their count and their relevance bounds share one byte per document.
_MAX_QUERY_TERMS = 64
# Postings store slots as C longs; arrays read them in place.
_SLOT_DTYPE = np.dtype(f"i{array('l').itemsize}")
_FACETS = ("district", "khoroo", "category", "status", "year")
# A word of the glossary found in a query also looks for the rest of its group, for less.
_GLOSSARY_WEIGHT = 0.5
# "6-р хороо", "6r horoo", "хороо 6", "6 дугаар хороо": a number, an optional ordinal
# ending, and the word хороо (folded and stemmed) before or after it.
_KHOROO_NUMBER = re.compile(r"(\d{1,2})(?:r|dogar)?")
_ORDINALS = frozenset(("r", "dogar"))
_KHOROO = stem(fold_word("хороо"))
_DISTRICT = stem(fold_word("дүүрэг"))


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
    khoroo: int | None = None


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
    khoroo: int | Collection[int] | None = None

    def accepts(self, doc: SearchDocument) -> bool:
        """Tell whether a document passes every filter."""
        for name in _FACETS:
            allowed = _as_set(getattr(self, name))
            if allowed is not None and getattr(doc, name) not in allowed:
                return False
        if self.year_from is not None and (doc.year is None or doc.year < self.year_from):
            return False
        return not (self.year_to is not None and (doc.year is None or doc.year > self.year_to))


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: the document id, its score (higher ranks first) and coverage.

    Coverage is the share of the query's words the document matches, a typo or prefix
    match counting for less (1.0: every word as typed or a synonym of it).
    """

    id: DocId
    score: float
    coverage: float = 1.0


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
    # How surely each expansion means the word: its weight, but a synonym counts in full.
    sureness: dict[str, float] = field(default_factory=dict)


_Scored = tuple[float, tuple[int, int | str], DocId]


def _id_key(doc_id: DocId) -> tuple[int, int | str]:
    """Order ids of mixed types deterministically: integers first, then strings."""
    return (1, doc_id) if isinstance(doc_id, str) else (0, doc_id)


def _rank_key(item: _Scored) -> tuple[float, tuple[int, int | str]]:
    """Sort scored documents best first, ties by id."""
    return (-item[0], item[1])


def _positions(lanes: bytes, value: int) -> list[int]:
    """Return the offsets of every byte equal to value."""
    found = []
    find = lanes.find
    position = find(value)
    while position >= 0:
        found.append(position)
        position = find(value, position + 1)
    return found


def _set_byte(row: bytearray, position: int, value: int) -> None:
    """Set one byte of a row that grows with the slots, zero-filling any gap."""
    if position >= len(row):
        row.extend(bytes(position + 1 - len(row)))
    row[position] = value


class SearchIndex:
    """An incremental inverted index over practices with typo-tolerant ranked search."""

    def __init__(
        self,
        glossary: Glossary | None = None,
        *,
        dense_min_df: int = _DENSE_MIN_DF,
    ) -> None:
        """Create an empty index; queries are widened with the glossary (the bundled one).

        The keywords move the pruning thresholds (tests force them).
        """
        self._glossary = glossary if glossary is not None else bundled()
        self._dense_min_df = dense_min_df
        self._slot_of: dict[DocId, int] = {}
        self._docs: list[SearchDocument | None] = []
        self._slot_terms: list[tuple[str, ...]] = []
        self._title_terms: list[tuple[str, ...]] = []
        self._postings: dict[str, tuple[array[int], array[int]]] = {}
        self._title_postings: dict[str, array[int]] = {}
        self._df: dict[str, int] = {}
        # Largest impact a term ever had (an upper bound once documents go).
        self._max_impact: dict[str, int] = {}
        # Frequent terms also keep one impact byte per slot (0 = absent):
        # no larger than their postings, and read without any search.
        self._dense: dict[str, bytearray] = {}
        self._alive = bytearray()
        self._facets: dict[str, dict[object, bytearray]] = {name: {} for name in _FACETS}
        self._vocab_sorted: list[str] = []
        # The vocabulary in no order, with each term's length and letters (see _letters),
        # and the arrays typo matching filters them with, built when first needed.
        self._vocab: list[str] = []
        self._vocab_at: dict[str, int] = {}
        self._vocab_shape: list[tuple[int, int]] = []
        self._vocab_arrays: tuple[np.ndarray, np.ndarray] | None = None
        # Recent queries' terms and expansions (typing a search repeats its words); they
        # depend on the vocabulary only, so a change to it empties this.
        self._parsed: dict[tuple[str, ...], list[_QueryTerm]] = {}
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
        self._alive.append(1)
        for name in _FACETS:
            row = self._facets[name].setdefault(getattr(doc, name), bytearray())
            _set_byte(row, slot, 1)

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
            if quantised > self._max_impact.get(term, 0):
                self._max_impact[term] = quantised
            df = self._df.get(term, 0) + 1
            self._df[term] = df
            if df == 1:
                self._add_vocab(term)
            dense = self._dense.get(term)
            if dense is not None:
                _set_byte(dense, slot, quantised)
            elif df >= self._dense_min_df and df * _DENSE_SHARE >= len(self._docs):
                self._dense[term] = self._densify(term)
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
        doc = self._docs[slot]
        self._docs[slot] = None
        self._alive[slot] = 0
        for name in _FACETS:
            self._facets[name][getattr(doc, name)][slot] = 0
        for term in self._slot_terms[slot]:
            dense = self._dense.get(term)
            if dense is not None:
                dense[slot] = 0
            df = self._df[term] - 1
            if df:
                self._df[term] = df
            else:
                # Every posting of the term is dead now: drop it outright.
                del self._df[term]
                del self._postings[term]
                del self._max_impact[term]
                self._dense.pop(term, None)
                self._title_postings.pop(term, None)
                self._remove_vocab(term)
        self._slot_terms[slot] = ()
        self._title_terms[slot] = ()
        self._dead += 1
        if self._dead > 64 and self._dead > _COMPACT_RATIO * len(self._docs):
            self._compact()
        return True

    def _densify(self, term: str) -> bytearray:
        """Return a term's impacts as one byte per slot, built from its live postings."""
        row = bytearray(len(self._docs))
        docs = self._docs
        slots, impacts = self._postings[term]
        for slot, impact in zip(slots, impacts, strict=True):
            if docs[slot] is not None:
                row[slot] = impact
        return row

    def _add_vocab(self, term: str) -> None:
        """Register a term that just got its first live document."""
        bisect.insort(self._vocab_sorted, term)
        self._vocab_at[term] = len(self._vocab)
        self._vocab.append(term)
        self._vocab_shape.append((len(term), _letters(term)))
        self._vocab_arrays = None
        self._parsed.clear()

    def _remove_vocab(self, term: str) -> None:
        """Forget a term that has no live document left."""
        position = bisect.bisect_left(self._vocab_sorted, term)
        del self._vocab_sorted[position]
        # The last term takes the place of the one removed.
        at = self._vocab_at.pop(term)
        last, shape = self._vocab.pop(), self._vocab_shape.pop()
        if last != term:
            self._vocab[at], self._vocab_shape[at] = last, shape
            self._vocab_at[last] = at
        self._vocab_arrays = None
        self._parsed.clear()

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
        if limit <= 0:
            return SearchPage([], 0)
        words, districts, khoroo = self._places(fold_words(query))
        key = tuple(words)
        query_terms = self._parsed.get(key)
        if query_terms is None:
            query_terms = self._parse(words)
            if len(self._parsed) >= _PARSED_CACHE:
                del self._parsed[next(iter(self._parsed))]
            self._parsed[key] = query_terms
        accepted = self._accepted(filters)
        if districts or khoroo is not None:
            # A place named in the query narrows the search to it rather than being
            # matched as words; if nothing there matches, the rest of the query still does.
            narrowed = accepted
            if districts:
                narrowed &= self._facet_mask("district", districts)
            if khoroo is not None:
                narrowed &= self._facet_mask("khoroo", (khoroo,))
            if not query_terms:
                return self._listing(narrowed, limit, offset)
            page = self._ranked(query_terms, narrowed, limit, offset)
            if page.total:
                return page
        if not query_terms:
            return SearchPage([], 0)
        return self._ranked(query_terms, accepted, limit, offset)

    def _listing(self, accepted: int, limit: int, offset: int) -> SearchPage:
        """Return the accepted documents in id order (a query naming only a place)."""
        lanes = accepted.to_bytes(len(self._docs), "little")
        docs = self._docs
        ids = sorted(
            (doc.id for slot in _positions(lanes, 1) if (doc := docs[slot]) is not None),
            key=_id_key,
        )
        hits = [Hit(doc_id, 0.0) for doc_id in ids[offset : offset + limit]]
        return SearchPage(hits, len(ids))

    def _places(self, keys: list[str]) -> tuple[list[str], set[str], int | None]:
        """Split the districts and the khoroo number a query names from its other words."""
        drop: set[int] = set()
        districts: set[str] = set()
        for start, size, code in self._glossary.places_in(keys):
            districts.add(code)
            drop.update(range(start, start + size))
            after = start + size
            if after < len(keys) and stem(keys[after]) == _DISTRICT:
                drop.add(after)
        khoroo = None
        for position, key in enumerate(keys):
            number = _KHOROO_NUMBER.fullmatch(key)
            if number is None or position in drop:
                continue
            following = position + 1
            if following < len(keys) and keys[following] in _ORDINALS:
                following += 1
            if following < len(keys) and stem(keys[following]) == _KHOROO:
                drop.update(range(position, following + 1))
            elif position and stem(keys[position - 1]) == _KHOROO:
                drop.update((position - 1, position))
            else:
                continue
            khoroo = int(number.group(1))
            break
        return [key for position, key in enumerate(keys) if position not in drop], districts, khoroo

    def _ranked(
        self, query_terms: list[_QueryTerm], accepted: int, limit: int, offset: int
    ) -> SearchPage:
        """Rank the accepted documents that match enough of the query terms."""
        size = len(self._docs)
        live = len(self._slot_of)
        n = len(query_terms)
        # At least half of the words must match, so a stray typo or an unknown
        # word does not empty the result, yet one common word is not enough in
        # a longer query.
        need = 1 if n <= 2 else (n + 1) // 2
        # Every document's relevance and matched-term count, a term at a time over
        # arrays: the cost follows the postings of the query's terms, not Python loops.
        relevance = np.zeros(size)
        matched = np.zeros(size, dtype=np.uint8)
        sureness = np.zeros(size, dtype=np.uint16)
        for qt in query_terms:
            found = self._contributions(qt, live, size)
            if found is not None:
                values, sure = found
                relevance += values
                matched += values > 0
                sureness += sure
        eligible = matched >= need
        eligible &= np.frombuffer(accepted.to_bytes(size, "little"), dtype=np.bool_)
        # Weak matches do not flood the list when strong ones exist (see _RELATIVE_FLOOR);
        # a matched term adds at least one step, so sureness also tells the eligible.
        sureness = np.where(eligible, sureness, 0)
        surest = int(sureness.max(initial=0))
        least = surest * _RELATIVE_FLOOR
        if n > 1:
            least = min(least, surest - _SURE_STEPS)
        eligible = sureness >= max(least - 1e-9, 1)
        tiers = np.where(eligible, matched, 0).astype(np.uint8)
        counts = np.bincount(tiers, minlength=n + 1).tolist()
        total = sum(counts[1:])
        wanted = min(offset + limit, total)
        if offset >= wanted:
            return SearchPage([], total)
        # More matched terms always rank higher, so only the fullest tiers that
        # reach the page take part.
        tier, reached = n, counts[n]
        while reached < wanted:
            tier -= 1
            reached += counts[tier]
        pool = np.flatnonzero(tiers >= tier)
        counted = matched[pool]
        weight = relevance[pool]

        # Matched-term count ranks first (like Meilisearch's "words" rule);
        # relevance orders within it and stays below 1.
        lowest = counted + weight / (weight + 4.0)
        highest = lowest
        titled = np.zeros(0, dtype=np.intp)
        if n > 1 and counts[n]:
            # A title holding every query word multiplies relevance by 1.3 to 2.
            titled = np.flatnonzero(self._titled(query_terms, size)[pool] & (counted == n))
            if len(titled):
                highest = lowest.copy()
                for share, bounds in ((_TITLE_ALL_BONUS, lowest), (_TITLE_MAX_BONUS, highest)):
                    boosted = weight[titled] * (1.0 + share)
                    bounds[titled] = n + boosted / (boosted + 4.0)
        # No document outside the best `wanted` by their least score can reach past the
        # wanted-th of them unless its greatest score does: score exactly only those.
        best = np.argpartition(-lowest, wanted - 1)[:wanted]
        floor = float(lowest[best].min()) - 1e-9
        chosen = np.flatnonzero(highest >= floor)
        is_titled = np.zeros(len(pool), dtype=np.bool_)
        is_titled[titled] = True
        plain = pool[chosen[~is_titled[chosen]]].tolist()
        scored = self._score(plain, relevance, matched, set(), query_terms)
        # Titles are read one by one, so the titled documents go best bound first and
        # stop once the next one's bound cannot reach the page.
        rich = chosen[is_titled[chosen]]
        rich = rich[np.argsort(-highest[rich], kind="stable")]
        bounds_of = highest[rich].tolist()
        by_bound = pool[rich].tolist()
        bonus = set(by_bound)
        for start in range(0, len(by_bound), _TITLE_BATCH):
            if len(scored) >= wanted:
                scored.sort(key=_rank_key)
                if bounds_of[start] < scored[wanted - 1][0] - 1e-9:
                    break
            batch = by_bound[start : start + _TITLE_BATCH]
            scored += self._score(batch, relevance, matched, bonus, query_terms)
        scored.sort(key=_rank_key)
        slot_of = self._slot_of
        hits = [
            Hit(doc_id, score, round(int(sureness[slot_of[doc_id]]) / (n * _SURE_STEPS), 4))
            for score, _, doc_id in scored[offset:wanted]
        ]
        return SearchPage(hits, total)

    def _accepted(self, filters: Filters | None) -> int:
        """Return a lane mask (1 per byte) of live documents that pass the filters."""
        mask = int.from_bytes(self._alive, "little")
        if filters is None:
            return mask
        for name in _FACETS:
            accepted = _as_set(getattr(filters, name))
            if accepted is not None:
                mask &= self._facet_mask(name, accepted)
        low, high = filters.year_from, filters.year_to
        if low is not None or high is not None:
            years = [
                year
                for year in self._facets["year"]
                if isinstance(year, int)
                and (low is None or year >= low)
                and (high is None or year <= high)
            ]
            mask &= self._facet_mask("year", years)
        return mask

    def _facet_mask(self, name: str, values: Iterable[object]) -> int:
        """Return a lane mask of documents whose field `name` holds one of values."""
        rows = self._facets[name]
        mask = 0
        for value in values:
            row = rows.get(value)
            if row is not None:
                mask |= int.from_bytes(row, "little")
        return mask

    def _score(
        self,
        slots: list[int],
        relevance: np.ndarray,
        matched: np.ndarray,
        bonus: set[int],
        query_terms: list[_QueryTerm],
    ) -> list[_Scored]:
        """Score documents exactly: matched-term count first, then BM25F relevance."""
        docs = self._docs
        scored: list[_Scored] = []
        for slot, value, count in zip(
            slots, relevance[slots].tolist(), matched[slots].tolist(), strict=True
        ):
            if slot in bonus:
                value *= 1.0 + self._title_bonus(slot, query_terms)
            doc = docs[slot]
            assert doc is not None
            score = count + value / (value + 4.0)
            scored.append((round(score, 9), _id_key(doc.id), doc.id))
        return scored

    def _parse(self, words: list[str]) -> list[_QueryTerm]:
        """Turn a query's folded words into distinct query terms with their expansions."""
        # Stop words are not indexed, so a query of only stop words finds nothing.
        content = [w for w in words if w not in STOPWORDS]
        stems = [stem(word) for word in content]
        # A word the practices use finds them itself, and widening it would let the many
        # practices that use a synonym outnumber them; a phrase (бие засах газар) or a
        # word they never use (elderly) is widened.
        related = self._glossary.expand(stems, alone=lambda term: term not in self._df)
        seen: set[str] = set()
        result = []
        for position, (word, term) in enumerate(zip(content, stems, strict=True)):
            if term in seen:
                continue
            seen.add(term)
            qt = _QueryTerm(word, term)
            # A word the glossary knows but the practices never use (garbage, sorting) is
            # spelt right: its typo and prefix neighbours are other words (garb: гар, hand).
            known = bool(related[position]) and term not in self._df
            if not known:
                self._expand(qt, is_last=position == len(content) - 1)
            qt.sureness.update(qt.expansions)
            # Synonyms and translations count for less than the words typed, so a practice
            # in the officer's own words ranks first; yet they mean the word, not a typo of it.
            for other in related[position]:
                if other in self._df:
                    qt.sureness[other] = 1.0
                    if qt.expansions.get(other, 0.0) < _GLOSSARY_WEIGHT:
                        qt.expansions[other] = _GLOSSARY_WEIGHT
            result.append(qt)
        # Matched-term counts live in one byte per document.
        return result[:_MAX_QUERY_TERMS]

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
            for candidate, distance, _ in process.extract(
                term,
                self._near(term, budget),
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
                short = len(prefix) < _MIN_PREFIX
                rest = qt.word[len(prefix) :] if qt.word.startswith(prefix) else ""
                for candidate in self._completions(prefix):
                    if short and not _within(candidate[len(prefix) :], rest):
                        continue
                    if expansions.get(candidate, 0.0) < _PREFIX_WEIGHT:
                        expansions[candidate] = _PREFIX_WEIGHT

    def _near(self, term: str, budget: int) -> list[str]:
        """Return the vocabulary terms that may be within `budget` edits of a term.

        An edit changes the length by at most one, and adds or drops at most one letter
        of those a word has: comparing lengths and letter sets of the whole vocabulary
        at once leaves few terms for the exact (and slower) edit distance.
        """
        if self._vocab_arrays is None:
            shapes = np.array(self._vocab_shape, dtype=np.uint64).reshape(-1, 2)
            self._vocab_arrays = (shapes[:, 0].astype(np.int16), shapes[:, 1].copy())
        lengths, letters = self._vocab_arrays
        mine = np.uint64(_letters(term))
        near = np.abs(lengths - len(term)) <= budget
        near &= np.bitwise_count(letters & ~mine) <= budget
        near &= np.bitwise_count(mine & ~letters) <= budget
        vocab = self._vocab
        return [vocab[i] for i in np.flatnonzero(near).tolist()]

    def _completions(self, prefix: str) -> list[str]:
        """Return the shortest vocabulary terms that start with prefix."""
        vocab = self._vocab_sorted
        start = bisect.bisect_left(vocab, prefix)
        end = bisect.bisect_left(vocab, prefix + "\x7f", lo=start)
        found = vocab[start:end]
        if len(found) > _MAX_PREFIX_EXPANSIONS:
            found = sorted(found, key=lambda t: (len(t), t))[:_MAX_PREFIX_EXPANSIONS]
        return found

    def _contributions(
        self, qt: _QueryTerm, live: int, size: int
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Return a query term's weighted BM25 contribution and sureness per slot.

        Both come from the slot's best expansion of the term (by each measure).
        """
        if not qt.expansions:
            return None
        # A misspelt or truncated match is often a rare word; its own idf
        # would outrank the common word the user meant, so no expansion counts
        # as rarer than the exact term (or, without one, the commonest match).
        exact_df = self._df.get(qt.term)
        cap = _idf(live, exact_df or max(self._df[term] for term in qt.expansions))
        values = np.zeros(size)
        sure = np.zeros(size, dtype=np.uint8)
        for term, weight in qt.expansions.items():
            factor = weight * min(cap, _idf(live, self._df[term])) / _IMPACT_SCALE
            sureness = np.uint8(round(qt.sureness[term] * _SURE_STEPS))
            row = self._dense.get(term)
            if row is not None:
                head = values[: len(row)]
                impacts = np.frombuffer(row, dtype=np.uint8)
                np.maximum(head, impacts * factor, out=head)
                sure_head = sure[: len(row)]
                np.maximum(sure_head, np.minimum(impacts, 1) * sureness, out=sure_head)
                continue
            slots, impacts_list = self._postings[term]
            # A term lists each slot once, so gathering and scattering is a maximum.
            where = np.frombuffer(slots, dtype=_SLOT_DTYPE)
            impacts = np.frombuffer(impacts_list, np.uint8)
            values[where] = np.maximum(values[where], impacts * factor)
            sure[where] = np.maximum(sure[where], sureness)
        return values, sure

    def _titled(self, query_terms: list[_QueryTerm], size: int) -> np.ndarray:
        """Return which slots have a title holding every query term (as booleans)."""
        holds = np.ones(size, dtype=np.bool_)
        for qt in query_terms:
            found = np.zeros(size, dtype=np.bool_)
            for term in qt.expansions:
                slots = self._title_postings.get(term)
                if slots is not None:
                    found[np.frombuffer(slots, dtype=_SLOT_DTYPE)] = True
            holds &= found
        return holds

    def _title_bonus(self, slot: int, query_terms: list[_QueryTerm]) -> float:
        """Reward a title that holds every query term, more so in query order and adjacent."""
        title = self._title_terms[slot]
        positions = []
        for qt in query_terms:
            position = next((i for i, term in enumerate(title) if term in qt.expansions), None)
            if position is None:
                return 0.0
            positions.append(position)
        adjacent = sum(1 for a, b in pairwise(positions) if b == a + 1)
        return _TITLE_ALL_BONUS + _TITLE_ORDER_BONUS * adjacent / (len(query_terms) - 1)


def _letters(term: str) -> int:
    """Return the set of a term's letters as bits (folded terms are Latin letters and digits)."""
    bits = 0
    for char in term:
        bits |= 1 << (ord(char) & 63)
    return bits


def _within(letters: str, word: str) -> bool:
    """Tell whether letters appear in word in the same order (not necessarily adjacent)."""
    remaining = iter(word)
    return all(letter in remaining for letter in letters)


def _idf(live: int, df: int) -> float:
    """Return the BM25 inverse document frequency of a term in df of live documents."""
    return math.log(1.0 + (live - df + 0.5) / (df + 0.5))
