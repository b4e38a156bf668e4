"""Mongolian text normalisation shared by practice search and the FAQ matcher.

Officers type Mongolian in Cyrillic and in Latin letters, in several habits at
once (х as h, kh or x; ц as ts or c; ө as o, u or ö; ы as ii or y), sometimes
with Latin look-alike letters pasted inside Cyrillic words, and often on
keyboards without ө and ү. Converting Latin back to Cyrillic is ambiguous (u
may be у, ү or ө), so both scripts are mapped to one lossy Latin *key*
instead: two spellings of the same word meet there, at the price of a few
harmless collisions between different words.

The key alphabet is lowercase a-z without u, x and y, plus digits:

* vowels: о/ө/у/ү and o/u/ö/ü all become ``o``; е/э become ``e``; и/й/ы and
  y become ``i``; doubled letters collapse (хороо → ``horo``);
* consonants: х/kh/x → ``h``, ц/ts/c → ``c``, ч/ch → ``q``, ш/sh → ``w``,
  ж/zh/j → ``j``; я/ya → ``ia``, ё/yo and ю/yu → ``io``.

:func:`terms` then strips Mongolian case, plural and possessive endings from
each key with a light stemmer (Snowball has no Mongolian one) so that хороо,
хорооны, хороонд, хорооноос, "khoroonii" and "horoond" give the same term.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "MIN_STEM",
    "STOPWORDS",
    "fold",
    "fold_word",
    "fold_words",
    "stem",
    "terms",
]

# Cyrillic (Mongolian, Russian, and Kazakh for Bayan-Ölgii) to the key
# alphabet. Letters whose Latin habits are digraphs go straight to their one
# key letter; the Latin pass below then also meets them from the Latin side.
_CYRILLIC_TO_LATIN = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "io",
    "ж": "j",
    "з": "z",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "ө": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "o",
    "ү": "o",
    "ф": "f",
    "х": "h",
    "ц": "c",
    "ч": "q",
    "ш": "w",
    "щ": "w",
    "ъ": "",
    "ы": "i",
    "ь": "",
    "э": "e",
    "ю": "io",
    "я": "ia",
    # Kazakh letters, used in Bayan-Ölgii texts.
    "ә": "a",
    "ғ": "g",
    "қ": "k",
    "ң": "n",
    "ұ": "o",
    "і": "i",
    "һ": "h",
    # Russian/Ukrainian letters that turn up in names.
    "є": "e",
    "ї": "i",
    "ў": "o",
}
_CYRILLIC_TABLE = str.maketrans(_CYRILLIC_TO_LATIN)

# Latin letters that look like Cyrillic ones (after lowercasing): pasted or
# autocorrected inside a Cyrillic word they mean the Cyrillic letter.
_LOOKALIKES = {
    "a": "а",
    "b": "в",
    "c": "с",
    "e": "е",
    "h": "н",
    "k": "к",
    "m": "м",
    "o": "о",
    "p": "р",
    "t": "т",
    "x": "х",
    "y": "у",
}
_LOOKALIKE_TABLE = str.maketrans(_LOOKALIKES)

# One pass over a Latin word, longest spelling first; the replacement is
# never rescanned, so e.g. the w produced for sh is not read again.
_LATIN_UNITS = {
    "kh": "h",
    "zh": "j",
    "ts": "c",
    "ch": "q",
    "sh": "w",
    "dz": "z",
    "ye": "e",
    "yo": "io",
    "yu": "io",
    "ya": "ia",
    "x": "h",
    "y": "i",
    "u": "o",
}
_LATIN_RE = re.compile("|".join(sorted(_LATIN_UNITS, key=len, reverse=True)))
_DOUBLED_RE = re.compile(r"(.)\1+")
_WORD_RE = re.compile(r"[^\W_]+")
# A case ending written after a hyphen (ХСАЗ-ын, СӨХ-той, hsaz-iin) belongs to the word
# before it; left apart, the ending would be a word of its own.
_HYPHEN_ENDING_RE = re.compile(r"(?<=[^\W\d_])[-‐‑–](?=[^\W\d_]{1,3}\b)")
# Apostrophes stand for ь/ъ in Latin habits, so they join rather than split.
_APOSTROPHES = str.maketrans(dict.fromkeys("'’ʼ`´", ""))

VOWELS = frozenset("aeio")

MIN_STEM = 3
"""Shortest stem the stemmer leaves; shorter words keep their endings."""


def _long_enough(base: str) -> bool:
    """Tell whether a stem may be left after stripping an ending from it."""
    # Two-letter roots like ус, эм, ах, он, ор inflect (усны, оны, орны);
    # other two-letter bases are too likely to be half a longer word.
    return len(base) >= MIN_STEM or (
        len(base) == 2 and base[0] in VOWELS and base[1] not in VOWELS and base.isalpha()
    )


# Endings over the key alphabet, tried longest first. Several Cyrillic
# endings share one key (-ын/-ийн → in, -аас/-ээс/-оос/-өөс → as/es/os).
_SUFFIXES = tuple(
    sorted(
        {
            # ablative, with the n of n-stems and the g after long vowels
            "nas", "nes", "nos", "gas", "ges", "gos", "as", "es", "os",
            # instrumental
            "nar", "ner", "nor", "gar", "ger", "gor", "ar", "er", "or",
            # comitative
            "tai", "tei", "toi",
            # plural (-ууд/-үүд, -нууд, -чууд, -иуд, -нар, and the -д of иргэд)
            "nod", "qod", "od", "iod",
            # accusative
            "ig", "g",
            # genitive
            "gin", "in", "ni", "n",
            # dative-locative
            "nd", "ad", "ed", "d", "t",
            # directive
            "ro", "lo",
        },
        key=len,
        reverse=True,
    )
)  # fmt: skip
# Where an ending folds to letters a stem may also end in, it is only
# stripped in the context Mongolian attaches it in: directive -руу/-луу and the
# g-linked endings follow vowels, dative -т follows в, р, с and г.
_ONLY_AFTER = {
    "ro": "aeio",
    "lo": "aeio",
    "gin": "aeio",
    "gas": "aeio",
    "ges": "aeio",
    "gos": "aeio",
    "gar": "aeio",
    "ger": "aeio",
    "gor": "aeio",
    "t": "rsvg",
}

_STOPWORDS_SOURCE = (
    # Mongolian conjunctions, particles, question words, pronouns
    "ба болон бас мөн нь юу вэ бэ уу үү юм энэ тэр эдгээр тэдгээр яаж хэрхэн"
    " ямар хаана хэзээ хэн хэд яагаад гэж гэх гэсэн байна байгаа бол л ч"
    " тухай зэрэг буюу эсвэл бүр их маш дээр доор хүртэл хойш өмнө"
    " би бид та тэд манай танай миний энд тэнд руу рүү луу лүү"
    # English
    " the a an of how what which who where when why to in for and is are"
    " was were do does i we you it this that with about"
    " at from into their has have had can some any than"
)


def _stage_latin(word: str) -> str:
    """Map one Latin-lettered word to the key alphabet once."""
    word = _LATIN_RE.sub(lambda m: _LATIN_UNITS[m.group()], word)
    return _DOUBLED_RE.sub(r"\1", word)


def _fix_lookalikes(word: str) -> str:
    """Replace Latin look-alike letters with their Cyrillic twins in a Cyrillic word."""
    cyrillic = latin = 0
    only_lookalikes = True
    for ch in word:
        if "\u0400" <= ch <= "\u04ff":
            cyrillic += 1
        elif "a" <= ch <= "z":
            latin += 1
            if ch not in _LOOKALIKES:
                only_lookalikes = False
    if not cyrillic or not latin:
        return word
    # "хоpоо" (Latin p) is Cyrillic; "hоg" (Cyrillic о) is Latin with a stray letter.
    if only_lookalikes or cyrillic > latin:
        return word.translate(_LOOKALIKE_TABLE)
    return word


@lru_cache(maxsize=200_000)
def fold_word(word: str) -> str:
    """Return the lossy Latin key of one lowercase word (no spaces or punctuation)."""
    word = _fix_lookalikes(word).translate(_CYRILLIC_TABLE)
    if not word.isascii():
        # Strip accents (ö, ü, é) only after Cyrillic is gone: NFKD would
        # also split й and ё into a base letter and a combining mark.
        word = "".join(
            ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch)
        )
    # A produced key can spell a unit again (к+х → "kh"): repeat to a fixpoint
    # so that folding a key gives the same key. Each pass only shortens the
    # word or removes u/x/y, so this ends after a few passes.
    while True:
        folded = _stage_latin(word)
        if folded == word:
            return folded
        word = folded


def fold_words(text: str) -> list[str]:
    """Split text into words and return the key of each, in order."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)
    text = _HYPHEN_ENDING_RE.sub("", text)
    keys = []
    for raw in _WORD_RE.findall(text):
        key = fold_word(raw)
        if key:
            keys.append(key)
    return keys


