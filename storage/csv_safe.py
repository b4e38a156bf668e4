"""CSV that a spreadsheet opens without running anything: every writer of the project uses it.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice (a voter's Telegram name ``=HYPERLINK(...)`` would become a link), so
it is written with a leading apostrophe, as OWASP advises; a cell already starting with
apostrophes before such a character gets one more, so ``restore`` reads back exactly what
was written.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def _formula_like(text: str) -> bool:
    return text.lstrip(QUOTE).startswith(FORMULA_STARTS)


def neutralise(value: Any) -> Any:
    """Return a cell's value, with an apostrophe in front of text a spreadsheet would run."""
    if isinstance(value, str) and _formula_like(value):
        return QUOTE + value
    return value


def restore(value: str) -> str:
    """Undo neutralise on a cell read back from a CSV file the project wrote."""
    if value.startswith(QUOTE) and _formula_like(value):
        return value[1:]
    return value


class Writer:
    """csv.writer whose rows are neutralised."""

    def __init__(self, stream: _Writable, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row."""
        self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write several rows."""
        for row in rows:
            self.writerow(row)


class DictWriter:
    """csv.DictWriter whose values are neutralised (the header is ours and written as is)."""

    def __init__(self, stream: _Writable, fieldnames: Sequence[str], **options: Any) -> None:
        self._writer = csv.DictWriter(stream, fieldnames=fieldnames, **options)

    def writeheader(self) -> None:
        """Write the field names."""
        self._writer.writeheader()

    def writerow(self, row: Mapping[str, Any]) -> None:
        """Write one record."""
        self._writer.writerow({key: neutralise(value) for key, value in row.items()})
