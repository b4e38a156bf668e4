"""The word cloud's counting: one group per word, whatever the script or the ending."""

from __future__ import annotations

from knowledge.wordcloud import cloud, entries


def shown(answers: list[str]) -> dict[str, int]:
    return {word.text: word.count for word in cloud(answers)}


def test_cyrillic_latin_and_inflected_forms_are_one_group():
    answers = ["ил тод", "Ил тод", "il tod", "ил тодоор"]
    assert shown(answers) == {"ил тод": 4}  # shown as most people wrote it


def test_a_phrase_typed_in_either_script_counts_once():
    answers = ["хамтын ажиллагаа", "hamtiin ajillagaa", "Хамтын ажиллагааг", "hamtyn ajillagaa"]
    assert shown(answers) == {"хамтын ажиллагаа": 4}


def test_the_commonest_written_form_names_the_group_even_when_latin():
    assert shown(["il tod", "il tod", "ил тод"]) == {"il tod": 3}


def test_groups_are_ordered_by_count_and_sized():
    words = cloud(["ил тод"] * 5 + ["оролцоо"] * 3 + ["хариуцлага"])
    assert [(w.text, w.count, w.size) for w in words] == [
        ("ил тод", 5, 5),
        ("оролцоо", 3, 3),
        ("хариуцлага", 1, 1),
    ]


def test_stop_words_are_dropped_and_sentences_count_word_by_word():
    assert entries("ба") == []  # only a stop word: nothing to show
    words = shown(["Иргэдийн оролцоо бол маш чухал юм", "оролцоо"])
    assert words["оролцоо"] == 2
    assert "маш" not in words and "юм" not in words and "бол" not in words


def test_one_answer_counts_a_word_once():
    assert shown(["оролцоо оролцоо оролцоо оролцоо"]) == {"оролцоо": 1}


def test_nothing_to_count():
    assert cloud([]) == []
    assert cloud(["!!!", "   "]) == []
