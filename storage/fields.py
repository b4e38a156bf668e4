"""How long each stored text may be: one table for every way in.

The bot's forms, `practices import` and `import-all` all check these, so no way in stores
what another refuses (a 100 KB solution once froze every chat that showed it). A typed
answer must also reach the minimum; an imported record only needs its required fields.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldLimit:
    """How long a text may be, in characters (minimum: for answers typed in the bot)."""

    minimum: int
    maximum: int


# Long enough for a reviewer to understand, short enough to read on a phone.
PRACTICE = {
    "title": FieldLimit(5, 120),
    "problem": FieldLimit(20, 1500),
    "solution": FieldLimit(20, 2000),
    "results": FieldLimit(10, 1500),
    "resources": FieldLimit(2, 1000),
    "partners": FieldLimit(2, 500),
    "contact": FieldLimit(3, 200),
}
EXTERNAL_ID = FieldLimit(1, 64)
TAG = FieldLimit(1, 50)
TAGS = 20  # tags on one practice
NAME = FieldLimit(0, 200)  # a person's name as Telegram gives it (it allows 64)

# The same limits by table and column, for checks that see rows (a backup's restore).
COLUMNS: dict[str, dict[str, FieldLimit]] = {
    "practices": {**PRACTICE, "external_id": EXTERNAL_ID},
    "users": {"first_name": NAME},
}


def too_long(name: str, value: str, limit: FieldLimit) -> str | None:
    """Say why a value is over its limit, or return None when it fits."""
    if len(value) <= limit.maximum:
        return None
    return f"{name} is longer than {limit.maximum} characters ({len(value)})"
