"""The glossary: groups of words that mean the same thing, used to widen questions and searches.

Trainers edit `knowledge/glossary.yaml`; every word goes through the same folding and stemming
as the text it is compared with (`knowledge.text.terms`), so one spelling covers them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.text import terms

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

    @classmethod
    def from_groups(cls, groups: Sequence[Sequence[str]]) -> Glossary:
        """Build a glossary from groups of words and phrases (any script, any ending)."""
        phrases: dict[tuple[str, ...], set[int]] = {}
        members: list[frozenset[str]] = []
        for number, group in enumerate(groups):
            singles: set[str] = set()
            for text in group:
                key = tuple(terms(text))
                if not key:
                    continue
                phrases.setdefault(key, set()).add(number)
                if len(key) == 1:
                    singles.add(key[0])
            members.append(frozenset(singles))
        frozen = {key: frozenset(found) for key, found in phrases.items()}
        longest = max((len(key) for key in frozen), default=0)
        return cls(frozen, tuple(members), longest)

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
        return cls.from_groups(groups)

    def expand(self, stems: Sequence[str]) -> list[frozenset[str]]:
        """Return, per position of a stemmed text, the related stems the glossary adds.

        A phrase of several words lends the group's one-word members to each of its words,
        so "бие засах газар" gives every one of its words "жорлон"; a stem never lists itself.
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
            if not size:
                start += 1
                continue
            found: set[str] = set()
            for group in self.phrases[tuple(stems[start : start + size])]:
                found |= self.members[group]
            for position in range(start, start + size):
                related[position] |= found
            start += size
        return [frozenset(found - {stem}) for found, stem in zip(related, stems, strict=True)]


@cache
def bundled() -> Glossary:
    """Return the glossary shipped with the code, loaded once per process."""
    return Glossary.load()
