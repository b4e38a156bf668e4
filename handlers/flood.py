"""Flood control: a user who sends too much in a short time is told once, then ignored briefly."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum


class Verdict(Enum):
    """What to do with one more event from a user."""

    ALLOW = "allow"
    WARN = "warn"  # the first event over the limit: say 'slow down' once
    DROP = "drop"  # still in the pause: ignore (but answer button presses)


@dataclass
class FloodGuard:
    """Count each user's events in a sliding window; other users are never slowed."""

    limit: int = 25
    window: float = 10.0
    pause: float = 20.0
    clock: Callable[[], float] = time.monotonic
    _events: dict[int, deque[float]] = field(default_factory=dict)
    _paused_until: dict[int, float] = field(default_factory=dict)
    _checks: int = 0

    def check(self, user_id: int) -> Verdict:
        """Record an event from the user and judge it."""
        now = self.clock()
        self._checks += 1
        if self._checks % 1000 == 0:
            self._forget_idle(now)
        if self._paused_until.get(user_id, 0.0) > now:
            return Verdict.DROP
        events = self._events.setdefault(user_id, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        events.append(now)
        if len(events) > self.limit:
            events.clear()
            self._paused_until[user_id] = now + self.pause
            return Verdict.WARN
        return Verdict.ALLOW

    def _forget_idle(self, now: float) -> None:
        # Keep memory proportional to the users active in the last window.
        for user_id in [u for u, e in self._events.items() if not e or e[-1] <= now - self.window]:
            del self._events[user_id]
        for user_id in [u for u, t in self._paused_until.items() if t <= now]:
            del self._paused_until[user_id]
