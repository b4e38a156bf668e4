"""The seam between the core and a Telegram runtime.

A runtime is given `Hooks` when it is built (what it serves, and whom it tells when a chat
turns out unreachable or a poll was posted), so it never reaches back into the application.
Workers and the announcement sender see a runtime only as a `Transport`: send one reply and
say what kind of `Failure` an exception is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from handlers.messages import Incoming, Reply, SendPoll


class Failure(Enum):
    """How a failed Bot API call should be treated."""

    UNREACHABLE = "unreachable"  # 403: blocked, deactivated, kicked
    NOT_MODIFIED = "not_modified"  # editing to the same content: nothing to do
    RETRY_AFTER = "retry_after"  # 429: wait and send again
    INVALID = "invalid"  # 400 chat not found: the chat does not exist for the bot
    TEMPORARY = "temporary"  # 5xx, network error, timeout: may work later
    OTHER = "other"


class Transport(Protocol):
    """What the sender needs of a Telegram runtime: send one reply, classify a failure."""

    async def send(self, reply: Reply, chat_id: int) -> None:
        """Send one reply to a chat."""

    def classify(self, error: Exception) -> tuple[Failure, float]:
        """Say what kind of failure an exception is, and how long to wait for a 429."""


def _ignore_name(_username: str) -> None:
    """Learn nothing from the bot's username (for runtimes built without a listener)."""


@dataclass(frozen=True)
class Hooks:
    """What a runtime serves and the callbacks it calls, given at construction."""

    # The core: one event in, the replies out.
    handle: Callable[[Incoming], Awaitable[Sequence[Reply]]]
    # The command menu per language; None is the menu for every other language.
    command_menus: Mapping[str | None, Sequence[tuple[str, str]]]
    # A chat refused the bot (403): remember it, so broadcasts skip it.
    mark_unreachable: Callable[[int], Awaitable[None]]
    # A native poll the bot posted: (the reply, poll id, chat id, message id).
    poll_sent: Callable[[SendPoll, str, int, int], Awaitable[None]]
    # Told the bot's @username once Telegram has said it.
    named: Callable[[str], None] = _ignore_name
    # Background work started beside update handling; each gets the runtime to send with
    # and runs until cancelled.
    workers: Sequence[Callable[[Any], Awaitable[None]]] = field(default_factory=tuple)
