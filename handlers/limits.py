"""Telegram Bot API limits the bot relies on (checked against the spec by a conformance test)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """One limit, with where the Bot API states it."""

    method: str
    field: str
    minimum: int
    maximum: int
    unit: str = "characters"  # or "bytes" / "items"


MESSAGE_TEXT = Limit("sendMessage", "text", 1, 4096)
EDIT_TEXT = Limit("editMessageText", "text", 1, 4096)
CAPTION = Limit("sendPhoto", "caption", 0, 1024)
DOCUMENT_CAPTION = Limit("sendDocument", "caption", 0, 1024)
CALLBACK_DATA = Limit("InlineKeyboardButton", "callback_data", 1, 64, "bytes")
CALLBACK_ANSWER = Limit("answerCallbackQuery", "text", 0, 200)
POLL_QUESTION = Limit("sendPoll", "question", 1, 300)
POLL_OPTIONS = Limit("sendPoll", "options", 1, 12, "items")  # votes need 2: a rule of ours
POLL_OPTION_TEXT = Limit("InputPollOption", "text", 1, 100)
MEDIA_GROUP = Limit("sendMediaGroup", "media", 2, 10, "items")
INLINE_RESULTS = Limit("answerInlineQuery", "results", 0, 50, "items")
COMMAND_NAME = Limit("BotCommand", "command", 1, 32)
COMMAND_DESCRIPTION = Limit("BotCommand", "description", 1, 256)
START_PARAMETER = Limit("deep link", "start", 1, 64)

ALL: tuple[Limit, ...] = (
    MESSAGE_TEXT,
    EDIT_TEXT,
    CAPTION,
    DOCUMENT_CAPTION,
    CALLBACK_DATA,
    CALLBACK_ANSWER,
    POLL_QUESTION,
    POLL_OPTIONS,
    POLL_OPTION_TEXT,
    MEDIA_GROUP,
    INLINE_RESULTS,
    COMMAND_NAME,
    COMMAND_DESCRIPTION,
)

# Bot-side photo downloads are capped at 20 MB by the Bot API.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
