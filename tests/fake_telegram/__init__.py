"""A fake Telegram Bot API server for runtime tests, and Bot API spec checks."""

from tests.fake_telegram.records import Button, Call, SentMessage, Upload
from tests.fake_telegram.server import SEND_METHODS, FakeTelegram, TelegramError
from tests.fake_telegram.spec import Problem, Range, Spec, check_against_spec, load_spec, spec_path
from tests.fake_telegram.tghtml import HtmlError, parse_html, utf16_len

__all__ = [
    "SEND_METHODS",
    "Button",
    "Call",
    "FakeTelegram",
    "HtmlError",
    "Problem",
    "Range",
    "SentMessage",
    "Spec",
    "TelegramError",
    "Upload",
    "check_against_spec",
    "load_spec",
    "parse_html",
    "spec_path",
    "utf16_len",
]
