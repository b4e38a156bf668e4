"""The FAQ knowledge base: entries loaded from YAML files, and a matcher for free-text questions.

Trainers edit `knowledge/faq/entries/*.yaml` (one entry per file) and `knowledge/glossary.yaml`;
nothing here reads a file until `FaqBase.load` is called.

The matcher ranks topics with BM25F over each entry's title, keywords, example questions and
answer (both languages), folded and stemmed like the practice search (`knowledge.text.terms`);
a term's document frequency counts topics by its weight there. A question word also meets words
of its family (нутагшуулах / нутагшуулалт, эсэргүүцвэл / эсэргүүцэл: shared beginning or
consonants once verb endings are gone), typos, and its glossary group (`groups` and the
FAQ-only `faq_groups` of `knowledge/glossary.yaml`), for less. The score is the share of the
question's weight the best topic explains, so words the base never uses (weather, bitcoin)
pull it down and off-topic questions stay unanswered. Asking what something is ("гэж юу вэ",
"what is") counts as a term of its own, so the topic defining a thing wins over the others
naming it. A word alone (a button typed outside its form: хаах, next) is no question: it gets
at most the topics named by it; a question of one word met only by resemblance, no answer.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from rapidfuzz import fuzz, process

from knowledge.faq.sources import SOURCES
from knowledge.glossary import GLOSSARY_FILE, Glossary, GlossaryError
from knowledge.text import fold, terms

ENTRIES_DIR = Path(__file__).parent / "entries"
LANGUAGES = ("mn", "en")
EXAMPLE_KINDS = ("mn", "mn_latin", "en")

Confidence = Literal["confident", "unsure", "none"]

# Thresholds on the 0-100 score (mostly the share of the question's weight the topic
# explains), calibrated on tests/data/faq_tuning.jsonl and faq_questions.jsonl and checked
# on the held-out sets (benchmarks/faq.py). CONFIDENT sits a few points above the best
# off-topic score of the tuning set (46: "Гэрлэлтээ яаж бүртгүүлэх вэ" meets submit-how through
# бүртгүүлэх): answering an off-topic question costs more than a "did you mean". UNSURE is
# where the tuning set's in-scope questions still find their topic as often as with any
# lower value, with the fewest off-topic ones offered a "did you mean".
CONFIDENT = 48.0
UNSURE = 20.0
# A confident answer also needs this lead over the runner-up, so a question two topics
# explain about equally well gets "did you mean" instead of a coin toss.
MARGIN = 6.0
# A topic far ahead of every other one is also answered from this lower score: the tuning
# set's off-topic questions that score this high are near two topics at once, or, alone
# ahead ("crypto price"), stay several points below it.
CLEAR = 42.0
CLEAR_LEAD = 10.0
# BM25F: field weights (a title and the example questions say what a topic is about, the
# answer only mentions words) and the usual saturation and length normalisation.
FIELD_WEIGHTS = {"title": 3.0, "keywords": 3.0, "examples": 2.0, "answer": 0.5}
K1 = 2.0
B = 0.5
# How far a term's document frequency counts topics by the term's weight in them (1) rather
# than by mere presence (0).
SOFT_DF = 1.0
# Share of the score given by closeness to one example question rather than BM25F.
CLOSENESS_WEIGHT = 0.2
# How much a question word counts when it meets an entry only through another word: one of
# its family or a typo of it, or a word of its glossary group.
FAMILY_CREDIT = 0.85
GLOSSARY_CREDIT = 0.5
# A word family needs this long a shared prefix, covering this share of the shorter term.
FAMILY_PREFIX = 4
FAMILY_SHARE = 0.8
# A typo is a term this similar to an indexed one, in terms long enough for a typo.
TERM_SIMILARITY = 84.0
MIN_FUZZY_TERM = 6
# A word the base never uses weighs like a term in this share of the topics: evidence that
# the question is about something else, but an everyday word in a real question ("маань")
# should not sink it either.
UNKNOWN_SHARE = 0.05
# Numbers of one or two digits ("3", a reply to a menu) say nothing about a topic; "9001"
# does. Words that shape a question but say nothing about its topic; folded with the same
# normaliser as everything else, so every spelling of them is covered. "талаар" (about)
# stems to "тал" (side), so "давуу тал" keeps only "давуу": a fair price, as "about" is
# in many questions. "ёстой" stays out: it stems to "ёс" (ethics).
QUESTION_WORDS = (
    "юуг юуны юунд гэдэг чинь хэлэх хэлдэг хэлнэ хэлээч хийх хийдэг болох болдог вэ бэ"
    " өгөөч өгнө үү тайлбарла тайлбарлаж ер нь хэрэгтэй вэй талаар эсэх эсэхийг мэдэх"
    " can could should would will my our your me us tell explain there any please"
    " does mean meaning байдаг байх байвал маань авах хэдэн хэд"
    " гэвэл бид бидний чухам товчхон зүйл шаардлагатай need хийж хийсэн хийгээд"
    # Latin spellings the shared stopwords miss: "ni" is нь ("HSAZ ni yu ve"), and "what's".
    " ni what's"
)
# "What is X" asks for the topic that defines X, not for any topic that names it: all four
# peer-learning topics name "peer learning" alike. The question words say it, so they are
# kept as one term of their own, which titles and examples worded that way carry too
# (matched on folded text: "гэж юу", "гэж юуг хэлэх", "gej yu", "нь юу вэ", "юу гэсэн үг",
# "what is").
DEFINITION = "?what"
_DEFINITION = re.compile(
    r"\b(?:gej|gedeg|qini?|n|ni) iog?\b|\bio ges[eo]n og\b|^\S+ io ve\b"
    r"|\bwhat (?:is|are)\b|\bwhac\b|\bwhat does\b.*\bmean\b|\bdefin|\bmeaning of\b"
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
    "thanks a lot",
    "юу байна",
    "сайхан амраарай",
    "ойлголоо",
    "ойлгосон",
)
# The thank-yous among them, and how many words beside one still make a thank-you.
THANKS = ("баярлалаа", "thanks", "thank you", "thanks a lot", "thx", "bayarlalaa")
THANKS_WORDS = 2

# How many question words' matches are remembered until the next rebuild of the index.
MATCH_CACHE = 20_000

# Verb endings (folded) that `_lemma` drops, longest first, and the root it must leave.
_VERB_ENDINGS = ("alt", "elt", "olt", "lt", "h", "s", "j")
MIN_LEMMA = 5
# The infinitive -х, the converb -ж and the past -с(ан) of a short verb (хайх, хайж, хайсан).
_SHORT_VERB_ENDINGS = ("h", "j", "s")
# Consonant endings `_skeleton` drops (conditional -вал, verbal noun -лт/-л, agent -гч,
# infinitive -х, past -сан, converbs -ж/-ч), and the shortest skeleton it keeps.
_SKELETON_ENDINGS = ("vl", "lt", "gq", "l", "h", "s", "j", "q")
MIN_SKELETON = 3
# A skeleton also meets the skeletons this many consonants longer or shorter, for less.
SKELETON_EXTRA = 1
SKELETON_CREDIT = 0.8
# ...when the shorter one has this many letters: shorter ones are half of too many words.
MIN_SKELETON_PREFIX = 4
_TAGS = re.compile(r"<[^>]+>")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KEYS = {
    "id",
    "order",
    "title",
    "answer",
    "examples",
    "keywords",
    "related",
    "sources",
    "general",
}
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
    # Words and short phrases officers use for the topic (any language), indexed like a title.
    keywords: tuple[str, ...] = ()

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

    def __init__(self, entries: Iterable[FaqEntry], glossary: Glossary | None = None) -> None:
        """Index the entries; they must already be valid (`load` validates files)."""
        self._entries = sorted(entries, key=lambda entry: (entry.order, entry.id))
        self._by_id = {entry.id: entry for entry in self._entries}
        self._extra: dict[str, list[str]] = {}
        self._glossary = glossary if glossary is not None else faq_glossary()
        self._question_words = frozenset(terms(QUESTION_WORDS, keep_stopwords=True))
        # Longest first, so "сайн байна уу" goes whole before "сайн уу" is looked for.
        self._courtesy = sorted({fold(phrase) for phrase in COURTESY}, key=len, reverse=True)
        self._thanks = [fold(phrase) for phrase in THANKS]
        # The index is rebuilt on the next question after a change, so teaching many
        # lessons at start-up costs one rebuild.
        self._stale = True

    @classmethod
    def load(cls, path: Path | str | None = None, glossary: Glossary | None = None) -> FaqBase:
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
        return cls(entries, glossary)

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
        self._stale = True

    def learn(self, question: str, topic_id: str) -> bool:
        """Keep a question a trainer answered as an example of its topic; False if known already."""
        if topic_id not in self._by_id:
            raise KeyError(topic_id)
        key = fold(question)
        known = [*self._by_id[topic_id].all_examples(), *self._extra.get(topic_id, [])]
        if not key or key in {fold(text) for text in known}:
            return False
        self.add_example(topic_id, question)
        return True

    def add_entry(self, entry: FaqEntry) -> None:
        """Add a topic taught at run time (a trainer's answer to a new question)."""
        if entry.id in self._by_id:
            raise KeyError(f"topic {entry.id!r} exists already")
        self._entries.append(entry)
        self._by_id[entry.id] = entry
        self._stale = True

    def ask(self, question: str, language: str = "mn") -> FaqAnswer:
        """Match a question typed in any script and answer it in the requested language."""
        ranked, exact, words = self._rank(question)
        if not ranked:
            return FaqAnswer(topic=None, score=0.0, answer="", suggestions=[], confidence="none")
        best_id, best = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        score = round(best, 1)
        lead = best - runner_up
        if self._bare(question):
            # One word alone is a button or a command typed outside its form (хаах, батлах,
            # next), or a name, not a question: it is offered the topics it names, if any.
            named = [
                topic
                for topic, value in ranked
                if value >= UNSURE and words[0] in self._named[topic]
            ][:3]
            # Its score is the named topic's: what the word merely resembles does not count.
            return FaqAnswer(
                topic=None,
                score=round(dict(ranked)[named[0]], 1) if named else 0.0,
                answer="",
                suggestions=named,
                confidence="unsure" if named else "none",
            )
        # A question about one thing that only resembles a word of the topic (хаах, close,
        # and хайх, search, share their consonants) is most likely about something else.
        resembles = len(set(words)) == 1 and best_id not in exact
        if not resembles and (
            (best >= CONFIDENT and lead >= MARGIN) or (best >= CLEAR and lead >= CLEAR_LEAD)
        ):
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
        return self._rank(question)[0]

    def _rank(self, question: str) -> tuple[list[tuple[str, float]], set[str], list[str]]:
        """Rank the topics; also return those holding a question word itself, and the words.

        A topic met only through a word's family, a typo or a synonym is not in the set;
        the words are the question's lemmas, `DEFINITION` left out.
        """
        if self._stale:
            self._reindex()
        stems = self._terms(question)
        if not stems:
            return [], set(), []
        query = [_lemma(stem) for stem in stems]
        related = [{_lemma(other) for other in near} for near in self._glossary.expand(stems)]
        scores = [0.0] * len(self._entries)
        overlap: dict[int, float] = {}
        total = 0.0
        seen: set[str] = set()
        exact: set[int] = set()
        for term, near in zip(query, related, strict=True):
            if term in seen:
                continue
            seen.add(term)
            key = (term, frozenset(near))
            matches = self._matches.get(key)
            if matches is None:
                matches = self._term_matches(term, near)
                if len(self._matches) < MATCH_CACHE:
                    self._matches[key] = matches
            if term in self._idf:
                weight = self._idf[term]
            elif matches:
                weight = max(self._idf[other] for other in matches)
            else:
                weight = self._unknown_idf
            total += weight
            best: dict[int, float] = {}
            shared: dict[int, float] = {}
            for other, credit in matches.items():
                if other == term:
                    exact.update(self._impacts[other])
                value = credit * min(weight, self._idf[other])
                for entry, impact in self._impacts[other].items():
                    if value * impact > best.get(entry, 0.0):
                        best[entry] = value * impact
                for example in self._example_postings.get(other, ()):
                    if value > shared.get(example, 0.0):
                        shared[example] = value
            for entry, value in best.items():
                # Asking "what is" tells apart the topics and examples about the thing
                # asked (it comes last), but makes none about it.
                if term != DEFINITION or scores[entry] > 0.0:
                    scores[entry] += value
            for example, value in shared.items():
                if term != DEFINITION or example in overlap:
                    overlap[example] = overlap.get(example, 0.0) + value
        # Closeness to one example question (weighted Dice): a question worded like an
        # example is surely that topic, even when the topic's other words are elsewhere.
        closeness = [0.0] * len(self._entries)
        for example, mass in overlap.items():
            value = 2.0 * mass / (total + self._example_weight[example])
            entry = self._example_entry[example]
            closeness[entry] = max(closeness[entry], value)
        ranked = [
            (
                entry.id,
                100.0
                * ((1.0 - CLOSENESS_WEIGHT) * scores[i] / total + CLOSENESS_WEIGHT * closeness[i]),
            )
            for i, entry in enumerate(self._entries)
            if scores[i] > 0.0
        ]
        ranked.sort(key=lambda item: item[1], reverse=True)
        words = [term for term in query if term != DEFINITION]
        return ranked, {self._entries[i].id for i in exact}, words

    def _bare(self, text: str) -> bool:
        """Tell whether the message is one word alone, with no question mark."""
        return "?" not in text and len(terms(self._content(text), keep_stopwords=True)) == 1

    def _terms(self, text: str, asked: bool = True) -> list[str]:
        """Return the question's content terms in order (none for a courtesy phrase).

        A question, title or example that asks what something is ends with `DEFINITION`;
        `asked` is False for an answer, whose "what is" is no question.
        """
        key = self._content(text)
        found = [
            term
            for term in terms(key)
            if term not in self._question_words and not (term.isdigit() and len(term) <= 2)
        ]
        if found and asked and _DEFINITION.search(key.strip()):
            found.append(DEFINITION)
        # Thanks close a conversation: the few words beside them say what for ("баярлалаа,
        # тусалсанд"), not what to answer. A question after thanks asks with a question mark.
        thanked = any(f" {phrase} " in f" {fold(text)} " for phrase in self._thanks)
        if thanked and len(found) <= THANKS_WORDS and "?" not in text:
            return []
        return found

    def _content(self, text: str) -> str:
        """Return the folded text without its courtesy phrases, padded with spaces."""
        # A greeting or a thank-you around a question is courtesy, not content: "сайн" of
        # "сайн байна уу" would otherwise meet "сайн туршлага".
        key = f" {fold(text)} "
        for phrase in self._courtesy:
            key = key.replace(f" {phrase} ", " ")
        return key

    def _term_matches(self, term: str, near: Iterable[str]) -> dict[str, float]:
        """Return the indexed terms one question term meets, with the credit of each (0-1)."""
        matches: dict[str, float] = {}

        def meet(other: str, credit: float) -> None:
            if credit > matches.get(other, 0.0):
                matches[other] = credit

        if term in self._impacts:
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
                meet(other, FAMILY_CREDIT)
        # The shared stemmer drops vowels unevenly (үнэлэх → onelh, үнэлгээ → onl), so forms
        # of one verb also meet on their consonants once its endings are gone.
        # Short verbs keep their endings (`_lemma` needs a long root): хайж meets хайх.
        if term[-1:] in _SHORT_VERB_ENDINGS and len(term) > MIN_SKELETON and term.isalpha():
            for ending in _SHORT_VERB_ENDINGS:
                other = term[:-1] + ending
                if other != term and other in self._impacts:
                    meet(other, FAMILY_CREDIT)
        skeleton = _skeleton(term)
        if skeleton:
            for other in self._skeletons.get(skeleton, ()):
                if other != term:
                    meet(other, FAMILY_CREDIT)
            # A derived word adds a consonant or two (innovate → innovative, resist →
            # resistance); longer additions make another word too often.
            for extra in range(1, SKELETON_EXTRA + 1):
                for longer in self._skeleton_prefixes.get((skeleton, extra), ()):
                    meet(longer, FAMILY_CREDIT * SKELETON_CREDIT)
            for cut in range(1, SKELETON_EXTRA + 1):
                if len(skeleton) - cut >= MIN_SKELETON_PREFIX:
                    for shorter in self._skeletons.get(skeleton[:-cut], ()):
                        meet(shorter, FAMILY_CREDIT * SKELETON_CREDIT)
        for other in near:
            if other in self._impacts:
                meet(other, GLOSSARY_CREDIT)
        return matches

    def _reindex(self) -> None:
        """Build the BM25F impacts of every term in every entry."""
        fields: list[dict[str, list[str]]] = []
        example_terms: list[frozenset[str]] = []
        example_entry: list[int] = []
        for index, entry in enumerate(self._entries):
            examples = [*entry.all_examples(), *self._extra.get(entry.id, [])]
            for text in examples:
                words = frozenset(map(_lemma, self._terms(text)))
                if words:
                    example_terms.append(words)
                    example_entry.append(index)
            fields.append(
                {
                    "title": [
                        _lemma(t) for text in entry.title.values() for t in self._terms(text)
                    ],
                    "keywords": [_lemma(t) for text in entry.keywords for t in self._terms(text)],
                    "examples": [_lemma(t) for text in examples for t in self._terms(text)],
                    "answer": [
                        _lemma(t)
                        for text in entry.answer.values()
                        for t in self._terms(_TAGS.sub(" ", text), asked=False)
                    ],
                }
            )
        count = len(fields) or 1
        average = {
            name: max(1.0, sum(_length(f[name]) for f in fields) / count) for name in FIELD_WEIGHTS
        }
        pseudo: dict[str, dict[int, float]] = {}
        for index, by_field in enumerate(fields):
            for name, field_words in by_field.items():
                norm = FIELD_WEIGHTS[name] / (1.0 - B + B * _length(field_words) / average[name])
                for word in field_words:
                    row = pseudo.setdefault(word, {})
                    row[index] = row.get(index, 0.0) + norm
        # Impacts are saturated term frequencies scaled to 0-1; idf is applied per question.
        self._impacts = {
            term: {entry: tf / (tf + K1) for entry, tf in row.items()}
            for term, row in pseudo.items()
        }
        # A topic counts towards a term's document frequency by the term's saturated weight
        # there, so a word every answer mentions in passing ("үе шат") still tells apart the
        # topic whose title and examples are about it.
        self._idf = {
            term: _idf(count, SOFT_DF * sum(row.values()) + (1.0 - SOFT_DF) * len(row))
            for term, row in self._impacts.items()
        }
        self._unknown_idf = _idf(count, max(1.0, UNKNOWN_SHARE * count))
        self._vocabulary = sorted(pseudo)
        skeletons: dict[str, list[str]] = {}
        for term in self._vocabulary:
            key = _skeleton(term)
            if key:
                skeletons.setdefault(key, []).append(term)
        self._skeletons = skeletons
        prefixes: dict[tuple[str, int], list[str]] = {}
        for key, members in skeletons.items():
            for cut in range(1, SKELETON_EXTRA + 1):
                if len(key) - cut >= MIN_SKELETON_PREFIX:
                    prefixes.setdefault((key[:-cut], cut), []).extend(members)
        self._skeleton_prefixes = prefixes
        self._example_entry = example_entry
        # What each topic is about, by name: the words of its title and its one-word
        # keywords ("back" of "push back" does not make change-resistance about going back).
        self._named: dict[str, set[str]] = {}
        for index, entry in enumerate(self._entries):
            named = set(fields[index]["title"])
            for text in entry.keywords:
                keyword = [_lemma(t) for t in self._terms(text)]
                if len(keyword) == 1:
                    named.add(keyword[0])
            self._named[entry.id] = named
        self._matches: dict[tuple[str, frozenset[str]], dict[str, float]] = {}
        self._example_weight = [sum(self._idf[word] for word in words) for words in example_terms]
        postings: dict[str, list[int]] = {}
        for position, words in enumerate(example_terms):
            for word in words:
                postings.setdefault(word, []).append(position)
        self._example_postings = postings
        self._stale = False


@cache
def faq_glossary() -> Glossary:
    """Return the bundled glossary with its FAQ-only groups (`faq_groups`), loaded once.

    The practice search reads `groups` alone; words like "choose" or "advice" would pull
    its results off their topic, so they widen FAQ questions only.
    """
    try:
        data: Any = yaml.load(GLOSSARY_FILE.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as error:
        raise GlossaryError(f"{GLOSSARY_FILE}: cannot read the glossary: {error}") from error
    groups = [*(data.get("groups") or []), *(data.get("faq_groups") or [])]
    if not all(
        isinstance(group, list) and all(isinstance(item, str) for item in group) for group in groups
    ):
        raise GlossaryError(f"{GLOSSARY_FILE}: every group must be a list of words")
    return Glossary.from_groups(groups, data.get("places") or {})


def _lemma(stem: str) -> str:
    """Join a verb's forms on one key: нутагшуулах, нутагшуулсан, нутагшуулалт → нутагшуул-.

    The shared stemmer strips case endings only; the matcher also drops the infinitive -х,
    the past -сан, the converb -ж and the noun-making -лт, when a long enough root remains.
    """
    for ending in _VERB_ENDINGS:
        if stem.endswith(ending) and len(stem) - len(ending) >= MIN_LEMMA and stem.isalpha():
            return stem[: -len(ending)]
    return stem


def _skeleton(term: str) -> str:
    """Return a word's consonants after its first letter, verb endings dropped; "" if too short.

    эсэргүүцэх, эсэргүүцвэл, эсэргүүцэл → esrgc; сонгох, сонголт → song.
    """
    if not term.isalpha() or not term.isascii():
        return ""
    # The first two letters stay whole: a vowel there tells words apart that share
    # their consonants across languages (сурч, search).
    key = term[:2] + "".join(letter for letter in term[2:] if letter not in "aeio")
    for ending in _SKELETON_ENDINGS:
        # A lone -л ends many short nouns (төрөл), not only verbal nouns (эсэргүүцэл).
        least = MIN_SKELETON + 2 if ending == "l" else MIN_SKELETON
        if key.endswith(ending) and len(key) - len(ending) >= least:
            key = key[: -len(ending)]
            break
    return key if len(key) >= MIN_SKELETON else ""


def _length(words: list[str]) -> int:
    """Return a field's length in words, `DEFINITION` left out: it is how a question asks."""
    return sum(word != DEFINITION for word in words)


def _idf(count: int, df: float) -> float:
    """Return the BM25 inverse document frequency of a term in df of count topics."""
    return math.log(1.0 + (count - df + 0.5) / (df + 0.5))


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
    keywords = data.get("keywords") or []
    if not isinstance(keywords, list) or not all(
        isinstance(item, str) and item.strip() for item in keywords
    ):
        raise FaqError(f"{file}: keywords must be a list of words or phrases")
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
        keywords=tuple(item.strip() for item in keywords),
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
