"""The word cloud's rule: short answers are phrases, long ones give their meaningful words."""

from __future__ import annotations

from knowledge.wordcloud import cloud, entries

LONG = "Мэдээллийн ил тод байдлыг хэрхэн хангах вэ? <script>alert(1)</script> & бусад"


def shown(answers: list[str]) -> dict[str, int]:
    return {word.text: word.count for word in cloud(answers)}


def written(answer: str) -> list[str]:
    return [form for _, form in entries(answer)]


def test_a_long_answer_gives_only_its_meaningful_words():
    # No question or stop words, no markup, no numbers, no "etc.".
    assert written(LONG) == ["Мэдээллийн", "ил", "тод", "байдлыг", "хангах"]


def test_a_phrase_given_as_a_short_answer_counts_as_that_phrase_in_long_answers():
    words = shown(["ил тод", "Нээлттэй байдал", LONG])
    assert words == {
        "ил тод": 2,
        "Нээлттэй байдал": 1,
        "Мэдээллийн": 1,
        "байдлыг": 1,
        "хангах": 1,
    }  # no "ил" or "тод" beside "ил тод"


def test_the_longest_known_phrase_is_taken_first():
    words = shown(["ил тод", "ил тод байдал", "Мэдээллийн ил тод байдлыг хангах"])
    assert words == {"ил тод байдал": 2, "ил тод": 1, "Мэдээллийн": 1, "хангах": 1}


def test_a_known_phrase_does_not_reach_across_punctuation():
    words = shown(["ил тод", "Мэдээлэл ил. Тод байдал хэрэгтэй"])
    assert words["ил тод"] == 1 and words["ил"] == 1 and words["Тод"] == 1


def test_inflected_words_of_long_answers_join_their_bare_form():
    answers = ["мэдээлэл", "Мэдээлэл", "байдал", LONG, "Мэдээллийн хүртээмжтэй байдал чухал"]
    words = shown(answers)
    assert words["мэдээлэл"] == 4 and words["байдал"] == 3  # a tie of cases: the first
    assert "байдлыг" not in words and "Мэдээллийн" not in words


def test_numbers_links_and_entities_are_not_words():
    answer = "2024 онд 5-р хороонд https://fb.com/khoroo &lt;b&gt;оролцоо&lt;/b&gt; 100% өссөн"
    assert written(answer) == ["онд", "хороонд", "оролцоо", "өссөн"]
    # Left without its numbers, markup and link, an answer of three words is one phrase.
    assert written("2024 онд: хороонд <i>оролцоо</i> 100% www.fb.com") == ["онд хороонд оролцоо"]
    assert entries("2024") == [] and entries("<b></b>") == []


def test_a_short_answer_drops_stop_words_only_at_its_edges():
    assert shown(["Ил тод вэ?", "хууль ба дүрэм", "хууль болон дүрмийг"]) == {
        "Ил тод": 1,
        "хууль ба дүрэм": 2,
    }


def test_cyrillic_wins_when_latin_spellings_are_split_across_h_x_kh():
    answers = (
        ["tsag hugatsaa"] * 4 + ["цаг хугацаа"] * 5 + ["Цаг хугацааны"] * 6 + ["tsag xugatsaa"] * 3
    )
    assert shown(answers) == {"Цаг хугацааны": 18}
    # 5 + 3 Latin against 4 + 4 Cyrillic: a tie goes to Cyrillic, then to the bare form.
    answers = (
        ["tsag hugatsaa"] * 5
        + ["tsag xugatsaa", "tsag khugatsaa", "tsag xugatsaa"]
        + ["Цаг хугацааны"] * 4
        + ["цаг хугацаа"] * 4
    )
    assert shown(answers) == {"цаг хугацаа": 16}


def test_latin_wins_when_more_wrote_it_in_latin_and_shows_its_commonest_spelling():
    answers = ["tsag xugatsaa"] + ["tsag hugatsaa"] * 2 + ["tsag khugatsaa"] + ["цаг хугацаа"] * 3
    assert shown(answers) == {"tsag hugatsaa": 7}


def test_the_uninflected_form_wins_a_tie():
    assert shown(["ил тодоор", "ил тод"]) == {"ил тод": 2}
    assert shown(["il tod", "ил тодоор"]) == {"ил тодоор": 2}  # Cyrillic first


def test_the_case_people_wrote_is_kept():
    answers = ["УИХ", "уих", "УИХ", "ЗДТГ", "Facebook", "facebook", "Facebook", "ил тод"]
    assert shown(answers) == {"УИХ": 3, "Facebook": 3, "ЗДТГ": 1, "ил тод": 1}
    # Case only breaks ties after the letters: the commonest spelling, then its commonest case.
    assert shown(["Ил тодоор", "ил тод", "Ил тод", "Ил тод"]) == {"Ил тод": 4}
