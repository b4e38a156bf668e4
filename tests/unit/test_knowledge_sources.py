"""The knowledge base rests on its sources: every answer names them or says it is general."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from handlers.html import plain
from knowledge.faq import FaqBase, FaqEntry, FaqError
from knowledge.faq.sources import SOURCES, source_title
from tests.support.chat import Chat, register

# The shared folder sits next to the worktree (`../shared` from the repository root); CI has
# it, a bare checkout may not, and then only the existence checks are skipped.
SHARED_SOURCES = Path(__file__).parents[2].parent / "shared" / "sources"
GENERAL = {"mn": "Ерөнхий зөвлөмж", "en": "General guidance"}
TAG = re.compile(r"<[^>]+>")
ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-z]+);")
BULLET = re.compile(r"^\s*•", re.MULTILINE)
NUMBERED = re.compile(r"^\s*\d+\.\s", re.MULTILINE)
# Facts carry over, sentences do not: no run of this many words may come from a source
# (names in «quotes» are left out: a project's or programme's title is a fact).
COPIED_WORDS = 12
QUOTED = re.compile(r"«[^»]*»")


@pytest.fixture(scope="module")
def base() -> FaqBase:
    return FaqBase.load()


def visible(entry: FaqEntry, language: str) -> str:
    """The answer as the reader sees it: without tags or character references."""
    return ENTITY.sub(" ", TAG.sub("", entry.answer_in(language)))


def needs_shared() -> None:
    if not SHARED_SOURCES.is_dir():
        pytest.skip("../shared/sources is not present here")


def test_every_entry_names_a_known_source_or_is_general(base: FaqBase) -> None:
    for entry in base.entries():
        assert entry.sources or entry.general, entry.id
        assert set(entry.sources) <= set(SOURCES), entry.id
        assert len(set(entry.sources)) == len(entry.sources), entry.id


def test_named_sources_exist_in_the_shared_folder(base: FaqBase) -> None:
    needs_shared()
    files = {path.name for path in SHARED_SOURCES.glob("*.txt")}
    named = {name for entry in base.entries() for name in entry.sources}
    assert named <= files
    # Every document gets a title and is used by at least one answer.
    assert set(SOURCES) == files
    assert named == files


def test_general_answers_say_so_in_both_languages(base: FaqBase) -> None:
    for entry in base.entries():
        for language, phrase in GENERAL.items():
            says = phrase in visible(entry, language)
            assert says == entry.general, (entry.id, language)


def test_both_languages_carry_the_same_numbers(base: FaqBase) -> None:
    for entry in base.entries():
        numbers = {
            language: Counter(re.findall(r"\d+", visible(entry, language)))
            for language in ("mn", "en")
        }
        assert numbers["mn"] == numbers["en"], entry.id


def test_both_languages_have_lists_of_the_same_length(base: FaqBase) -> None:
    for entry in base.entries():
        for pattern in (BULLET, NUMBERED):
            counts = [len(pattern.findall(visible(entry, language))) for language in ("mn", "en")]
            assert counts[0] == counts[1], (entry.id, pattern.pattern, counts)


def test_key_facts_of_the_sources_are_in_the_answers(base: FaqBase) -> None:
    mn = {entry.id: visible(entry, "mn") for entry in base.entries()}
    # The three traits of an innovation culture, not five others.
    assert len(BULLET.findall(mn["innovation-culture"])) == 3
    for word in ("итгэлцэл", "оролцоо", "Эрсдэл"):
        assert word in mn["innovation-culture"]
    assert "144" in mn["contest-what"] and "27" in mn["contest-what"]
    assert "171" not in mn["contest-what"]  # an old figure no source gives
    assert "17" in mn["trainers"]
    assert len(NUMBERED.findall(mn["plm-stages"])) == 6
    assert len(NUMBERED.findall(mn["innovation-approaches"])) == 4
    assert len(NUMBERED.findall(mn["innovator-advice"])) == 4
    assert len(BULLET.findall(mn["innovation-method"])) == 4
    assert len(BULLET.findall(mn["hr-competency"])) == 3  # the three sub-projects
    for word in ("Дотоод", "Гадаад", "түүчээлэгч", "дэмжигчдийн баг"):
        assert word in mn["change-resistance"]
    for place in ("Цагдаагийн", "театр", "Мэргэжлийн хяналтын"):
        assert place in mn["iso9001"]


def test_answers_do_not_copy_the_sources(base: FaqBase) -> None:
    needs_shared()

    def words(text: str) -> list[str]:
        return re.findall(r"\w+", text.casefold())

    runs: set[tuple[str, ...]] = set()
    for path in SHARED_SOURCES.glob("*.txt"):
        found = words(path.read_text(encoding="utf-8"))
        runs |= {tuple(found[i : i + COPIED_WORDS]) for i in range(len(found))}
    for entry in base.entries():
        found = words(QUOTED.sub(" ", visible(entry, "mn")))
        copied = [
            " ".join(found[i : i + COPIED_WORDS])
            for i in range(len(found) - COPIED_WORDS + 1)
            if tuple(found[i : i + COPIED_WORDS]) in runs
        ]
        assert not copied, (entry.id, copied)


def test_source_titles_are_short_and_never_file_names() -> None:
    for name in SOURCES:
        for language in ("mn", "en"):
            title = source_title(name, language)
            assert 10 <= len(title) <= 80 and ".txt" not in title
    assert (
        source_title("003_8a8259d606a3d38d.txt", "fr") == SOURCES["003_8a8259d606a3d38d.txt"]["mn"]
    )


# --- the loader ---------------------------------------------------------------------------

ENTRY = """\
id: a
title: {{mn: Гарчиг, en: Title}}
answer: {{mn: Хариулт, en: Answer}}
examples: {{mn: [асуулт], mn_latin: [asuult], en: [question]}}
{extra}
"""


def test_the_loader_reads_sources_and_general(tmp_path: Path) -> None:
    extra = "sources: [003_8a8259d606a3d38d.txt]\ngeneral: true"
    (tmp_path / "a.yaml").write_text(ENTRY.format(extra=extra), encoding="utf-8")
    entry = FaqBase.load(tmp_path).entry("a")
    assert entry.sources == ("003_8a8259d606a3d38d.txt",) and entry.general


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("sources: [nowhere.txt]", "a.yaml: unknown source(s) nowhere.txt"),
        ("sources: 003_8a8259d606a3d38d.txt", "a.yaml: sources must be a list"),
        ("general: yes please", "a.yaml: general must be true or false"),
    ],
)
def test_the_loader_refuses_bad_sources(tmp_path: Path, extra: str, message: str) -> None:
    (tmp_path / "a.yaml").write_text(ENTRY.format(extra=extra), encoding="utf-8")
    with pytest.raises(FaqError, match=re.escape(message)):
        FaqBase.load(tmp_path)


# --- what the officer sees ----------------------------------------------------------------


async def test_an_answer_shows_its_source_in_mongolian(app):
    chat = Chat(app, 41)
    await register(chat)
    await chat.press_data("faq:t:innovation-culture")
    text = plain(chat.last().text)
    assert text.startswith("Инновацын соёлыг")
    assert text.rstrip().endswith("Эх сурвалж: " + source_title("003_8a8259d606a3d38d.txt", "mn"))
    assert ".txt" not in text


async def test_an_answer_shows_its_sources_in_english(app):
    chat = Chat(app, 42, language_code="en")
    await chat.send("/start")
    await chat.press("English")
    await chat.press("Bayangol")
    await chat.send("1")
    await chat.press("Khoroo officer")
    await chat.press_data("faq:t:contest-what")
    text = plain(chat.last().text)
    titles = "; ".join(
        source_title(name, "en") for name in app.services.faq.entry("contest-what").sources
    )
    assert "Sources: " + titles in text and ".txt" not in text
    await chat.press_data("faq:t:innovation-waves")
    assert "Source: Presentation: change and innovation" in plain(chat.last().text)


async def test_general_guidance_shows_no_source_line(app):
    chat = Chat(app, 43)
    await register(chat)
    await chat.press_data("faq:t:bot-help")
    text = plain(chat.last().text)
    assert "Ерөнхий зөвлөмж" in text and "Эх сурвалж" not in text


# --- the held-out questions about the sources' topics ------------------------------------

HELDOUT = Path(__file__).parents[1] / "data" / "faq_heldout_sources.jsonl"
KINDS = {"reworded": "mn", "latin": "mn", "english": "en"}
NEW_TOPICS = (
    "innovation-waves innovation-method innovation-approaches adaptive-governance innovator-advice"
).split()


def test_heldout_questions_are_labelled_and_not_copied_from_examples(base: FaqBase) -> None:
    with HELDOUT.open(encoding="utf-8") as lines:
        items = [json.loads(line) for line in lines if line.strip()]
    ids = {entry.id for entry in base.entries()}
    examples = {
        " ".join(text.casefold().split())
        for entry in base.entries()
        for text in entry.all_examples()
    }
    for item in items:
        assert set(item) == {"q", "topic", "lang", "kind"}, item
        assert item["topic"] in ids and KINDS[item["kind"]] == item["lang"], item
        assert " ".join(item["q"].casefold().split()) not in examples, item
    per_topic = Counter(item["topic"] for item in items)
    assert all(per_topic[topic] >= 3 for topic in NEW_TOPICS), per_topic
