"""Understanding officers as they phrase things: held-out FAQ and search sets, glossary, places."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from handlers.faq import teach
from knowledge.faq import FaqAnswer, FaqBase, _lemma, _skeleton, faq_glossary
from knowledge.glossary import Glossary, GlossaryError, bundled
from knowledge.search import Filters, SearchDocument, SearchIndex
from knowledge.text import fold, terms
from storage.models import FaqLesson
from tests.support.search_data import load, to_document

DATA = Path(__file__).parents[1] / "data"
KINDS = {"reworded", "latin", "english", "offtopic", "smalltalk"}


def read(pattern: str) -> list[dict]:
    """Read every JSONL file of tests/data matching the pattern (helpers add their own)."""
    return [
        json.loads(line)
        for path in sorted(DATA.glob(pattern))
        for line in path.read_text("utf-8").splitlines()
        if line.strip()
    ]


HELDOUT = read("faq_heldout*.jsonl")
TUNING = read("faq_tuning.jsonl")


def guess(answer: FaqAnswer) -> str | None:
    """The matcher's top-1 topic, whether it answers or only suggests it."""
    return answer.topic or (answer.suggestions[0] if answer.suggestions else None)


@pytest.fixture(scope="module")
def base() -> FaqBase:
    return FaqBase.load()


@pytest.fixture(scope="module")
def practices() -> SearchIndex:
    index = SearchIndex()
    for record in load("practices.jsonl"):
        index.add(to_document(record))
    return index


# --- the labelled FAQ sets ---------------------------------------------------------------


def test_faq_sets_are_labelled_split_and_not_copied_from_the_examples(base: FaqBase) -> None:
    topics = {entry.id for entry in base.entries()}
    for item in HELDOUT + TUNING:
        assert set(item) == {"q", "topic", "lang", "kind"}, item
        assert item["kind"] in KINDS and item["lang"] in {"mn", "en"}, item
        assert (item["topic"] is None) == (item["kind"] in {"offtopic", "smalltalk"}), item
        assert item["topic"] is None or item["topic"] in topics, item
    in_scope = [item for item in HELDOUT if item["topic"]]
    assert len(in_scope) >= 60 and len(HELDOUT) - len(in_scope) >= 25
    # Apart from messages with no words at all ("👍", "?"), no question is in both sets.
    heldout = {fold(item["q"]) for item in HELDOUT} - {""}
    assert heldout.isdisjoint(fold(item["q"]) for item in TUNING)
    examples = {fold(text) for entry in base.entries() for text in entry.all_examples()}
    assert not [item["q"] for item in HELDOUT + TUNING if fold(item["q"]) in examples]


def test_heldout_questions_find_their_topic_and_off_topic_stays_unanswered(
    base: FaqBase,
) -> None:
    in_scope = [item for item in HELDOUT if item["topic"]]
    misses = [
        (item["q"], item["topic"], guess(base.ask(item["q"], item["lang"]))) for item in in_scope
    ]
    misses = [miss for miss in misses if miss[1] != miss[2]]
    # The top-1 topic (answered, or first in "did you mean"): 0.91 measured over every
    # held-out file (reworded 0.87, Latin 0.97, English 0.93); the floors leave room for
    # a question or two of a new topic.
    assert 1 - len(misses) / len(in_scope) >= 0.88, misses
    for kind, floor in (("reworded", 0.84), ("latin", 0.9), ("english", 0.9)):
        of_kind = [item for item in in_scope if item["kind"] == kind]
        missed = [miss for miss in misses if any(miss[0] == item["q"] for item in of_kind)]
        assert 1 - len(missed) / len(of_kind) >= floor, (kind, missed)
    answers = [(item, base.ask(item["q"], item["lang"])) for item in in_scope]
    wrong = [
        (item["q"], answer.topic)
        for item, answer in answers
        if answer.confidence == "confident" and answer.topic != item["topic"]
    ]
    assert len(wrong) <= 0.03 * len(in_scope), wrong
    # Answered outright with the right topic, no "did you mean" needed: 0.715 measured.
    right = [item for item, answer in answers if answer.topic == item["topic"]]
    assert len(right) >= 0.68 * len(in_scope)
    answered = [
        (item["q"], answer.topic)
        for item in HELDOUT
        if item["topic"] is None
        and (answer := base.ask(item["q"], item["lang"])).confidence == "confident"
    ]
    assert answered == []


def test_greetings_around_a_question_are_courtesy(base: FaqBase) -> None:
    assert base.ask("Сайн байна уу, юу байна").confidence == "none"
    assert base.ask("3").confidence == "none"
    with_greeting = base.ask("Сайн байна уу? ISO 9001 стандарт гэж юу вэ")
    assert with_greeting.topic == "iso9001"


