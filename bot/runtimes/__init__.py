"""The channel runtimes: aiogram and python-telegram-bot for Telegram, and the console."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.runtimes.telegram import TelegramRuntime
    from bot.transport import Hooks
    from bot.webhook import Webhook

KINDS = ("aiogram", "ptb")


def telegram_runtime(
    kind: str, hooks: Hooks, token: str, *, api_url: str, webhook: Webhook | None = None
) -> TelegramRuntime:
    """Build the runtime on the named framework, importing only that framework."""
    if kind == "aiogram":
        from bot.runtimes.aiogram_runtime import AiogramRuntime

        return AiogramRuntime(hooks, token, api_url=api_url, webhook=webhook)
    if kind == "ptb":
        from bot.runtimes.ptb_runtime import PtbRuntime

        return PtbRuntime(hooks, token, api_url=api_url, webhook=webhook)
    raise ValueError(f"unknown runtime {kind!r}: choose one of {', '.join(KINDS)}")
