"""The glossary: groups of words that mean the same thing, used to widen questions and searches.

Trainers edit `knowledge/glossary.yaml`; every word goes through the same folding and stemming
as the text it is compared with (`knowledge.text.terms`), so one spelling covers them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.text import fold_words, stem, terms

GLOSSARY_FILE = Path(__file__).parent / "glossary.yaml"
# A phrase longer than this is not looked for (and is refused when loading).
MAX_PHRASE = 6


class GlossaryError(ValueError):
    """The glossary file is missing or malformed."""


@dataclass(frozen=True)
class Glossary:
    """Stemmed phrases and the groups they belong to; each group's one-word members."""

    phrases: dict[tuple[str, ...], frozenset[int]]
    members: tuple[frozenset[str], ...]
    longest: int
    # Folded (unstemmed) spellings of each district, and the district code they name.
    places: dict[tuple[str, ...], str] = field(default_factory=dict)

    @classmethod
    def from_groups(
        cls, groups: Sequence[Sequence[str]], places: Mapping[str, Sequence[str]] | None = None
    ) -> Glossary:
        """Build a glossary from groups of words and phrases (any script, any ending)."""
        phrases: dict[tuple[str, ...], set[int]] = {}
        members: list[frozenset[str]] = []
        for number, group in enumerate(groups):
            singles: set[str] = set()
            for text in group:
                key = tuple(terms(text))
                if not key:
                    continue
                if len(key) == 1:
                    singles.add(key[0])
                for variant in _english_forms(text):
                    key = tuple(terms(variant))
                    if key:
                        phrases.setdefault(key, set()).add(number)
            members.append(frozenset(singles))
        frozen = {key: frozenset(found) for key, found in phrases.items()}
        longest = max((len(key) for key in frozen), default=0)
        spellings: dict[tuple[str, ...], str] = {}
        for code, names in (places or {}).items():
            for name in (code, *names):
                key = tuple(fold_words(name))
                if key:
                    spellings[key] = code
        return cls(frozen, tuple(members), longest, spellings)

    @classmethod
    def load(cls, path: Path | str | None = None) -> Glossary:
        """Read and check the glossary file (the bundled one by default)."""
        file = Path(path) if path is not None else GLOSSARY_FILE
        try:
            data: Any = yaml.safe_load(file.read_text(encoding="utf-8"))
        except OSError as error:
            raise GlossaryError(f"{file}: cannot read the glossary: {error}") from error
        except yaml.YAMLError as error:
            raise GlossaryError(f"{file}: not valid YAML: {error}") from error
        groups = data.get("groups") if isinstance(data, dict) else None
        if not isinstance(groups, list):
            raise GlossaryError(f"{file}: expected a mapping with a list of groups")
        for number, group in enumerate(groups, start=1):
            if (
                not isinstance(group, list)
                or len(group) < 2
                or not all(isinstance(item, str) and item.strip() for item in group)
            ):
                raise GlossaryError(f"{file}: group {number} must list at least two words")
            for item in group:
                if len(terms(item)) > MAX_PHRASE:
                    raise GlossaryError(f"{file}: group {number}: {item!r} is too long")
        places = data.get("places") or {}
        if not isinstance(places, dict) or not all(
            isinstance(code, str)
            and isinstance(names, list)
            and all(isinstance(name, str) and name.strip() for name in names)
            for code, names in places.items()
        ):
            raise GlossaryError(f"{file}: places must map district codes to lists of names")
        return cls.from_groups(groups, places)

    def expand(
        self, stems: Sequence[str], alone: Callable[[str], bool] | None = None
    ) -> list[frozenset[str]]:
        """Return, per position of a stemmed text, the related stems the glossary adds.

        A phrase of several words lends the group's one-word members to each of its words,
        so "бие засах газар" gives every one of its words "жорлон"; no word of the text is listed.
        A word matching on its own is widened only when `alone` (if given) says so.
        """
        related: list[set[str]] = [set() for _ in stems]
        if not self.longest:
            return [frozenset() for _ in stems]
        # The longest phrase wins, so "өндөр настан" is read as one phrase rather than as
        # "өндөр", whose stem collides with оноо (score).
        start = 0
        while start < len(stems):
            size = min(self.longest, len(stems) - start)
            while size and tuple(stems[start : start + size]) not in self.phrases:
                size -= 1
            if not size or (size == 1 and alone is not None and not alone(stems[start])):
                start += 1
                continue
            found: set[str] = set()
            for group in self.phrases[tuple(stems[start : start + size])]:
                found |= self.members[group]
            for position in range(start, start + size):
                related[position] |= found
            start += size
        # A word typed in the text is matched as typed: lent to its neighbours too, one
        # word of a document would count for two ("ахмад настан" meeting only "ахмад").
        typed = set(stems)
        return [frozenset(found - typed) for found in related]

    def places_in(self, keys: Sequence[str]) -> list[tuple[int, int, str]]:
        """Find districts named in folded words: (start, number of words, code), in order.

        A word names a district when it is a spelling of it, or that spelling with a case
        ending ("Баянголд", "songinokhairkhanii"); a short spelling (BZD) must match whole.
        """
        found: list[tuple[int, int, str]] = []
        start = 0
        while start < len(keys):
            for spelling, code in self.places.items():
                size = len(spelling)
                if all(
                    _names(keys[start + i], part) if start + i < len(keys) else False
                    for i, part in enumerate(spelling)
                ):
                    found.append((start, size, code))
                    start += size
                    break
            else:
                start += 1
        return found


def _english_forms(text: str) -> set[str]:
    """Return an English phrase with its last word's plural, -ing and singular forms.

    The Mongolian stemmer leaves English endings alone, so "dog" would not find "dogs";
    Mongolian (Cyrillic) phrases are returned as they are.
    """
    words = text.split()
    last = words[-1] if words else ""
    if not last.isascii() or not last.isalpha() or len(last) < 3:
        return {text}
    forms = {last, last + "s", last + "es", last + "ing", last + "ed"}
    if last.endswith("e"):
        forms.update((last[:-1] + "ing", last + "d"))
    if last.endswith("s") and len(last) > 3:
        forms.add(last[:-1])
    if last.endswith("y"):
        forms.add(last[:-1] + "ies")
    return {" ".join([*words[:-1], form]) for form in forms}


def _names(word: str, spelling: str) -> bool:
    """Tell whether a folded word is a spelling, or the spelling with an ending."""
    if word == spelling:
        return True
    return len(spelling) >= 4 and word.startswith(spelling) and stem(word) == stem(spelling)


@cache
def bundled() -> Glossary:
    """Return the glossary shipped with the code, loaded once per process."""
    return Glossary.load()