def test_a_thank_you_is_not_a_question_unless_it_asks_one(base: FaqBase) -> None:
    assert base.ask("Маш их баярлалаа, тусалсанд").confidence == "none"
    assert base.ask("thanks for the help").confidence == "none"
    after_thanks = base.ask("Баярлалаа. Нутагшуулах гэж юу вэ?")
    assert after_thanks.topic == "plm-adopt"


def test_a_button_word_alone_is_not_a_question(base: FaqBase) -> None:
    # Typed outside their form, the bot's own buttons once got answers: хаах (close) met
    # хайх (search) on its consonants, батлах and approve met words of innovator-advice.
    for word in ("хаах", "haah", "батлах", "буцах", "алгасах", "дараах"):
        answer = base.ask(word)
        assert (answer.confidence, answer.score) == ("none", 0.0), (word, answer)
    for word in ("next", "back", "skip", "close", "approve"):
        assert base.ask(word, "en").confidence == "none", word
    assert base.ask("next practice", "en").confidence != "confident"
    # A word a topic is named by is offered, one tap away, but not answered.
    for word, topic in (("илгээх", "submit-how"), ("ХСАЗ", "plm-what"), ("ISO", "iso9001")):
        answer = base.ask(word)
        assert answer.confidence == "unsure" and answer.suggestions[0] == topic, (word, answer)
    # Asked about, a word that only resembles a topic's word gets "did you mean" at most.
    assert base.ask("хаах гэж юу вэ").confidence != "confident"


def test_what_is_gets_the_topic_that_defines_it(base: FaqBase) -> None:
    # Four topics name peer learning alike; asking what it is picks the one defining it,
    # whatever the script ("ni" is нь in Latin letters).
    for question, language in (
        ("HSAZ ni yu ve", "mn"),
        ("ХСАЗ нь юу вэ", "mn"),
        ("peer learning gej yu ve", "mn"),
        ("what is peer learning?", "en"),
        ("what's peer learning", "en"),
        ("what is PLM", "en"),
    ):
        answer = base.ask(question, language)
        assert (answer.confidence, answer.topic) == ("confident", "plm-what"), question
    # A topic not about the thing asked gains nothing from the asking.
    assert base.ask("what is the capital of France", "en").confidence != "confident"


def test_forms_of_a_verb_meet_whatever_the_stemmer_left() -> None:
    # Conditional, verbal noun and infinitive of one verb; the stemmer drops vowels unevenly.
    assert _skeleton(_lemma(terms("эсэргүүцвэл")[0])) == _skeleton(_lemma(terms("эсэргүүцэл")[0]))
    assert _skeleton(_lemma(terms("сонгох")[0])) == _skeleton(_lemma(terms("сонголт")[0]))
    # A short noun ending in -л is not a verbal noun: төрөл (kind) does not meet төр (state).
    assert _skeleton(_lemma(terms("төрөл")[0])) != _skeleton(_lemma(terms("төр")[0]))
    faq = FaqBase.load()
    searching = {topic for topic, _ in faq.rank("ногоон байгууламжийн туршлага хайж үзэх")[:1]}
    assert searching == {"search-how"}  # хайж meets хайх


def test_faq_groups_widen_faq_questions_only() -> None:
    def widened(glossary: Glossary, text: str) -> set[str]:
        return set().union(*glossary.expand(terms(text)))

    assert set(terms("сонгох")) <= widened(faq_glossary(), "choose")
    assert not set(terms("сонгох")) <= widened(bundled(), "choose")
    # The practice search's groups are there too.
    assert set(terms("хог")) <= widened(faq_glossary(), "waste")


def test_an_ending_after_a_hyphen_belongs_to_the_word() -> None:
    assert terms("ХСАЗ-ын үе шат") == terms("ХСАЗын үе шат") == terms("hsaz-iin uye shat")
    assert terms("СӨХ-той") == terms("СӨХтэй")
    # A word of its own after a hyphen stays a word.
    assert terms("ажлын-алба") == terms("ажлын алба")


# --- learning from misses ----------------------------------------------------------------


def test_a_miss_answered_with_a_topic_becomes_an_example_of_it() -> None:
    faq = FaqBase.load()
    question = "Ажлаа бусдад үзүүлэх арга хэмжээ хаана болдог вэ"
    assert faq.ask(question).topic != "plm-share"
    teach(faq, FaqLesson(topic_id="plm-share", question=question, answer=None, language="mn"))
    assert faq.ask(question).topic == "plm-share"
    # The same words again teach nothing new; an unknown topic is refused.
    assert faq.learn(question.upper() + "?", "plm-share") is False
    with pytest.raises(KeyError):
        faq.learn(question, "no-such-topic")


