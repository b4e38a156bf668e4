"""Count open answers for a word cloud: one group per idea, whatever script, ending or case.

The rule, as a trainer sees it on the wall:

* A **short answer** (up to three words) is one phrase, the participant's idea: "ил тод"
  stays "ил тод". Stop words at its edges are left out ("Ил тод вэ?" is "Ил тод"), the ones
  inside stay ("хууль ба дүрэм").
* A **longer answer** gives its meaningful words one by one; question words and other stop
  words ("хэрхэн", "вэ", "юу", "ба", "болон", "бусад", "the"...) are left out.
* A **phrase somebody gave as a short answer** counts as that phrase inside longer answers
  too, the longest first and never across punctuation: beside "ил тод" the wall does not
  show "ил" and "тод" again.
* **Not words:** markup (tags, and whatever a script or style element holds), character
  entities, links, numbers, punctuation and single letters ("1", "5-р", "<script>").
* **One group** per word or phrase however it is written: Cyrillic or Latin letters
  ("ил тод", "il tod"), with endings ("ил тодоор", "байдлыг" with "байдал"), in any case.
  Each word is folded to the project's Latin key and stripped of its endings
  (knowledge.text); a phrase's key is the keys of its meaningful words.
* One participant's answer counts a group once, however often it repeats it.
* **The shown form** is what people wrote: the script most of the group wrote in (the
  Latin spellings, split across h/x/kh habits, count together against the Cyrillic forms;
  Cyrillic wins a tie), then that script's commonest spelling (the shortest, uninflected
  one on a tie), then that spelling's commonest case ("УИХ", "Facebook"); a tie left after
  that goes to the form written first.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowledge.text import STOPWORDS, fold_word, fold_words, stem

PHRASE_WORDS = 3  # answers of up to this many words are one entry; longer ones split
MIN_LETTERS = 2  # fewer letters (a number, "5-р", a lone letter) is not a word

Key = tuple[str, ...]

# Words that carry nothing on the wall but are no search stop words (knowledge.text's list
# is shared with the FAQ and search, so it is extended here only).
_CLOUD_STOPWORDS = frozenset(
    fold_words(
        "бусад мэт гм бөгөөд харин гэхдээ учир учраас тул ёстой"
        # Not "us", "as", "on", "or", "our": folded they are ус, ас, он, ор.
        " etc by so my your its been"
    )
)
_MARKUP = re.compile(
    r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)|<!--.*?(?:-->|$)|</?[a-z!][^>]*>",
    re.IGNORECASE | re.DOTALL,
)
_LINK = re.compile(r"(?:\bhttps?://|\bwww\.|\S*@)\S*", re.IGNORECASE)
# A known phrase stops at punctuation: "... ил. Тод ..." is no "ил тод".
_CLAUSE_BREAK = re.compile(r"[^\w\s'’ʼ-]+|\s-+\s|_+")
_WORD = re.compile(r"[^\W_]+(?:[-'’ʼ][^\W_]+)*")
_JOINERS = str.maketrans(dict.fromkeys("-'’ʼ", ""))


@dataclass(frozen=True)
class CloudWord:
    """One group of the cloud: its shown form, how many gave it, and its size (1-5)."""

    text: str
    count: int
    size: int


@dataclass(frozen=True)
class _Word:
    """One written word of an answer and its key (empty for a stop word)."""

    written: str
    key: str


def _word(written: str) -> _Word | None:
    """Return the word with its grouping key, or None if it is no word (a number)."""
    if sum(ch.isalpha() for ch in written) < MIN_LETTERS:
        return None
    folded = fold_word(written.lower().translate(_JOINERS))
    if not folded or folded in STOPWORDS or folded in _CLOUD_STOPWORDS:
        return _Word(written, "")
    return _Word(written, stem(folded))


def _clauses(answer: str) -> list[list[_Word]]:
    """Split an answer into clauses of words, without markup, links or numbers."""
    text = unicodedata.normalize("NFKC", html.unescape(answer))
    text = _LINK.sub(" ", _MARKUP.sub(" ", text))
    clauses = []
    for part in _CLAUSE_BREAK.split(text):
        words = [w for raw in _WORD.findall(part) if (w := _word(raw)) is not None]
        if words:
            clauses.append(words)
    return clauses


def _span(words: Sequence[_Word]) -> tuple[Key, str]:
    """Return the key and the written form of words, without stop words at the edges."""
    meaningful = [i for i, w in enumerate(words) if w.key]
    shown = words[meaningful[0] : meaningful[-1] + 1]
    return tuple(words[i].key for i in meaningful), " ".join(w.written for w in shown)


def _short(clauses: list[list[_Word]]) -> bool:
    """Tell whether an answer is short enough to be one phrase."""
    return sum(len(clause) for clause in clauses) <= PHRASE_WORDS


def _phrase(clauses: list[list[_Word]]) -> Key:
    """Return the key of a short answer of several meaningful words, else ()."""
    if not _short(clauses):
        return ()
    key = tuple(w.key for clause in clauses for w in clause if w.key)
    return key if len(key) > 1 else ()


def _entries(clauses: list[list[_Word]], phrases: frozenset[Key]) -> list[tuple[Key, str]]:
    """Return the (key, written form) entries of one split answer."""
    words = [w for clause in clauses for w in clause]
    if not any(w.key for w in words):
        return []
    if _short(clauses):
        return [_span(words)]
    found = []
    for clause in clauses:
        meaningful = [i for i, w in enumerate(clause) if w.key]
        at = 0
        while at < len(meaningful):
            size = 1
            for longer in range(min(PHRASE_WORDS, len(meaningful) - at), 1, -1):
                if tuple(clause[i].key for i in meaningful[at : at + longer]) in phrases:
                    size = longer
                    break
            found.append(_span(clause[meaningful[at] : meaningful[at + size - 1] + 1]))
            at += size
    return found


def entries(answer: str, phrases: Iterable[Key] = ()) -> list[tuple[Key, str]]:
    """Return the (key, written form) entries one answer adds, given the known phrases."""
    return _entries(_clauses(answer), frozenset(phrases))


def _cyrillic(form: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in form)


def shown_form(forms: Counter[str]) -> str:
    """Return the form a group shows: its script's commonest spelling, in its commonest case."""
    # Counters keep insertion order and max/min keep the first of equals, so a tie left
    # over goes to the form written first.
    cyrillic = {form: n for form, n in forms.items() if _cyrillic(form)}
    latin = {form: n for form, n in forms.items() if not _cyrillic(form)}
    script = cyrillic if sum(cyrillic.values()) >= sum(latin.values()) else latin
    spellings: Counter[str] = Counter()
    for form, n in script.items():
        spellings[form.casefold()] += n
    spelling = min(spellings, key=lambda s: (-spellings[s], len(s)))
    return max((f for f in script if f.casefold() == spelling), key=script.__getitem__)


def cloud(answers: Iterable[str], limit: int = 50) -> list[CloudWord]:
    """Group the answers and return the biggest groups first, each in its shown form."""
    split = [_clauses(answer) for answer in answers]
    phrases = frozenset(key for clauses in split if (key := _phrase(clauses)))
    counts: Counter[Key] = Counter()
    forms: dict[Key, Counter[str]] = {}
    for clauses in split:
        # One participant's answer counts a group once, however often it repeats a word.
        seen: dict[Key, str] = {}
        for key, written in _entries(clauses, phrases):
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
            text=shown_form(forms[key]),
            count=count,
            size=1 + round(4 * (count - 1) / (top - 1)) if top > 1 else 3,
        )
        for key, count in ranked
    ]
