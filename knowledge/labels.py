"""Match a label typed by a person (a district, a category, a column header) to an id.

People write names the way they remember them: in any case, Cyrillic or Latin letters,
ө/ү as о/у, with a typo, a word more ("Баянзүрх дүүрэг") or a word less. Labels and what
was typed are compared on the search's lossy key (knowledge/text.py), word by word with
their endings stripped, and by edit similarity (rapidfuzz) for typos. A threshold and a
margin over the runner-up keep nonsense and ambiguous text from matching anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz

from knowledge.text import fold_words, stem

__all__ = ["LabelMatcher", "Match", "key_words"]

# A typo is forgiven when the whole key is at least this similar (0-100) ...
WHOLE_SIMILARITY = 85.0
# ... and single words count as the same word from this similarity on.
WORD_SIMILARITY = 80.0
# Keys shorter than this must match exactly: "ub" is not a typo of "uv".
MIN_FUZZY_LENGTH = 5
# The best label must beat a different id's label by this much, or nothing matches.
MARGIN = 4.0
# Share of the words two labels have in common (Dice coefficient, 0-100) from which
# they are taken to name the same thing ("Нийтийн хэв журам" vs "Хэв журам").
MIN_WORD_SHARE = 60.0


def key_words(text: str) -> list[str]:
    """Return the stemmed keys of the words in a label."""
    return [stem(key) for key in fold_words(text)]


@dataclass(frozen=True)
class Match:
    """The id a label matched, and how sure the match is (100 = the same key)."""

    id: str
    score: float


@dataclass(frozen=True)
class _Name:
    id: str
    compact: str  # the key without spaces: "Хан-Уул" and "khanuul" meet here
    words: tuple[str, ...]


class LabelMatcher:
    """Names (several per id) to match typed labels against."""

    def __init__(
        self,
        names: Mapping[str, Iterable[str]],
        *,
        noise: Iterable[str] = (),
        prefixes: bool = False,
    ) -> None:
        """Index names per id; noise words ("дүүрэг") are dropped from both sides."""
        self.noise = frozenset(w for text in noise for w in key_words(text))
        self.prefixes = prefixes
        self._names: list[_Name] = []
        self._exact: dict[str, set[str]] = {}
        for id_, texts in names.items():
            for text in texts:
                words = self._words(text)
                if not words:
                    continue
                compact = "".join(words)
                name = _Name(id_, compact, words)
                self._names.append(name)
                self._exact.setdefault(compact, set()).add(id_)
                self._exact.setdefault("".join(fold_words(text)), set()).add(id_)

    def _words(self, text: str) -> tuple[str, ...]:
        words = tuple(w for w in key_words(text) if w not in self.noise)
        return words or tuple(key_words(text))

    def match(self, text: str) -> Match | None:
        """Return the id the text names, or None when it names none or several."""
        words = self._words(text)
        if not words:
            return None
        for compact in ("".join(fold_words(text)), "".join(words)):
            ids = self._exact.get(compact)
            if ids is not None:
                return Match(next(iter(ids)), 100.0) if len(ids) == 1 else None
        best: dict[str, float] = {}
        for name in self._names:
            score = self._score(words, name)
            if score > best.get(name.id, 0.0):
                best[name.id] = score
        ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)
        if not ranked or ranked[0][1] <= 0.0:
            return None
        if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < MARGIN:
            return None
        return Match(*ranked[0])

    def _score(self, words: tuple[str, ...], name: _Name) -> float:
        compact = "".join(words)
        score = 0.0
        if min(len(compact), len(name.compact)) >= MIN_FUZZY_LENGTH:
            whole = fuzz.ratio(compact, name.compact)
            if whole >= WHOLE_SIMILARITY:
                score = whole
        if self.prefixes and len(compact) >= 3 and name.compact.startswith(compact):
            score = max(score, WHOLE_SIMILARITY)
        if len(words) > 1 or len(name.words) > 1:
            share = _word_share(words, name.words)
            if share >= MIN_WORD_SHARE:
                score = max(score, share)
        return score


def _word_share(left: tuple[str, ...], right: tuple[str, ...]) -> float:
    """Return the Dice coefficient of two word lists, words matched allowing typos."""
    unused = list(right)
    common = 0
    for word in left:
        for index, other in enumerate(unused):
            if word == other or (
                min(len(word), len(other)) >= MIN_FUZZY_LENGTH
                and fuzz.ratio(word, other) >= WORD_SIMILARITY
            ):
                common += 1
                del unused[index]
                break
    return 200.0 * common / (len(left) + len(right))
