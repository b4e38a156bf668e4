"""Structured logs: one JSON object a line, with the update id, and never the bot token.

User messages are not logged at INFO: handlers log what happened (kind, flow, ids), not
what people wrote.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# The update being handled in this task; set by the runtimes, read by every log record.
current_update: ContextVar[int | None] = ContextVar("current_update", default=None)

_TOKEN = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{20,}")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}


def redact(text: str) -> str:
    """Replace anything that looks like a bot token."""
    return _TOKEN.sub("<token>", text)


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line, with its extra fields and the current update id."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        update_id = current_update.get()
        if update_id is not None:
            entry["update_id"] = update_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(level: int = logging.INFO) -> None:
    """Send JSON logs to standard error; quieten libraries that log request URLs."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx (under python-telegram-bot) logs every request URL, which contains the token.
    for noisy in ("httpx", "httpcore", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