def fold(text: str) -> str:
    """Return text as one lossy Latin key: lowercase, no accents or punctuation."""
    return " ".join(fold_words(text))


def _drop_last_vowel(key: str) -> str:
    """Drop the short vowel before a final consonant, as Mongolian does when inflecting.

    хаягдал → хаягдлын, ажил → ажлын, хүүхэд → хүүхдүүд: dropping it from the
    bare form too makes both forms share a stem.
    """
    if (
        len(key) >= 4
        and key[-1] not in VOWELS
        and key[-2] in VOWELS
        and key[-3] not in VOWELS
        and not key[-1].isdigit()
        and not key[-3].isdigit()
    ):
        # Folding wrote doubled letters once (мэдээллийн → medelin), so a drop that brings
        # two alike together (мэдээлэл → medell) keeps one, or the forms would part.
        return key[:-2] if key[-3] == key[-1] else key[:-2] + key[-1]
    return key


def _strip_one(key: str) -> str | None:
    """Return key without its longest removable ending, or None if it has none."""
    for suffix in _SUFFIXES:
        if not key.endswith(suffix):
            continue
        base = key[: -len(suffix)]
        if not _long_enough(base):
            continue
        allowed = _ONLY_AFTER.get(suffix)
        if allowed is not None and base[-1] not in allowed:
            continue
        return base
    trimmed = key.rstrip("aeio")
    # Reflexive-possessive -аа/-ээ, genitive -ы and stem-final vowels all fold
    # to trailing vowels; dropping them joins хороо and хорооны.
    if trimmed != key and _long_enough(trimmed):
        return trimmed
    return None


@lru_cache(maxsize=200_000)
def stem(key: str) -> str:
    """Strip Mongolian inflection endings from one folded word key."""
    if not key.isalpha() or not key.isascii():
        return key
    # Endings stack (хүүхд-үүд-ийн-хээ) and some stems end in letters that
    # look like endings; stripping to a fixpoint makes every form of a word
    # reach the same stem whichever ending it carried.
    while True:
        while (base := _strip_one(key)) is not None:
            key = base
        # Dropping the last vowel can expose another ending (арет → арт):
        # repeat so that a stem is its own stem.
        dropped = _drop_last_vowel(key)
        if dropped == key:
            return key
        key = dropped


STOPWORDS: frozenset[str] = frozenset(fold_words(_STOPWORDS_SOURCE))
"""Folded (unstemmed) keys of words that carry no search meaning."""


def terms(text: str, keep_stopwords: bool = False) -> list[str]:
    """Return the stemmed keys of the words in text, in order, without stop words."""
    return [stem(key) for key in fold_words(text) if keep_stopwords or key not in STOPWORDS]
