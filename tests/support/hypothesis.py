"""How many examples a property test runs: its own number, or many more in the long hunt."""

from __future__ import annotations

import os

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"


def examples(count: int) -> int:
    """Return the test's example count, multiplied for `HYPOTHESIS_PROFILE=long`."""
    return count * 25 if LONG else count
