"""Count open answers for a word cloud: one group per word, whatever script or ending.

"ил тод", "il tod" and "ил тодоор" are one answer: each is folded to the project's Latin
key and stripped of its endings (knowledge.text), and the group is shown in the form
people wrote most. A short answer (a word or a phrase) counts as one entry, as it is the
participant's idea; a longer sentence counts word by word, without stop words.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.text import STOPWORDS, fold_word, stem

PHRASE_WORDS = 3  # answers of up to this many words are one entry; longer ones split
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


@dataclass(frozen=True)
class CloudWord:
    """One group of the cloud: its shown form, how many gave it, and its size (1-5)."""

    text: str
    count: int
    size: int


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def _key(words: Iterable[str]) -> tuple[str, ...]:
    """Return the grouping key of words: stems of the words that carry meaning."""
    keys = []
    for word in words:
        folded = fold_word(word.replace("-", "").replace("'", "").replace("’", ""))
        if folded and folded not in STOPWORDS:
            keys.append(stem(folded))
    return tuple(keys)


def entries(answer: str) -> list[tuple[tuple[str, ...], str]]:
    """Return the (key, written form) entries one answer adds to the cloud."""
    words = _words(answer)
    if not words:
        return []
    if len(words) <= PHRASE_WORDS:
        key = _key(words)
        return [(key, " ".join(words))] if key else []
    found = []
    for word in words:
        key = _key([word])
        if key:
            found.append((key, word))
    return found


def cloud(answers: Iterable[str], limit: int = 50) -> list[CloudWord]:
    """Group the answers and return the biggest groups first, each in its commonest form."""
    counts: Counter[tuple[str, ...]] = Counter()
    forms: dict[tuple[str, ...], Counter[str]] = {}
    for answer in answers:
        # One participant's answer counts a group once, however often it repeats a word.
        seen: dict[tuple[str, ...], str] = {}
        for key, written in entries(answer):
            seen.setdefault(key, written)
        for key, written in seen.items():
            counts[key] += 1
            forms.setdefault(key, Counter())[written] += 1
    if not counts:
        return []
    top = max(counts.values())
    # Ties keep the order groups first appeared in (Counter.most_common is stable).
    ranked = counts.most_common(limit)
    return [
        CloudWord(
            text=forms[key].most_common(1)[0][0],
            count=count,
            size=1 + round(4 * (count - 1) / (top - 1)) if top > 1 else 3,
        )
        for key, count in ranked
    ]
