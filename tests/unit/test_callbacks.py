"""The button data codec: round trips, Telegram's 64 bytes, and forged presses answered once."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.callbacks import LIMIT, Callback, MaxBytes, escape, parse_int, registered, unescape
from handlers.faq import FaqFeedback, FaqTopic
from handlers.messages import AnswerButton, EditText, SendText
from handlers.review import ReviewPress
from handlers.steps import Form, StepPress
from handlers.votes import VotePress
from tests.support.chat import Chat, register


class Colour(StrEnum):
    RED = "r"
    GREEN = "g"


class Sample(Callback, prefix="tst.s"):
    number: int
    name: Annotated[str, MaxBytes(28)]
    colour: Colour
    size: Literal["s", "m"]
    flag: bool
    extra: Literal["x", "y"] | None = None


class Named(Callback, prefix="tst.named"):
    name: Annotated[str, MaxBytes(50)]


def test_a_record_packs_and_parses_back():
    press = Sample(-(2**63), "Сайн:байна%уу", Colour.GREEN, "m", True, "y")
    data = press.pack()
    assert data == "tst.s:-9223372036854775808:Сайн%3Aбайна%25уу:g:m:1:y"
    assert len(data.encode()) == 63 <= LIMIT
    assert Sample.parse(data) == press
    assert Callback.parse(data) == press
    assert Named.parse(data) is None  # another record's data is not this one's


def test_trailing_none_fields_are_left_out():
    press = Sample(1, "", Colour.RED, "s", False)
    assert press.pack() == "tst.s:1::r:s:0"
    assert Sample.parse("tst.s:1::r:s:0") == press
    assert Sample.parse("tst.s:1::r:s:0:") is None  # not what pack writes


def test_cyrillic_is_counted_in_bytes():
    assert Named.parse(Named("Б" * 25).pack()) == Named("Б" * 25)  # 50 bytes
    with pytest.raises(ValueError, match="50 bytes"):
        Named("Б" * 26).pack()


@settings(max_examples=300, derandomize=True)
@given(st.text(max_size=12))
def test_any_text_within_its_bound_round_trips(text):
    if len(escape(text).encode()) > 50:
        return
    assert Named.parse(Named(text).pack()) == Named(text)
    assert unescape(escape(text)) == text


def test_pack_refuses_what_does_not_fit():
    for bad in (
        Sample(2**63, "a", Colour.RED, "s", True),  # beyond 64 bits
        Sample(1, "a", "b", "s", True),  # type: ignore[arg-type]  # not a Colour
        Sample(1, "a", Colour.RED, "xl", True),  # type: ignore[arg-type]
        Sample(True, "a", Colour.RED, "s", True),  # a bool is not an int here
        Sample(1, "a", Colour.RED, "s", 1),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValueError):
            bad.pack()


def test_records_are_checked_when_declared():
    with pytest.raises(TypeError, match="70 bytes"):

        class Big(Callback, prefix="tst.big"):
            a: int
            b: int
            c: int

    with pytest.raises(TypeError, match="taken by ReviewPress"):

        class Again(Callback, prefix="rv"):
            practice: int

    with pytest.raises(TypeError, match="MaxBytes"):

        class Unbounded(Callback, prefix="tst.unbounded"):
            text: str

    with pytest.raises(TypeError, match="prefix"):

        class Colon(Callback, prefix="tst:colon"):
            number: int

    with pytest.raises(TypeError, match="unsupported"):

        class Floaty(Callback, prefix="tst.float"):
            number: float

    assert "tst.big" not in registered() and registered()["rv"] is ReviewPress


def test_a_form_name_too_long_for_its_buttons_is_refused():
    async def nothing(*_args: object) -> None:
        return None

    with pytest.raises(TypeError, match="prefix"):
        Form("a-form-name-far-too-long", "flow.search", (), nothing)
    with pytest.raises(TypeError, match="more than Telegram's 64"):
        Form("twelve.chars", "flow.search", (), nothing)  # 12 bytes fit; these do not
        Form("thirteen.char", "flow.search", (), nothing)


@pytest.mark.parametrize(
    "data",
    ["rv:a", "rv:z:1", "rv:a:01", "rv:a:+1", "rv:a: 1", "rv:a:1:2", "rv:a:-0", "rv:a:1x"],
)
def test_malformed_data_parses_to_none(data):
    assert Callback.parse(data) is None


def test_numbers_read_only_as_written():
    assert [parse_int(t) for t in ("0", "42", "-7", "007", "1_0", "", None, "٣")] == [
        0, 42, -7, None, None, None, None, None,
    ]  # fmt: skip


def test_every_declared_record_fits_telegram():
    # Declaring is the check; this also proves the app's records are all declared and
    # that the step engine's records share the namespace without clashing.
    records = registered()
    assert {"rv", "vt", "va", "mine", "menu", "ad", "registration", "newvote"} <= set(records)
    assert issubclass(records["registration"], StepPress)
    assert VotePress(1, "c", 3).pack() == "vt:1:c:3"  # the format the benchmark presses


def test_every_faq_topic_fits_its_buttons(app):
    faq = app.services.faq
    assert faq is not None
    for entry in faq.entries():
        assert FaqTopic.parse(FaqTopic(entry.id).pack()) == FaqTopic(entry.id)
        assert FaqFeedback.parse(FaqFeedback(entry.id, True).pack()) is not None


FORGED = [
    "",
    "nonsense",
    "nonsense:1",
    "rv:a",  # a field missing
    "rv:q:1",  # no such decision
    "rv:a:one",
    "rv:a:1:2",  # one too many
    "mine:o:-",
    "vt:1:zz",
    "registration:role",  # a step button without its value
    "vote:1",  # a well-formed poll tag, which is no button
    "x" * 65,
    "Б" * 40,
]


@pytest.mark.parametrize("data", FORGED)
async def test_a_forged_press_gets_one_polite_answer_and_changes_nothing(app, data):
    chat = Chat(app, 77)
    await register(chat)
    screens = dict(chat.screens)
    replies = await chat.press_data(data)
    assert len(replies) == 1, replies
    [answer] = replies
    assert isinstance(answer, AnswerButton) and "хуучирсан" in (answer.text or "")
    assert not [r for r in replies if isinstance(r, SendText | EditText)]
    assert chat.screens == screens


async def test_a_forged_press_before_registering_is_answered_too(app):
    chat = Chat(app, 78)
    replies = await chat.press_data("rv:a:1:2", message_id=1)
    assert any(isinstance(r, AnswerButton) for r in replies)
    assert len([r for r in replies if isinstance(r, AnswerButton)]) == 1
