"""The source documents the knowledge base rests on, and the short titles officers see.

Entries name their sources by file name (`sources: [003_8a8259d606a3d38d.txt]`); the files
themselves stay outside the repository (`../shared/sources/`, described by its README).
Officers never see a file name, only the title given here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

SOURCES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "000_bf5db5305d6bf389.txt": {
            "mn": "ХСАЗ семинарын мэдээ, 2019.02",
            "en": "News: peer-learning seminar, Feb 2019",
        },
        "001_d92b3420f8891f66.txt": {
            "mn": "ХСАЗ сургагч багш бэлтгэсэн тухай мэдээ, 2021.08",
            "en": "News: training of peer-learning trainers, Aug 2021",
        },
        "002_1e9f809adefe3f19.txt": {
            "mn": "«Мэргэжлийн, иргэн төвтэй төрийн алба» төслийн мэдээ",
            "en": "News: the professional, citizen-centred civil service project",
        },
        "003_8a8259d606a3d38d.txt": {
            "mn": "Илтгэл: төрийн албан дахь өөрчлөлт, шинэчлэл, 2019.10",
            "en": "Presentation: change and innovation in the civil service, Oct 2019",
        },
        "004_399589e6aa134046.txt": {
            "mn": "ISO 9001 сургалтын мэдээ, Баян-Өлгий аймаг",
            "en": "News: ISO 9001 training, Bayan-Ölgii province",
        },
    }
)


def source_title(name: str, language: str) -> str:
    """Return a source's short title in the language, Mongolian when the language is not covered."""
    titles = SOURCES[name]
    return titles.get(language, titles["mn"])
