"""Text is cleaned on its way in: no NUL for PostgreSQL, no disguised names or titles."""

from __future__ import annotations

import logging

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from handlers.messages import Incoming, Kind
from knowledge.clean import clean_name, clean_text
from storage.models import FaqQuestion, Practice, User
from tests.support.chat import Chat, register
from tests.support.practices import submit


def test_clean_text_keeps_newlines_and_tabs_only():
    assert clean_text("a\x00b\x07c\x1bd\x7fe\x85f") == "abcdef"
    assert clean_text("line\r\nnext\rlast\tcell") == "line\nnext\nlast\tcell"
    assert clean_text("\ud800broken") == "broken"
    text = "Сайн уу\n👍"
    assert clean_text(text) is text or clean_text(text) == text


def test_clean_name_strips_disguises_and_lines():
    assert clean_name(" Бат\u202eдорж\u200b\u2066 ") == "Батдорж"
    assert clean_name("evil\u202egnp.exe") == "evilgnp.exe"
    assert clean_name("two\nlines\tand\u2028more") == "two lines and more"
    assert clean_name("\ufeffГарчиг\u2060") == "Гарчиг"


@given(st.text())
def test_cleaned_text_has_no_control_characters(text):
    cleaned = clean_text(text)
    assert all(c in "\n\t" or c.isprintable() or not _control(c) for c in cleaned)
    name = clean_name(text)
    assert "\x00" not in name and "\u202e" not in name and "\u200b" not in name
    assert clean_text(cleaned) == cleaned and clean_name(name) == name


def _control(character: str) -> bool:
    code = ord(character)
    return code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000


def test_incoming_is_cleaned_whoever_builds_it():
    incoming = Incoming(
        kind=Kind.TEXT, user_id=1, chat_id=1, text="a\x00b", first_name="\u202eБолд\x00"
    )
    assert (incoming.text, incoming.first_name) == ("ab", "Болд")


async def test_nul_in_a_registration_name_and_a_submitted_title(app, caplog):
    caplog.set_level(logging.ERROR)
    chat = Chat(app, 31, first_name="Бат\x00\u202eдорж\u200b")
    await register(chat)
    await submit(chat, title="Хог\x00 хаягдлыг\u202e ангилах\u200b аян\x00")
    await chat.send("хог ангилах\x00 хэзээ эхлэх вэ\x01")  # a question kept for trainers
    async with app.database.transaction() as session:
        user = await session.get(User, 31)
        practice = (await session.scalars(select(Practice))).one()
        questions = (await session.scalars(select(FaqQuestion.question))).all()
    assert user is not None and user.first_name == "Батдорж" and user.registered
    assert practice.title == "Хог хаягдлыг ангилах аян" and practice.status == "submitted"
    assert all("\x00" not in q and "\x01" not in q for q in questions)
    assert [r.getMessage() for r in caplog.records] == []
