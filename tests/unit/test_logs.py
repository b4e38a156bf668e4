"""Logs are JSON lines with the update id, and never show the bot token."""

from __future__ import annotations

import json
import logging

from bot.logs import JsonFormatter, current_update, redact

TOKEN = "123456789:AAHk3x-Very_Secret_Token_Value_12345"


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    entry = logging.LogRecord("khoroo", logging.INFO, __file__, 1, message, args, None)
    entry.__dict__.update(extra)
    return entry


def test_tokens_are_redacted_everywhere():
    assert TOKEN not in redact(f"POST https://api.telegram.org/bot{TOKEN}/getUpdates")
    line = JsonFormatter().format(record("calling %s", f"/bot{TOKEN}/sendMessage"))
    assert TOKEN not in line and "<token>" in line


def test_the_update_id_and_extras_are_fields():
    marker = current_update.set(777)
    try:
        line = json.loads(JsonFormatter().format(record("handled", kind="button")))
    finally:
        current_update.reset(marker)
    assert line["update_id"] == 777 and line["kind"] == "button"
    assert line["level"] == "INFO" and line["message"] == "handled"