# --- the glossary ------------------------------------------------------------------------


def test_glossary_links_synonyms_word_families_and_english_terms() -> None:
    glossary = bundled()
    assert len(glossary.members) >= 60

    def related(text: str) -> set[str]:
        return set().union(*glossary.expand(terms(text)))

    assert set(terms("ахмад")) <= related("өндөр настан")
    assert set(terms("жорлон")) <= related("бие засах газар")
    assert set(terms("хог")) <= related("waste")
    assert set(terms("хог")) <= related("garbage bins") | related("garbage")
    assert set(terms("нохой")) <= related("stray dog")  # singular of a listed plural
    assert set(terms("гэрэл")) <= related("street lights")


def test_glossary_file_is_checked(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("groups:\n  - [хог, waste]\nplaces:\n  bayangol: [Баянгол]\n", "utf-8")
    assert Glossary.load(good).places_in(["baiangold"]) == [(0, 1, "bayangol")]
    for text in ("groups: nope\n", "groups:\n  - [alone]\n", "groups: [[a, b]]\nplaces: [x]\n"):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text, "utf-8")
        with pytest.raises(GlossaryError):
            Glossary.load(bad)


# --- practice search: the held-out set, English, synonyms and places --------------------

SEARCH_HELDOUT = load("search_heldout.jsonl")


@pytest.mark.parametrize("kind", ["english", "synonym", "place"])
def test_heldout_search_queries_reach_the_top_three(practices: SearchIndex, kind: str) -> None:
    queries = [query for query in SEARCH_HELDOUT if query["kind"] == kind]
    assert len(queries) >= 15
    misses = [
        (query["query"], query["expected"])
        for query in queries
        if query["expected"] not in [hit.id for hit in practices.search(query["query"]).hits[:3]]
    ]
    assert 1 - len(misses) / len(queries) >= 0.8, misses


def test_a_district_in_the_query_narrows_instead_of_matching_words(
    practices: SearchIndex,
) -> None:
    records = {record["id"]: record for record in load("practices.jsonl")}
    for query in ("Баянгол эрүүл мэнд", "bayangol eruul mend", "BGD эрүүл мэнд"):
        page = practices.search(query, limit=10)
        assert page.hits and page.hits[0].id in {"p13", "p32"}, query
        assert {records[hit.id]["district"] for hit in page.hits} == {"bayangol"}, query
    # A district alone lists its practices; a khoroo number narrows further.
    everything = practices.search("Сонгинохайрхан дүүрэг", limit=100)
    expected = Counter(record["district"] for record in records.values())["songinokhairkhan"]
    assert everything.total == expected
    assert [hit.id for hit in practices.search("songino 20-r khoroo").hits] == ["p02"]
    assert practices.search("6-р хороо тоглоомын талбай").hits[0].id == "p10"
    # Nothing on the topic in that district: the topic is still found elsewhere.
    assert "p09" in [hit.id for hit in practices.search("Багахангай нохой").hits[:3]]


def test_place_filters_combine_with_chosen_filters() -> None:
    index = SearchIndex()
    index.add(SearchDocument(id=1, title="Хог ангилах", district="bayangol", khoroo=4))
    index.add(SearchDocument(id=2, title="Хог ангилах", district="bayangol", khoroo=5))
    index.add(SearchDocument(id=3, title="Хог ангилах", district="chingeltei", khoroo=4))
    assert [hit.id for hit in index.search("Баянгол хог").hits] == [1, 2]
    assert [hit.id for hit in index.search("4-р хороо хог").hits] == [1, 3]
    assert [hit.id for hit in index.search("хог", filters=Filters(khoroo=5)).hits] == [2]
    # The place typed and the filter chosen disagree: nothing passes both, so the words
    # alone are searched within the chosen filter.
    chosen = Filters(district="chingeltei")
    assert [hit.id for hit in index.search("Баянгол хог", filters=chosen).hits] == [3]


def test_english_queries_find_mongolian_practices_without_english_tags() -> None:
    index = SearchIndex()
    for record in load("practices.jsonl"):
        index.add(to_document({**record, "tags": []}))
    for query, expected in (
        ("waste sorting", "p01"),
        ("solar street lights", "p03"),
        ("elderly", "p05"),
        ("toilets", "p21"),
    ):
        assert expected in [hit.id for hit in index.search(query).hits[:3]], query
