"""The locale catalogue: both languages complete, plurals, dates and numbers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from handlers.html import Html
from handlers.i18n import Catalogue, CatalogueError, format_date, format_number


def test_both_languages_have_the_same_keys_and_placeholders():
    catalogue = Catalogue.load()
    assert set(catalogue.texts["mn"]) == set(catalogue.texts["en"])


def test_a_missing_key_is_reported():
    with pytest.raises(CatalogueError, match="keys differ"):
        Catalogue({"mn": {"a": "x", "b": "y"}, "en": {"a": "x"}})


def test_a_placeholder_mismatch_is_reported():
    with pytest.raises(CatalogueError, match="placeholders"):
        Catalogue({"mn": {"a": "{n} хороо"}, "en": {"a": "{count} khoroos"}})


def test_yaml_boolean_keys_are_refused():
    with pytest.raises(CatalogueError, match="quote"):
        Catalogue({"mn": {True: "x"}, "en": {True: "x"}})


def test_plurals_follow_each_language():
    catalogue = Catalogue(
        {
            "mn": {"k": "{n} хороо"},
            "en": {"k": {"one": "{n} khoroo", "other": "{n} khoroos"}},
        }
    )
    assert catalogue.text("en", "k", n=1) == "1 khoroo"
    assert catalogue.text("en", "k", n=2) == "2 khoroos"
    assert catalogue.text("en", "k", n=0) == "0 khoroos"
    assert catalogue.text("mn", "k", n=2) == "2 хороо"


def test_english_counts_of_things_have_a_singular():
    """Say '1 question', not '1 questions': a count of a noun by n has both forms."""
    catalogue = Catalogue.load()
    counted = re.compile(r"\{n\} (?:more )?[a-z]+s\b")
    for key, entry in catalogue.texts["en"].items():
        if isinstance(entry, str) and counted.search(entry):
            pytest.fail(f"en:{key} counts with {{n}} but has no 'one' form: {entry!r}")
    assert catalogue.text("en", "templates.saved", n=1).endswith("1 question. /bank")
    assert "2 questions" in catalogue.text("en", "templates.saved", n=2)


def test_values_are_escaped_unless_marked_safe():
    catalogue = Catalogue({"mn": {"k": "<b>{x}</b>"}, "en": {"k": "<b>{x}</b>"}})
    assert catalogue.text("mn", "k", x="<i>&") == "<b>&lt;i&gt;&amp;</b>"
    assert catalogue.text("mn", "k", x=Html("<i>ok</i>")) == "<b><i>ok</i></b>"


def test_language_codes_map_to_supported_languages():
    catalogue = Catalogue.load()
    assert catalogue.language("en-GB") == "en"
    assert catalogue.language("ru") == "mn"
    assert catalogue.language(None) == "mn"


def test_dates_and_numbers():
    assert format_date(date(2026, 3, 8), "mn") == "2026 оны 3-р сарын 8"
    assert format_date(date(2026, 3, 8), "en") == "8 March 2026"
    # 20:30 UTC is already the next day in Ulaanbaatar (UTC+8).
    moment = datetime(2026, 3, 8, 20, 30, tzinfo=UTC)
    assert format_date(moment, "mn", with_time=True) == "2026 оны 3-р сарын 9, 04:30"
    assert format_number(1250000, "mn") == "1\u202f250\u202f000"
    assert format_number(1500, "en") == "1,500"
    assert format_number(1500.25, "mn") == "1\u202f500.2"
    assert format_number(4.25, "en") == "4.2"


def test_a_key_given_twice_in_one_file_is_refused(tmp_path):
    for language in ("mn", "en"):
        (tmp_path / language).mkdir()
        (tmp_path / language / "core.yaml").write_text(
            "menu:\n  ask: a\nmenu:\n  ask: b\n", encoding="utf-8"
        )
    with pytest.raises(CatalogueError, match="given twice"):
        Catalogue.load(tmp_path)
