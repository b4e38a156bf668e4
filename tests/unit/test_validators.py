"""The shared input checks: what each accepts, and that every refusal reads in both languages."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest

from handlers import validators
from handlers.html import plain
from handlers.i18n import LANGUAGES, Catalogue
from handlers.messages import Attachment
from handlers.steps import Answer, Invalid

CATALOGUE = Catalogue.load()


def refusal(check, *args, **kwargs) -> Invalid:
    with pytest.raises(Invalid) as caught:
        check(*args, **kwargs)
    return caught.value


REFUSALS = {
    "too_short": lambda: refusal(validators.text, Answer(text="  Хог "), 5, 120),
    "too_long": lambda: refusal(validators.length, "Х" * 121, 5, 120),
    "no_letters": lambda: refusal(
        validators.text, Answer(text="2026 🎉"), 1, 50, with_letters=True
    ),
    "number": lambda: refusal(validators.number, "7", 1, 5),
    "date": lambda: refusal(validators.moment, "маргааш"),
    "date_time": lambda: refusal(validators.moment, "2026-03-01", with_time=True),
    "text_expected": lambda: refusal(
        validators.text, Answer(attachment=Attachment("sticker")), 1, 9
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_refusal_renders_with_all_its_placeholders(case, language):
    invalid = REFUSALS[case]()
    entry = CATALOGUE.texts[language][invalid.key]
    named = {field for _, field, _, _ in string.Formatter().parse(entry) if field}
    assert named == set(invalid.values), (invalid.key, named, invalid.values)
    text = plain(CATALOGUE.text(language, invalid.key, **invalid.values))
    assert "{" not in text and "}" not in text and text.strip()


def test_every_input_message_is_some_check_s_refusal():
    raised = {REFUSALS[case]().key for case in REFUSALS}
    keys = {key for key in CATALOGUE.texts["mn"] if key.startswith("input.")}
    assert keys <= raised


def test_lengths_count_what_was_typed_after_trimming():
    assert validators.text(Answer(text="  Хог цэвэрлэгээ  "), 5, 120) == "Хог цэвэрлэгээ"
    short = refusal(validators.text, Answer(text="  Хог "), 5, 120)
    assert short.values == {"minimum": 5, "length": 3}
    assert validators.length("х" * 500, 2, None) == "х" * 500  # no maximum
    assert "хамгийн багадаа 5 тэмдэгт" in plain(CATALOGUE.text("mn", short.key, **short.values))


@pytest.mark.parametrize("text", ["Хог", "Green city", "5-р хороо", "ХСАЗ 2026"])
def test_text_with_letters_is_taken(text):
    assert validators.letters(text) == text


@pytest.mark.parametrize("text", ["12345", "🎉🎉🎉", "2026 — 🎉!", "..."])
def test_only_digits_emoji_or_symbols_are_refused(text):
    assert refusal(validators.letters, text).key == "input.no_letters"


def test_numbers_in_a_range():
    assert validators.number(" 5 ", 1, 5) == 5
    for raw in ("0", "6", "-1", "2.5", "five", ""):
        assert refusal(validators.number, raw, 1, 5).values == {"minimum": 1, "maximum": 5}


def test_dates_in_ulaanbaatar_time():
    assert validators.moment("2026-03-01") == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
    assert validators.moment("2026.03.01", end_of_day=True) == datetime(
        2026, 3, 1, 15, 59, tzinfo=UTC
    )
    assert validators.moment("2026.03.01 18.30", with_time=True).hour == 10
    for bad in ("2026-02-30", "2026-03-01 25:00", "01.03.2026"):
        assert refusal(validators.moment, bad).key == "input.date"
