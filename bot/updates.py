"""Translate a Telegram update (the Bot API's JSON) into the core's Incoming event.

Both frameworks can give the update as the Bot API's own dict, so one translation serves
aiogram, python-telegram-bot and the webhook alike.
"""

from __future__ import annotations

from typing import Any

from handlers.messages import Attachment, Incoming, Kind

ALLOWED_UPDATES = ("message", "callback_query", "inline_query", "poll_answer")
# Message parts that are not text, in the order a message is checked for them.
ATTACHMENT_KINDS = (
    "photo",
    "document",
    "video",
    "animation",
    "audio",
    "voice",
    "video_note",
    "sticker",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
)


def to_incoming(update: dict[str, Any], bot_username: str = "") -> Incoming | None:
    """Return the event in an update, or None for updates the bot does not handle."""
    update_id = update.get("update_id")
    if "message" in update:
        return _message(update["message"], update_id, bot_username)
    if "callback_query" in update:
        query = update["callback_query"]
        message = query.get("message") or {}
        chat = message.get("chat") or {"id": query["from"]["id"], "type": "private"}
        return Incoming(
            kind=Kind.BUTTON,
            update_id=update_id,
            chat_id=chat["id"],
            chat_type=chat.get("type", "private"),
            callback_id=query["id"],
            callback_data=query.get("data") or "",
            message_id=message.get("message_id"),
            message_text=message.get("text", message.get("caption")),
            message_buttons=_buttons(message),
            **_sender(query["from"]),
        )
    if "inline_query" in update:
        query = update["inline_query"]
        return Incoming(
            kind=Kind.INLINE_QUERY,
            update_id=update_id,
            chat_id=query["from"]["id"],
            query_id=query["id"],
            text=query.get("query", ""),
            inline_offset=query.get("offset", ""),
            **_sender(query["from"]),
        )
    if "poll_answer" in update and "user" in update["poll_answer"]:
        answer = update["poll_answer"]
        return Incoming(
            kind=Kind.POLL_ANSWER,
            update_id=update_id,
            chat_id=answer["user"]["id"],
            poll_id=answer["poll_id"],
            option_ids=tuple(answer.get("option_ids", ())),
            **_sender(answer["user"]),
        )
    return None


def _buttons(message: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return tuple(
        (button.get("text", ""), button.get("callback_data") or button.get("url") or "")
        for row in keyboard
        for button in row
    )


def _sender(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "user_id": user["id"],
        "first_name": user.get("first_name", ""),
        "username": user.get("username"),
        "language_code": user.get("language_code"),
    }


def _message(message: dict[str, Any], update_id: int | None, bot_username: str) -> Incoming | None:
    sender = message.get("from")
    if sender is None or sender.get("is_bot"):
        return None
    chat = message["chat"]
    common: dict[str, Any] = {
        "update_id": update_id,
        "chat_id": chat["id"],
        "chat_type": chat.get("type", "private"),
        **_sender(sender),
    }
    origin = message.get("forward_origin") or {}
    if origin.get("type") == "user":
        common["forwarded_from"] = origin["sender_user"]["id"]
    text = message.get("text")
    if text is not None:
        command = _command(text, message.get("entities") or [], bot_username)
        if command is not None:
            name, args = command
            return Incoming(kind=Kind.COMMAND, text=text, command=name, args=args, **common)
        return Incoming(kind=Kind.TEXT, text=text, **common)
    for kind in ATTACHMENT_KINDS:
        if kind in message:
            return Incoming(
                kind=Kind.ATTACHMENT,
                text=message.get("caption", ""),
                attachment=_attachment(kind, message[kind]),
                **common,
            )
    return None


def _command(
    text: str, entities: list[dict[str, Any]], bot_username: str
) -> tuple[str, str] | None:
    starts = any(e.get("type") == "bot_command" and e.get("offset") == 0 for e in entities)
    if not starts and not text.startswith("/"):
        return None
    head, _, args = text[1:].partition(" ")
    name, _, addressee = head.partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None  # a command meant for another bot in a group
    if not name or not all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in name):
        return None
    return name.lower(), args.strip()


def _attachment(kind: str, part: Any) -> Attachment:
    if kind == "photo":  # sizes come smallest first; keep the largest
        part = max(part, key=lambda size: size.get("file_size") or size.get("width", 0))
    if not isinstance(part, dict):
        return Attachment(kind=kind)
    return Attachment(
        kind=kind,
        file_id=part.get("file_id"),
        file_size=part.get("file_size"),
        file_name=part.get("file_name"),
        mime_type=part.get("mime_type"),
    )
