"""One delivery path: both runtimes treat Telegram's refusals alike (the fake injects them)."""

from __future__ import annotations

import logging

import pytest

from bot.runtimes.telegram import Refusal, classify
from bot.transport import Failure
from handlers.messages import EditText, SendText
from storage.models import User
from tests.runtime.harness import LiveBot

USER = 7301


# PTB reads its own deprecated RetryAfter.retry_after when it raises one.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_refusals_are_handled_alike(live: LiveBot, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING)
    await live.say(USER, "/start")
    fake, runtime = live.fake, live.runtime

    fake.fail_next("sendMessage", 429, retry_after=1)  # waited out, then sent again
    await runtime.deliver(SendText("Дахин илгээв"), USER)
    assert fake.sent_messages(USER)[-1].text == "Дахин илгээв"

    message = fake.sent_messages(USER)[-1].message_id
    for description in (
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same as a current content and reply markup of the message",
        "Bad Request: MESSAGE IS NOT MODIFIED",  # matched alike on both, whatever the case
    ):
        fake.fail_next("editMessageText", 400, description)
        await runtime.deliver(EditText(message, "Дахин илгээв"), USER)
    assert caplog.records == []  # nothing to do, nothing to report

    fake.fail_next("sendMessage", 400, "Bad Request: can't parse entities")
    await runtime.deliver(SendText("Сайн уу"), USER)
    [warning] = caplog.records  # a refusal that is the bot's mistake is logged
    assert "can't parse entities" in warning.getMessage().lower()
    caplog.clear()

    fake.fail_next("sendMessage", 403)  # blocked: remembered through the hook
    await runtime.deliver(SendText("Сайн уу"), USER)
    async with live.app.database.transaction() as session:
        user = await session.get(User, USER)
        assert user is not None and user.blocked
    assert caplog.records == []


@pytest.mark.parametrize(
    ("refusal", "expected"),
    [
        (Refusal(403, "Forbidden: bot was blocked by the user"), (Failure.UNREACHABLE, 0)),
        (Refusal(429, "Too Many Requests: retry after 7", 7.0), (Failure.RETRY_AFTER, 7.0)),
        (Refusal(400, "Bad Request: message is not modified"), (Failure.NOT_MODIFIED, 0)),
        (Refusal(400, "Message Is Not Modified"), (Failure.NOT_MODIFIED, 0)),
        (Refusal(400, "Bad Request: chat not found"), (Failure.INVALID, 0)),
        (Refusal(400, "Bad Request: PEER_ID_INVALID"), (Failure.INVALID, 0)),
        (Refusal(400, "Bad Request: message is too long"), (Failure.OTHER, 0)),
        (Refusal(502, "Bad Gateway"), (Failure.TEMPORARY, 0)),
        (Refusal(None, "Connection reset"), (Failure.TEMPORARY, 0)),
        (Refusal(401, "Unauthorized"), (Failure.OTHER, 0)),
        (None, (Failure.OTHER, 0)),
    ],
)
def test_one_classification_of_refusals(refusal: Refusal | None, expected: tuple[Failure, float]):
    assert classify(refusal) == expected
