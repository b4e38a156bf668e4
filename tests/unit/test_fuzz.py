"""Any input in any step of any flow: no unhandled error, nothing Telegram would refuse.

A hypothesis-generated user wanders through the bot: presses buttons it was shown, forges
callback data, types random text (HTML, emoji, right-to-left, zero-width, 10,000
characters), sends stickers, locations, voice and contacts, and uses every command. Every
reply is checked against Telegram's rules, and afterwards the user can still leave with
/cancel and reach the menu.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import limits
from handlers.html import plain
from handlers.messages import (
    AnswerButton,
    AnswerInline,
    EditText,
    Reply,
    SendAlbum,
    SendDocument,
    SendPhoto,
    SendPoll,
    SendText,
)
from tests.fake_telegram import parse_html, utf16_len
from tests.support.chat import Chat, register
from tests.support.hypothesis import examples

NASTY_TEXTS = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "<b>bold</b> & <i>",
            "</a><script>alert(1)</script>",
            "&amp; &lt; &#0; &bogus;",
            "مرحبا بالعالم",  # right-to-left
            "\u200b\u200c\u200d\ufeff",  # zero-width only
            "nul\x00inside\x07\x1b[31m",  # PostgreSQL refuses U+0000 in text
            "\u202eevil\u2066name",  # bidi overrides
            "👍🏽👨‍👩‍👧‍👦" * 50,
            "x" * 10_000,
            "хог хаягдал",
            "hog hayagdal",
            "1",
            "99",
            "ABC123",
            "/",
            "",
        ]
    ),
)
USER_IDS = itertools.count(10_000)
ATTACHMENTS = st.sampled_from(["sticker", "location", "voice", "contact", "photo", "document"])


@dataclass(frozen=True)
class Action:
    """One thing the wandering user does."""

    kind: str
    value: object = None


ACTIONS = st.one_of(
    st.builds(Action, st.just("press"), st.integers(0, 40)),
    st.builds(Action, st.just("text"), NASTY_TEXTS),
    st.builds(Action, st.just("attach"), ATTACHMENTS),
    st.builds(Action, st.just("command"), st.integers(0, 40)),
    st.builds(Action, st.just("forge"), st.text(max_size=70)),
)


def check_reply(reply: Reply) -> None:
    """Assert that Telegram would accept the request this reply becomes."""
    match reply:
        case SendText() | EditText():
            visible, _ = parse_html(reply.text)  # raises on HTML Telegram refuses
            assert 1 <= utf16_len(visible.strip() or visible) <= limits.MESSAGE_TEXT.maximum
            assert visible.strip(), f"empty message: {reply!r}"
            check_buttons(reply.buttons)
        case SendPhoto() | SendDocument() | SendAlbum():
            visible, _ = parse_html(reply.caption)
            assert utf16_len(visible) <= limits.CAPTION.maximum
        case AnswerButton():
            assert reply.text is None or len(reply.text) <= limits.CALLBACK_ANSWER.maximum
        case SendPoll():
            assert 1 <= len(reply.question) <= limits.POLL_QUESTION.maximum
            assert len(reply.options) <= limits.POLL_OPTIONS.maximum
        case AnswerInline():
            assert len(reply.results) <= limits.INLINE_RESULTS.maximum


def check_buttons(rows) -> None:
    for row in rows:
        for button in row:
            assert plain(button.label).strip(), f"empty button label: {button!r}"
            if button.data is not None:
                size = len(button.data.encode())
                assert 1 <= size <= limits.CALLBACK_DATA.maximum, button


async def wander(chat: Chat, actions: list[Action]) -> None:
    commands = sorted(chat.app.dispatcher.router.commands)
    for action in actions:
        buttons = [b for s in list(chat.screens.values())[-3:] for row in s.buttons for b in row]
        match action.kind:
            case "press" if buttons:
                button = buttons[int(action.value) % len(buttons)]  # type: ignore[call-overload]
                replies = await chat.press_data(button.data or "")
            case "text":
                replies = await chat.send(str(action.value) or " ")
            case "attach":
                replies = await chat.attach(str(action.value), file_size=30 * 1024 * 1024)
            case "command":
                name = commands[int(action.value) % len(commands)]  # type: ignore[call-overload]
                replies = await chat.send(f"/{name}")
            case _:
                replies = await chat.press_data(str(action.value) or "x")
        for reply in replies:
            check_reply(reply)


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(ACTIONS, min_size=5, max_size=25), trainer=st.booleans())
async def test_a_wandering_user_breaks_nothing(app, caplog, actions, trainer):
    caplog.set_level(logging.ERROR)
    caplog.clear()
    chat = Chat(app, next(USER_IDS))  # the database is shared by all examples of one run
    await register(chat, grant="trainer" if trainer else None)
    await wander(chat, actions)
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == [], failures
    await chat.send("/cancel")
    await chat.send("/menu")
    menu = [b.data for row in chat.last().buttons for b in row]
    assert "menu:submit" in menu and "menu:settings" in menu
