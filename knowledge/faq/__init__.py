"""The FAQ knowledge base: entries loaded from YAML files, and a matcher for free-text questions.

Trainers edit `knowledge/faq/entries/*.yaml` (one entry per file); nothing here reads a file
until `FaqBase.load` is called.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from rapidfuzz import fuzz, process

from knowledge.faq.sources import SOURCES
from knowledge.text import fold, terms

ENTRIES_DIR = Path(__file__).parent / "entries"
LANGUAGES = ("mn", "en")
EXAMPLE_KINDS = ("mn", "mn_latin", "en")

Confidence = Literal["confident", "unsure", "none"]

# Thresholds on the combined 0-100 score, tuned on tests/data/faq_questions.jsonl (see
# benchmarks/faq.py): in-scope questions score well above CONFIDENT, out-of-scope ones
# stay below it, and UNSURE keeps "did you mean" for partial matches only.
CONFIDENT = 60.0
UNSURE = 40.0
# A confident answer also needs this lead over the runner-up, so a question that two
# topics match about equally well gets "did you mean" instead of a coin toss; a near-exact
# match (say, an example reworded by one stop word) needs a smaller lead.
MARGIN = 4.0
HIGH = 90.0
HIGH_MARGIN = 1.5
# Weights of the three signals in the combined score (see `rank`).
COVERAGE_WEIGHT = 0.4
CLOSENESS_WEIGHT = 0.4
SPELLING_WEIGHT = 0.2
# How much a query term counts when it meets an entry only partly: a word of the same
# family (нутагшуулах / нутагшуулалт share a stem prefix), a typo, or a word that only
# the entry's answer uses (a weak hint, since answers use many everyday words).
FAMILY_CREDIT = 0.9
ANSWER_CREDIT = 0.4
# A word family needs this long a shared prefix, covering this share of the shorter term.
FAMILY_PREFIX = 4
FAMILY_SHARE = 0.7
# A typo is a term this similar to an indexed one, in terms long enough for a typo.
TERM_SIMILARITY = 84.0
MIN_FUZZY_TERM = 5
# IDF mass a question must match for full credit: one everyday word ("сайн") is not
# enough to be sure, one rare word ("iso") nearly is.
FULL_MASS = 3.0
# Words that shape a question but say nothing about its topic; folded with the same
# normaliser as everything else, so every spelling of them is covered. "талаар" (about)
# stems to "тал" (side), so "давуу тал" keeps only "давуу": a fair price, as "about" is
# in many questions. "ёстой" stays out: it stems to "ёс" (ethics).
QUESTION_WORDS = (
    "юуг юуны юунд гэдэг чинь хэлэх хэлдэг хэлнэ хэлээч хийх хийдэг болох болдог вэ бэ"
    " өгөөч өгнө үү тайлбарла тайлбарлаж ер нь хэрэгтэй вэй талаар эсэх эсэхийг мэдэх"
    " can could should would will my our your me us tell explain there any please"
    " does mean meaning"
)
# Whole messages that are courtesy, not questions: "сайн" alone is a topic word
# ("сайн туршлага"), so a greeting is recognised as a phrase.
COURTESY = (
    "сайн байна уу",
    "сайн уу",
    "сайн байцгаана уу",
    "өглөөний мэнд",
    "баярлалаа",
    "за",
    "ok",
    "hi",
    "hello",
    "thanks",
    "thank you",
)

_TAGS = re.compile(r"<[^>]+>")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KEYS = {"id", "order", "title", "answer", "examples", "related", "sources", "general"}
_REQUIRED = {"id", "title", "answer", "examples"}


class FaqError(ValueError):
    """A knowledge-base file is missing, malformed, or inconsistent with the others."""


@dataclass(frozen=True)
class FaqEntry:
    """One topic: titles and answers in Mongolian and English, example questions, related ids."""

    id: str
    title: Mapping[str, str]
    answer: Mapping[str, str]
    examples: Mapping[str, tuple[str, ...]]
    related: tuple[str, ...] = ()
    order: int = 1000
    source: Path | None = None
    # The documents the answer rests on (file names from `knowledge.faq.sources`), and
    # whether it also goes beyond them; an answer that does says so in its own text.
    sources: tuple[str, ...] = ()
    general: bool = False

    def title_in(self, language: str) -> str:
        """Return the title in the language, Mongolian when the language is not covered."""
        return self.title[_language(language)]

    def answer_in(self, language: str) -> str:
        """Return the answer (Telegram HTML) in the language, Mongolian when not covered."""
        return self.answer[_language(language)]

    def all_examples(self) -> list[str]:
        """Return every example question, whatever its script or language."""
        return [text for kind in self.examples for text in self.examples[kind]]


@dataclass(frozen=True)
class FaqAnswer:
    """What the matcher concluded for one question."""

    topic: str | None
    score: float
    answer: str
    # Confident: related topics of the answer; unsure: the best candidates, best first.
    suggestions: list[str] = field(default_factory=list)
    confidence: Confidence = "none"


class FaqBase:
    """The loaded entries and the precomputed index that answers questions against them."""

    def __init__(self, entries: Iterable[FaqEntry]) -> None:
        """Index the entries; they must already be valid (`load` validates files)."""
        self._entries = sorted(entries, key=lambda entry: (entry.order, entry.id))
        self._by_id = {entry.id: entry for entry in self._entries}
        self._extra: dict[str, list[str]] = {}
        self._reindex()

    @classmethod
    def load(cls, path: Path | str | None = None) -> FaqBase:
        """Load and validate every `*.yaml` entry in the directory (the bundled one by default)."""
        directory = Path(path) if path is not None else ENTRIES_DIR
        if not directory.is_dir():
            raise FaqError(f"{directory}: not a directory of FAQ entries")
        files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
        if not files:
            raise FaqError(f"{directory}: no *.yaml FAQ entries found")
        entries: list[FaqEntry] = []
        seen: dict[str, Path] = {}
        for file in files:
            entry = _parse(file)
            if entry.id in seen:
                raise FaqError(f"{file}: id {entry.id!r} is already used by {seen[entry.id]}")
            seen[entry.id] = file
            entries.append(entry)
        for entry in entries:
            for related in entry.related:
                if related not in seen:
                    raise FaqError(f"{entry.source}: related id {related!r} does not exist")
                if related == entry.id:
                    raise FaqError(f"{entry.source}: an entry cannot be related to itself")
        return cls(entries)

    def entry(self, topic_id: str) -> FaqEntry:
        """Return the entry with this id; KeyError when there is none."""
        return self._by_id[topic_id]

    def has(self, topic_id: str) -> bool:
        """Tell whether a topic of that id is loaded."""
        return topic_id in self._by_id

    def entries(self) -> list[FaqEntry]:
        """Return all entries in browse-menu order (the files' `order`, then id)."""
        return list(self._entries)

    def add_example(self, topic_id: str, question: str) -> None:
        """Teach the matcher a new example question for a topic (in memory only)."""
        if topic_id not in self._by_id:
            raise KeyError(topic_id)
        question = question.strip()
        if not question:
            raise ValueError("an example question cannot be empty")
        self._extra.setdefault(topic_id, []).append(question)
        self._reindex()

    def add_entry(self, entry: FaqEntry) -> None:
        """Add a topic taught at run time (a trainer's answer to a new question)."""
        if entry.id in self._by_id:
            raise KeyError(f"topic {entry.id!r} exists already")
        self._entries.append(entry)
        self._by_id[entry.id] = entry
        self._reindex()

    def ask(self, question: str, language: str = "mn") -> FaqAnswer:
        """Match a question typed in any script and answer it in the requested language."""
        ranked = self.rank(question)
        if not ranked:
            return FaqAnswer(topic=None, score=0.0, answer="", suggestions=[], confidence="none")
        best_id, best = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        score = round(best, 1)
        margin = HIGH_MARGIN if best >= HIGH else MARGIN
        if best >= CONFIDENT and best - runner_up >= margin:
            entry = self._by_id[best_id]
            return FaqAnswer(
                topic=best_id,
                score=score,
                answer=entry.answer_in(language),
                suggestions=list(entry.related[:3]),
                confidence="confident",
            )
        if best >= UNSURE:
            candidates = [topic for topic, value in ranked[:3] if value >= UNSURE]
            return FaqAnswer(
                topic=None, score=score, answer="", suggestions=candidates, confidence="unsure"
            )
        return FaqAnswer(topic=None, score=score, answer="", suggestions=[], confidence="none")

    def rank(self, question: str) -> list[tuple[str, float]]:
        """Score every topic against the question (0-100), best first; empty if nothing matches."""
        query_terms = self._terms(question)
        if not query_terms:
            return []
        weights = {term: self._idf.get(term, self._unknown_idf) for term in query_terms}
        query_weight = sum(weights.values())
        coverage = [0.0] * len(self._entries)
        matched = [0.0] * len(self._documents)
        for term, weight in weights.items():
            entries, documents = self._term_matches(term)
            for entry, share in entries.items():
                coverage[entry] += weight * share
            for document, share in documents.items():
                matched[document] += weight * share
        # Per entry: the share of the question's IDF weight its vocabulary covers, scaled
        # down when the matched weight is small, so rare words ("нутагшуулах", "iso") decide,
        # everyday ones ("сайн") cannot make a confident match alone, and words the base
        # never uses (weather, car) pull the share down.
        for entry, mass in enumerate(coverage):
            coverage[entry] = mass / query_weight * min(1.0, mass / FULL_MASS)
        # Per example: weighted Dice, so an example with the question's words and few
        # others is closest; a two-word example does not match every question containing it.
        closeness = [0.0] * len(self._entries)
        for document, mass in enumerate(matched):
            if mass:
                value = 2.0 * mass / (query_weight + self._document_weight[document])
                entry = self._entry_of[document]
                closeness[entry] = max(closeness[entry], value)
        # Character similarity of the sorted terms catches typos the term match missed.
        spelling = [0.0] * len(self._entries)
        query_key = " ".join(sorted(query_terms))
        for _, value, document in process.extract(
            query_key, self._keys, scorer=fuzz.ratio, limit=None
        ):
            entry = self._entry_of[document]
            spelling[entry] = max(spelling[entry], value / 100.0)
        scores = [
            (
                entry.id,
                100.0
                * (
                    COVERAGE_WEIGHT * coverage[i]
                    + CLOSENESS_WEIGHT * closeness[i]
                    + SPELLING_WEIGHT * spelling[i]
                ),
            )
            for i, entry in enumerate(self._entries)
        ]
        scores.sort(key=lambda item: item[1], reverse=True)
        return [item for item in scores if item[1] > 0.0]

    def _terms(self, text: str) -> set[str]:
        if fold(text) in self._courtesy:
            return set()
        return set(terms(text)) - self._question_words

    def _term_matches(self, term: str) -> tuple[dict[int, float], dict[int, float]]:
        """Return how well one query term meets each entry's and each example's words (0-1)."""
        entries: dict[int, float] = {}
        documents: dict[int, float] = {}

        def meet(other: str, share: float) -> None:
            for entry, strength in self._postings[other].items():
                entries[entry] = max(entries.get(entry, 0.0), strength * share)
            for document in self._document_postings.get(other, ()):
                documents[document] = max(documents.get(document, 0.0), share)

        if term in self._postings:
            meet(term, 1.0)
        if len(term) >= FAMILY_PREFIX:
            # Terms sharing the query's first letters sit together in the sorted vocabulary.
            start = bisect.bisect_left(self._vocabulary, term[:FAMILY_PREFIX])
            for other in itertools.islice(self._vocabulary, start, None):
                if not other.startswith(term[:FAMILY_PREFIX]):
                    break
                if other != term and _family(term, other):
                    meet(other, FAMILY_CREDIT)
        if len(term) >= MIN_FUZZY_TERM:
            for other, _, _ in process.extract(
                term, self._vocabulary, scorer=fuzz.ratio, score_cutoff=TERM_SIMILARITY, limit=3
            ):
                if other != term:
                    meet(other, FAMILY_CREDIT)
        return entries, documents

    def _reindex(self) -> None:
        # Everything the matcher needs per question is computed here, once per change.
        self._question_words = frozenset(terms(QUESTION_WORDS, keep_stopwords=True))
        self._courtesy = frozenset(fold(phrase) for phrase in COURTESY)
        documents: list[frozenset[str]] = []
        entry_of: list[int] = []
        postings: dict[str, dict[int, float]] = {}
        for index, entry in enumerate(self._entries):
            texts = [*entry.title.values(), *entry.all_examples(), *self._extra.get(entry.id, [])]
            for text in texts:
                words = frozenset(self._terms(text))
                if words:
                    documents.append(words)
                    entry_of.append(index)
                for word in words:
                    postings.setdefault(word, {})[index] = 1.0
            for text in entry.answer.values():
                for word in self._terms(_TAGS.sub(" ", text)):
                    postings.setdefault(word, {}).setdefault(index, ANSWER_CREDIT)
        count = len(self._entries)
        # Rarity is judged on titles and examples: answers mention "бот" or "хороо" all over,
        # and that should not make those words worthless in a question.
        self._idf = {}
        for term, hits in postings.items():
            strong = sum(1 for strength in hits.values() if strength == 1.0)
            self._idf[term] = math.log(1.0 + count / (strong or len(hits)))
        # An unknown word weighs like the rarest known one: it is evidence the question is
        # about something else.
        self._unknown_idf = math.log(1.0 + count)
        self._postings = postings
        self._vocabulary = sorted(postings)
        self._documents = documents
        self._entry_of = entry_of
        self._keys = [" ".join(sorted(words)) for words in documents]
        self._document_weight = [sum(self._idf[word] for word in words) for words in documents]
        document_postings: dict[str, list[int]] = {}
        for position, words in enumerate(documents):
            for word in words:
                document_postings.setdefault(word, []).append(position)
        self._document_postings = document_postings


def _family(term: str, other: str) -> bool:
    """Tell whether two stems look like one word family (a shared, long enough beginning)."""
    shared = 0
    for mine, theirs in zip(term, other, strict=False):
        if mine != theirs:
            break
        shared += 1
    return shared >= FAMILY_PREFIX and shared >= FAMILY_SHARE * min(len(term), len(other))


def _language(language: str) -> str:
    return language if language in LANGUAGES else LANGUAGES[0]


# libyaml's safe loader when PyYAML was built with it: reading the entries is then a tenth
# of the work, which `khoroo-bot faq ask` does on every start.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(file: Path) -> FaqEntry:
    """Read one YAML entry file and check its shape, naming the file in every error."""
    try:
        data: Any = yaml.load(file.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as error:
        raise FaqError(f"{file}: not valid YAML: {error}") from error
    except UnicodeDecodeError as error:
        raise FaqError(f"{file}: not UTF-8 text") from error
    if not isinstance(data, dict):
        raise FaqError(f"{file}: expected a mapping with id, title, answer, examples")
    missing = _REQUIRED - data.keys()
    if missing:
        raise FaqError(f"{file}: missing {', '.join(sorted(missing))}")
    unknown = data.keys() - _KEYS
    if unknown:
        raise FaqError(f"{file}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    topic = data["id"]
    if not isinstance(topic, str) or not _ID.match(topic):
        raise FaqError(f"{file}: id must be lowercase words joined by '-', got {topic!r}")
    title = _bilingual(file, "title", data["title"])
    answer = _bilingual(file, "answer", data["answer"])
    examples = _examples(file, data["examples"])
    related = data.get("related") or []
    if not isinstance(related, list) or not all(isinstance(item, str) for item in related):
        raise FaqError(f"{file}: related must be a list of ids")
    order = data.get("order", 1000)
    if not isinstance(order, int) or isinstance(order, bool):
        raise FaqError(f"{file}: order must be a whole number")
    sources = data.get("sources") or []
    if not isinstance(sources, list) or not all(isinstance(item, str) for item in sources):
        raise FaqError(f"{file}: sources must be a list of source file names")
    unknown_sources = [name for name in sources if name not in SOURCES]
    if unknown_sources:
        raise FaqError(f"{file}: unknown source(s) {', '.join(unknown_sources)}")
    general = data.get("general", False)
    if not isinstance(general, bool):
        raise FaqError(f"{file}: general must be true or false")
    return FaqEntry(
        id=topic,
        title=title,
        answer=answer,
        examples=examples,
        related=tuple(related),
        order=order,
        source=file,
        sources=tuple(sources),
        general=general,
    )


def _bilingual(file: Path, name: str, value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise FaqError(f"{file}: {name} must have mn and en")
    texts: dict[str, str] = {}
    for language in LANGUAGES:
        text = value.get(language)
        if not isinstance(text, str) or not text.strip():
            raise FaqError(f"{file}: {name}.{language} is missing or empty")
        texts[language] = text.strip()
    return texts


def _examples(file: Path, value: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise FaqError(f"{file}: examples must be a mapping of {', '.join(EXAMPLE_KINDS)}")
    unknown = value.keys() - set(EXAMPLE_KINDS)
    if unknown:
        raise FaqError(f"{file}: unknown example kind(s) {', '.join(sorted(map(str, unknown)))}")
    examples: dict[str, tuple[str, ...]] = {}
    for kind in EXAMPLE_KINDS:
        items = value.get(kind) or []
        if not isinstance(items, list) or not all(
            isinstance(item, str) and item.strip() for item in items
        ):
            raise FaqError(f"{file}: examples.{kind} must be a list of questions")
        examples[kind] = tuple(item.strip() for item in items)
    if not any(examples.values()):
        raise FaqError(f"{file}: at least one example question is needed")
    return examples
