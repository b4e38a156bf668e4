"""Ulaanbaatar time: dates are typed and shown in it, and stored in UTC.

Kept free of heavy imports: the catalogue (and so every command) needs the time zone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Asia/Ulaanbaatar")
_MOMENT = re.compile(
    r"^\s*(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})"
    r"(?:\s*[,T ]\s*(\d{1,2})\s*[:.]\s*(\d{2}))?\s*$"
)


def parse_moment(text: str, *, end_of_day: bool = False) -> datetime:
    """Read "2026-03-01" or "2026.03.01", optionally with "14:30", as Ulaanbaatar time.

    Without a time a start means the beginning of the day and an end its last minute.
    Raises ValueError when the text is not such a date.
    """
    moment, _ = read_moment(text, end_of_day=end_of_day)
    return moment


def read_moment(text: str, *, end_of_day: bool = False) -> tuple[datetime, bool]:
    """Return the moment a typed date names, and whether a time was typed with it."""
    match = _MOMENT.match(text)
    if match is None:
        raise ValueError(text)
    year, month, day, hour, minute = match.groups()
    if hour is None:
        clock = time(23, 59) if end_of_day else time(0, 0)
    else:
        clock = time(int(hour), int(minute))  # raises ValueError past 23:59
    local = datetime.combine(datetime(int(year), int(month), int(day)).date(), clock)
    return local.replace(tzinfo=TIMEZONE).astimezone(UTC), hour is not None


def local_year(moment: datetime) -> int:
    """Return the year of a moment in Ulaanbaatar."""
    return moment.astimezone(TIMEZONE).year
