"""The locale catalogue: every user-facing text, Mongolian first, English second."""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import yaml

from handlers.html import Html, escape
from handlers.mongolian import CASES, Case, suffix
from storage.localtime import TIMEZONE

LOCALES = Path(__file__).with_name("locales")
LANGUAGES = ("mn", "en")
DEFAULT_LANGUAGE = "mn"

_MONTHS_EN = (
    "January February March April May June July August September October November December"
).split()


class CatalogueError(ValueError):
    """The catalogue files are inconsistent; the message names the key and language."""


class Catalogue:
    """Texts by language and key; values are HTML, arguments are escaped unless Html."""

    def __init__(self, texts: Mapping[str, Mapping[str, Any]], default: str = DEFAULT_LANGUAGE):
        self.texts = {language: _flatten(entries) for language, entries in texts.items()}
        self.default = default if default in self.texts else DEFAULT_LANGUAGE
        self._check()

    @classmethod
    def load(cls, folder: Path = LOCALES, default: str = DEFAULT_LANGUAGE) -> Catalogue:
        """Read every YAML file of each language's folder (one file per flow)."""
        texts: dict[str, dict[str, Any]] = {}
        for language in LANGUAGES:
            merged: dict[str, Any] = {}
            for path in sorted((folder / language).glob("*.yaml")):
                with path.open(encoding="utf-8") as handle:
                    try:
                        entries = _flatten(yaml.load(handle, Loader=_StrictLoader) or {})
                    except yaml.constructor.ConstructorError as error:
                        raise CatalogueError(f"{path}: {error}") from error
                repeated = set(merged) & set(entries)
                if repeated:
                    raise CatalogueError(f"{path}: keys defined twice: {sorted(repeated)[:5]}")
                merged.update(entries)
            texts[language] = merged
        return cls(texts, default)

    def language(self, code: str | None) -> str:
        """Return the supported language closest to a Telegram language code."""
        if code:
            base = code.split("-")[0].lower()
            if base in self.texts:
                return base
        return self.default

    def has(self, key: str) -> bool:
        """Tell whether the key exists."""
        return key in self.texts[self.default]

    def text(self, language: str, key: str, /, **values: Any) -> Html:
        """Render one text; a count 'n' chooses the plural form."""
        entry = self.texts.get(language, {}).get(key)
        if entry is None:
            entry = self.texts[self.default][key]
        if isinstance(entry, dict):
            entry = entry[plural_form(language, values.get("n", 0))]
        rendered = {name: _Value(_render(value, language), value) for name, value in values.items()}
        return Html(entry.format(**rendered))

    def _check(self) -> None:
        reference = self.texts[DEFAULT_LANGUAGE]
        for language, entries in self.texts.items():
            missing = set(reference) ^ set(entries)
            if missing:
                raise CatalogueError(f"{language}: keys differ from mn: {sorted(missing)[:5]}")
            for key, value in entries.items():
                if _fields(value) != _fields(reference[key]):
                    raise CatalogueError(f"{language}:{key}: placeholders differ from mn")


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice (plain YAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def plural_form(language: str, n: Any) -> str:
    """Return the CLDR plural category: Mongolian nouns after numerals do not change."""
    if language == "en":
        return "one" if n == 1 else "other"
    return "other"


# Mongolian readers group thousands with a space (1 500; a comma reads as a decimal mark),
# although CLDR's mn locale says comma; a narrow no-break space keeps a number on one line.
THOUSANDS = {"mn": "\u202f", "en": ","}


def format_number(value: int | float | Decimal, language: str) -> str:
    """Group thousands as the language's readers expect (1 500 / 1,500), with a decimal point."""
    written = f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
    return written.replace(",", THOUSANDS.get(language, ","))


def format_date(value: date | datetime, language: str, *, with_time: bool = False) -> str:
    """Write a date as officers read it, in Ulaanbaatar time."""
    if isinstance(value, datetime):
        moment = value.astimezone(TIMEZONE) if value.tzinfo else value
        day: date = moment.date()
    else:
        moment, day = None, value
    if language == "mn":
        text = f"{day.year} оны {day.month}-р сарын {day.day}"
    else:
        text = f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    if with_time and moment is not None:
        text += f", {moment:%H:%M}"
    return text


class _Value(Html):
    """A rendered value; ``{title:тай}`` writes the case suffix that follows it (тэй/той)."""

    __slots__ = ("source",)
    source: Any

    def __new__(cls, rendered: Html, source: Any) -> _Value:
        value = super().__new__(cls, rendered)
        value.source = source
        return value

    def __format__(self, spec: str) -> str:
        if spec in CASES:
            # A value without a vowel to go by (digits of nothing, emoji) keeps the base form.
            return suffix(str(self.source), cast(Case, spec)) or spec
        return super().__format__(spec)


def _render(value: Any, language: str) -> Html:
    if isinstance(value, Html):
        return value
    if isinstance(value, bool):
        return escape(value)
    if isinstance(value, int | float | Decimal):
        return Html(format_number(value, language))
    if isinstance(value, date | datetime):
        return Html(format_date(value, language))
    return escape(value)


def _flatten(entries: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in entries.items():
        if not isinstance(key, str):  # YAML 1.1 reads bare yes/no/on/off keys as booleans
            raise CatalogueError(f"{prefix}{key!r}: keys must be strings; quote them")
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not set(value) <= {"one", "other"}:
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _fields(value: Any) -> set[str]:
    texts = value.values() if isinstance(value, dict) else [value]
    return {name for text in texts for _, name, _, _ in string.Formatter().parse(str(text)) if name}
