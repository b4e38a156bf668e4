"""Quick votes through the core: trainers open votes, participants join and vote."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.updates import to_incoming
from handlers.callbacks import Callback
from handlers.html import plain
from handlers.messages import (
    AnswerButton,
    EditText,
    Incoming,
    Kind,
    Reply,
    SendDocument,
    SendPhoto,
    SendPoll,
    StopPoll,
)
from handlers.votes import looks_like_code, normalize_code
from knowledge.tally import MULTIPLE, SINGLE, tap
from storage.models import Ballot, RoleGrant, VoteSession, utcnow
from storage.votes import CODE_ALPHABET, Votes, new_code
from tests.conftest import ADMIN_ID
from tests.support.chat import Chat, register

TRAINER = 10
PNG = b"\x89PNG\r\n\x1a\n"


class Recorder:
    """Stands in for a Telegram runtime: keeps what the live worker delivers."""

    def __init__(self) -> None:
        self.sent: list[tuple[Reply, int]] = []

    async def deliver(self, reply: Reply, chat_id: int, **_: Any) -> None:
        self.sent.append((reply, chat_id))


def live(app):
    return app.live_results


async def trainer(app, user_id: int = TRAINER) -> Chat:
    chat = Chat(app, user_id, first_name="Сургагч")
    await register(chat, grant="trainer")
    return chat


async def participant(app, user_id: int, name: str = "Оролцогч") -> Chat:
    chat = Chat(app, user_id, first_name=name)
    await register(chat)
    return chat


async def open_vote(
    chat: Chat,
    question: str = "Аль туршлагыг нутагшуулах вэ?",
    options: tuple[str, ...] = ("Ногоон хороо", "Цахим хороо", "Эрүүл хороо"),
    *,
    kind: str = "Нэг сонголт",
    privacy: str = "Нэргүй",
    timing: str = "Шууд харуулах",
    autoclose: str = "Гараар хаана",
) -> tuple[VoteSession, list[Reply]]:
    """Go through /newvote; return the vote and the replies to the Start press."""
    await chat.send("/newvote")
    await chat.send(question)
    for option in options:
        await chat.send(option)
    await chat.press("Болсон")
    await chat.press(kind)
    await chat.press(privacy)
    await chat.press(timing)
    await chat.press(autoclose)
    replies = await chat.press("Эхлүүлэх")
    async with chat.app.database.transaction() as session:
        vote = (await session.scalars(select(VoteSession).order_by(VoteSession.id.desc()))).first()
    assert vote is not None
    return vote, replies


async def stored(app, vote_id: int) -> VoteSession:
    async with app.database.transaction() as session:
        vote = await session.get(VoteSession, vote_id)
        assert vote is not None
        return vote


async def tally(app, vote_id: int):
    async with app.database.transaction() as session:
        votes = Votes(session)
        vote = await votes.get(vote_id)
        assert vote is not None
        return await votes.tally(vote)


async def ballots(app, vote_id: int) -> list[Ballot]:
    async with app.database.transaction() as session:
        found = await session.scalars(select(Ballot).where(Ballot.vote_id == vote_id))
        return list(found.all())


def sent(replies: list[Reply], kind: type) -> list[Any]:
    return [r for r in replies if isinstance(r, kind)]


# --- codes ---------------------------------------------------------------------------------


def test_a_tap_takes_one_choice_or_toggles_one_of_several():
    assert tap(SINGLE, [0], 2) == [2]
    assert tap(MULTIPLE, [], 1) == [1]
    assert tap(MULTIPLE, [1], 0) == [1, 0]  # the order of the taps is kept
    assert tap(MULTIPLE, [1, 0], 1) == [0]
    assert tap(MULTIPLE, [0], 0) == []  # nothing left: the ballot is withdrawn


def test_codes_are_easy_to_read_aloud():
    assert not set("0O1I") & set(CODE_ALPHABET)
    codes = {new_code() for _ in range(300)}
    for code in codes:
        assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)
        assert looks_like_code(code) and looks_like_code(code.lower())
    assert normalize_code(" ав3 к7м ") == "AB3K7M"  # Cyrillic look-alikes, spaces
    assert normalize_code("k7m-4qx") == "K7M4QX"
    assert not looks_like_code("THANKS")  # a word is never a code: codes mix in digits
    assert not looks_like_code("123456")
    assert not looks_like_code("AB3K7")
    assert not looks_like_code("Сайн байна уу")


# --- the trainer's flow ---------------------------------------------------------------------


async def test_trainer_opens_a_vote_and_gets_code_link_qr_and_results(app):
    app.services.bot_username = "khoroo_test_bot"
    chat = await trainer(app)
    vote, replies = await open_vote(chat)
    assert (vote.kind, vote.named, vote.live, vote.state) == ("single", False, True, "open")
    assert vote.options == ["Ногоон хороо", "Цахим хороо", "Эрүүл хороо"]
    # The preview became the results message, and the worker knows which one to edit.
    edit = sent(replies, EditText)[0]
    assert (vote.results_chat_id, vote.results_message_id) == (TRAINER, edit.message_id)
    assert f"Код: {vote.code}" in plain(edit.text)
    assert "Санал өгсөн: 0" in plain(edit.text)
    assert chat.last().labels()[:2] == ["🔒 Хаах", "🔄 Шинэчлэх"]
    photo = sent(replies, SendPhoto)[0]
    assert isinstance(photo.photo, bytes) and photo.photo.startswith(PNG)
    caption = plain(photo.caption)
    assert f"https://t.me/khoroo_test_bot?start=vote_{vote.code}" in caption
    assert f"http://127.0.0.1:8081/votes/{vote.code}?key={vote.secret}" in caption


async def test_options_are_checked_one_by_one(app):
    app.dispatcher.flood.limit = 1000  # one trainer types fast here; flood control is not tested
    chat = await trainer(app)
    await chat.send("/newvote")
    await chat.send("Ok")  # too short a question
    assert "хамгийн багадаа 3 тэмдэгт" in plain(chat.screens[max(chat.screens) - 1].text)
    await chat.send("Сургалт ямар байв?")
    await chat.send("Сайн")
    await chat.press("Болсон")  # one option is not enough
    assert any("Дор хаяж 2" in plain(s.text) for s in chat.screens.values())
    await chat.send("сайн")  # the same option again, in another case
    assert any("аль хэдийн нэмэгдсэн" in plain(s.text) for s in chat.screens.values())
    await chat.send("Дунд")
    await chat.send("Муу")
    await chat.press("Сүүлийнхийг хасах")
    assert "1. Сайн\n2. Дунд" in plain(chat.last().text)
    assert "Муу" not in plain(chat.last().text)
    await chat.send("x" * 101)
    assert any("100 тэмдэгтээс" in plain(s.text) for s in chat.screens.values())
    for number in range(11):
        await chat.send(f"Хувилбар {number}")
    assert any("Хамгийн ихдээ 12" in plain(s.text) for s in chat.screens.values())
    await chat.press("Болсон")
    assert "хэлбэрийг сонгоно уу" in plain(chat.last().text)


async def test_only_trainers_and_admins_open_votes(app):
    officer = await participant(app, 20)
    await officer.send("/newvote")
    assert "зөвхөн сургагч багш" in plain(officer.last().text)
    admin = Chat(app, ADMIN_ID)
    await register(admin)
    await admin.send("/newvote")
    assert "Асуултаа бичнэ үү" in plain(admin.last().text)
    granted = await participant(app, 21)
    async with app.database.transaction() as session:
        session.add(RoleGrant(user_id=21, role="trainer", granted_by=ADMIN_ID))
    await granted.send("/newvote")
    assert "Асуултаа бичнэ үү" in plain(granted.last().text)


async def test_forged_management_presses_are_refused(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    officer = await participant(app, 20)
    for action in ("c", "e", "g", "q", "o", "r"):
        replies = await officer.press_data(f"va:{vote.id}:{action}")
        assert [type(r) for r in replies] == [AnswerButton]
        assert "зөвхөн сургагч багш" in (replies[0].text or "")
    other = await trainer(app, 11)
    replies = await other.press_data(f"va:{vote.id}:c")
    assert "үүсгэсэн сургагч багш" in (sent(replies, AnswerButton)[0].text or "")
    assert (await stored(app, vote.id)).state == "open"
    # The role is checked at every press: a trainer who lost the role is refused too.
    async with app.database.transaction() as session:
        from storage.users import Users

        assert await Users(session).revoke(TRAINER, "trainer", None)
    replies = await owner.press_data(f"va:{vote.id}:c", vote.results_message_id)
    assert "зөвхөн сургагч багш" in (sent(replies, AnswerButton)[0].text or "")
    assert (await stored(app, vote.id)).state == "open"
    admin = Chat(app, ADMIN_ID)
    await register(admin)
    await admin.press_data(f"va:{vote.id}:c", 1)
    assert (await stored(app, vote.id)).state == "closed"
    await officer.press_data("va:999999:c")
    assert "хуучирсан" in officer.notices[-1]


# --- joining and voting -------------------------------------------------------------------


async def test_join_by_link_code_command_menu_and_typed_code(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    chat = await participant(app, 20)
    await chat.send(f"/start vote_{vote.code}")
    assert "Аль туршлагыг нутагшуулах вэ?" in plain(chat.last().text)
    assert chat.last().labels()[:3] == ["1. Ногоон хороо", "2. Цахим хороо", "3. Эрүүл хороо"]
    await chat.send(f"/vote {vote.code.lower()}")
    assert "Нэг хариулт сонгоно уу" in plain(chat.last().text)
    await chat.send(vote.code)  # typed with no flow active
    assert "Нэг хариулт сонгоно уу" in plain(chat.last().text)
    await chat.send("/menu")
    await chat.press("Санал өгөх")
    assert "6 тэмдэгттэй кодыг" in plain(chat.last().text)
    await chat.send("QQ2QQQ")
    assert "«QQ2QQQ» кодтой санал хураалт олдсонгүй" in plain(
        chat.screens[max(chat.screens) - 1].text
    )
    await chat.send(vote.code)
    assert "Нэг хариулт сонгоно уу" in plain(chat.last().text)
    await chat.send("/vote ZZ9ZZZ")
    assert "«ZZ9ZZZ» кодтой санал хураалт олдсонгүй" in plain(chat.last().text)


async def test_newcomers_vote_at_once_and_register_later(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    by_link = Chat(app, 30)
    await by_link.send(f"/start vote_{vote.code}")
    assert "Аль туршлагыг нутагшуулах вэ?" in plain(by_link.last().text)
    assert "бүртгүүлээгүй ч санал өгч болно" in plain(by_link.last().text)
    await by_link.press("Цахим хороо")
    assert "Таны санал бүртгэгдсэн: Цахим хороо" in plain(by_link.last().text)
    by_command = Chat(app, 31)
    await by_command.send(f"/vote {vote.code}")
    await by_command.press("Ногоон хороо")
    # One who pressed Start and is at registration's first step types the code instead.
    by_code = Chat(app, 32)
    await by_code.send("/start")
    await by_code.send(vote.code)
    await by_code.press("Эрүүл хороо")
    assert [o.votes for o in (await tally(app, vote.id)).options] == [1, 1, 1]
    # Anything else still asks them to register, and registration resumes where it was.
    await by_code.send("/search")
    assert "🇲🇳 Монгол" in by_code.last().labels()
    await by_code.press("Монгол")
    await by_code.press("Баянгол")
    await by_code.send("5")
    await by_code.press("Хорооны ажилтан")
    assert "бүртгүүлээгүй" not in plain(by_code.screens[max(by_code.screens)].text)


async def test_plain_text_that_is_no_code_goes_on_to_other_handlers(app):
    chat = await participant(app, 20)
    replies = await chat.send("Сайн байна уу")
    assert not any("кодтой санал хураалт" in t for t in chat.texts(replies))
    replies = await chat.send("AB2CDE")  # looks like a code: the vote flow answers
    assert "«AB2CDE» кодтой санал хураалт олдсонгүй" in chat.texts(replies)[0]


async def test_single_choice_named_vote_and_changing_ones_mind(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner, privacy="Нэртэй")
    chat = await participant(app, 20, "Сараа")
    await chat.send(f"/vote {vote.code}")
    assert "Нэртэй санал хураалт" in plain(chat.last().text)
    replies = await chat.press("Цахим хороо")
    assert sent(replies, AnswerButton)[0].text == "Таны санал бүртгэгдлээ ✅"
    assert "Таны санал бүртгэгдсэн: Цахим хороо" in plain(chat.last().text)
    assert "✅ 2. Цахим хороо" in chat.last().labels()
    await chat.press("Эрүүл хороо")  # changing one's mind replaces the ballot
    assert [b.choices for b in await ballots(app, vote.id)] == [[2]]
    result = await tally(app, vote.id)
    assert (result.ballots, [o.votes for o in result.options]) == (1, [0, 0, 1])


async def test_multiple_choice_anonymous_vote_toggles_choices(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner, kind="Олон сонголт")
    chat = await participant(app, 20)
    await chat.send(f"/vote {vote.code}")
    await chat.press("Ногоон хороо")
    await chat.press("Эрүүл хороо")
    assert {"✅ 1. Ногоон хороо", "✅ 3. Эрүүл хороо"} <= set(chat.last().labels())
    assert [b.choices for b in await ballots(app, vote.id)] == [[0, 2]]
    await chat.press("Ногоон хороо")  # a second tap takes the choice back
    assert [b.choices for b in await ballots(app, vote.id)] == [[2]]
    replies = await chat.press("Эрүүл хороо")
    assert sent(replies, AnswerButton)[0].text == "Сонголтоо цуцаллаа."
    assert await ballots(app, vote.id) == []
    other = await participant(app, 21)
    await other.send(f"/vote {vote.code}")
    await other.press("Ногоон хороо")
    await other.press("Цахим хороо")
    await chat.press("Ногоон хороо")
    result = await tally(app, vote.id)
    assert result.ballots == 2
    assert [(o.votes, round(o.share * 100)) for o in result.options] == [
        (2, 100),
        (1, 50),
        (0, 0),
    ]


async def test_ranked_vote_is_counted_by_borda(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner, kind="Эрэмбэлэх")
    orders = {20: ["Цахим", "Ногоон", "Эрүүл"], 21: ["Цахим", "Эрүүл"], 22: ["Ногоон", "Цахим"]}
    chats = {}
    for user_id, order in orders.items():
        chat = chats[user_id] = await participant(app, user_id)
        await chat.send(f"/vote {vote.code}")
        replies = await chat.press("Батлах") if "✅ Батлах" in chat.last().labels() else None
        assert replies is None  # nothing to confirm before the first tap
        await chat.press("Эрүүл")
        await chat.press("Сүүлийнхийг болих")  # undo the slip
        for name in order:
            await chat.press(name)
        assert "Таны дараалал" in plain(chat.last().text)
        replies = await chat.press("Батлах")
        assert sent(replies, AnswerButton)[0].text == "Таны санал бүртгэгдлээ ✅"
        assert chat.last().labels()[0] == "🔁 Дахин эрэмбэлэх"
    result = await tally(app, vote.id)
    # Points: first place 2, second 1, third 0; unranked 0.
    by_index = {o.index: o for o in result.options}
    assert [by_index[i].points for i in range(3)] == [2 + 1 + 0, 2 + 2 + 1, 0 + 1 + 0]
    assert by_index[1].average_position == pytest.approx(4 / 3)
    assert [o.index for o in result.ordered()] == [1, 0, 2]
    chat = chats[22]
    await chat.press("Дахин эрэмбэлэх")
    await chat.press("Эрүүл")
    await chat.press("Батлах")
    assert len(await ballots(app, vote.id)) == 3  # replaced, not added


async def test_results_for_participants_only_when_allowed(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner, timing="Хаасны дараа")
    chat = await participant(app, 20)
    await chat.send(f"/vote {vote.code}")
    assert "Дүн харах" not in chat.last().labels()
    replies = await chat.press_data(f"vt:{vote.id}:r")
    assert "хаагдсаны дараа гарна" in (sent(replies, AnswerButton)[0].text or "")
    await owner.press("Хаах")
    replies = await chat.press_data(f"vt:{vote.id}:r")
    assert "Санал өгсөн: 0" in chat.texts(replies)[0]


async def test_closed_and_reopened_votes(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    chat = await participant(app, 20)
    await chat.send(f"/vote {vote.code}")
    ballot = chat.last()
    replies = await owner.press("Хаах")
    assert sent(replies, AnswerButton)[0].text == "Санал хураалт хаагдлаа."
    assert "хаагдсан" in plain(owner.last().text)
    assert owner.last().labels()[:2] == ["🔓 Дахин нээх", "📊 График"]
    replies = await chat.press("Цахим хороо", screen=ballot)
    answer = sent(replies, AnswerButton)[0]
    assert answer.alert and "хаагдсан тул санал өгөх боломжгүй" in (answer.text or "")
    assert await ballots(app, vote.id) == []
    await chat.send(f"/vote {vote.code}")
    assert "Санал хураалт хаагдсан" in plain(chat.last().text)
    assert chat.last().labels() == ["📊 Дүн харах"]
    await owner.press("Дахин нээх")
    await chat.send(vote.code)
    await chat.press("Цахим хороо")
    assert len(await ballots(app, vote.id)) == 1


async def test_outdated_or_forged_participant_presses_are_answered(app):
    chat = await participant(app, 20)
    for data in ("vt:999:c:0", "vt:x", "vt:1:zz"):
        replies = await chat.press_data(data)
        assert [type(r) for r in replies][-1:] == [AnswerButton] or sent(replies, AnswerButton)
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    await chat.press_data(f"vt:{vote.id}:c:99")  # no such option
    await chat.press_data(f"vt:{vote.id}:k:0")  # a ranking tap on a single-choice vote
    assert await ballots(app, vote.id) == []


# --- export, chart, auto-close, polls ---------------------------------------------------


async def test_export_csv_names_voters_only_when_named(app):
    owner = await trainer(app)
    named, _ = await open_vote(owner, privacy="Нэртэй", kind="Эрэмбэлэх")
    chat = await participant(app, 20, "Сараа")
    await chat.send(f"/vote {named.code}")
    await chat.press("Эрүүл")
    await chat.press("Ногоон")
    await chat.press("Батлах")
    replies = await owner.press_data(f"va:{named.id}:e", named.results_message_id)
    document = sent(replies, SendDocument)[0]
    assert document.filename == f"vote-{named.code}.csv"
    assert document.document.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(document.document.decode("utf-8-sig"))))
    assert rows[0] == ["Огноо, цаг", "Оролцогч", "Дүүрэг", "Хороо", "Сонголт", "Хаанаас"]
    assert rows[1][1:] == ["Сараа", "Баянгол", "5", "1) Эрүүл хороо; 2) Ногоон хороо", "бот"]
    assert "1 санал" in plain(document.caption)

    anonymous, _ = await open_vote(owner)
    await chat.send(f"/vote {anonymous.code}")
    await chat.press("Цахим хороо")
    replies = await owner.press_data(f"va:{anonymous.id}:e", anonymous.results_message_id)
    text = sent(replies, SendDocument)[0].document.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Огноо, цаг", "Сонголт", "Хаанаас"]
    assert rows[1][1:] == ["Цахим хороо", "бот"]
    assert "Сараа" not in text and "20" not in rows[1]


async def test_chart_is_a_png_after_closing(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner, question="Сургалт хэр үр өгөөжтэй байв?")
    replies = await owner.press("График") if "📊 График" in owner.last().labels() else []
    assert replies == []
    replies = await owner.press_data(f"va:{vote.id}:g", vote.results_message_id)
    assert "хаагдсаны дараа" in (sent(replies, AnswerButton)[0].text or "")
    chat = await participant(app, 20)
    await chat.send(f"/vote {vote.code}")
    await chat.press("Ногоон хороо")
    await owner.press("Хаах")
    replies = await owner.press("График")
    photo = sent(replies, SendPhoto)[0]
    assert isinstance(photo.photo, bytes) and photo.photo.startswith(PNG)
    assert len(photo.photo) > 5000
    assert "Сургалт хэр үр өгөөжтэй байв?" in plain(photo.caption)


async def test_qr_and_poll_instructions_on_request(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    replies = await owner.press("QR код")
    assert sent(replies, SendPhoto)[0].photo.startswith(PNG)
    replies = await owner.press("Бүлэгт нийтлэх")
    assert f"/pollhere {vote.code}" in owner.texts(replies)[0]


async def test_auto_close_by_the_worker_and_lazily(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner, autoclose="5 мин")
    assert vote.closes_at is not None
    assert timedelta(minutes=4) < vote.closes_at - utcnow() <= timedelta(minutes=5)
    assert "автоматаар хаагдана" in plain(owner.last().text)
    worker = live(app)
    assert await worker.close_due() == []
    app.services.clock = lambda: utcnow() + timedelta(minutes=6)  # the worker's clock too
    assert await worker.close_due() == [vote.id]
    assert (await stored(app, vote.id)).state == "closed"
    assert vote.id in worker.pending

    app.services.clock = utcnow
    second, _ = await open_vote(owner, autoclose="2 мин")
    chat = await participant(app, 20)
    await chat.send(f"/vote {second.code}")
    app.services.clock = lambda: utcnow() + timedelta(minutes=3)
    replies = await chat.press("Ногоон хороо")
    assert sent(replies, AnswerButton)[0].alert
    assert (await stored(app, second.id)).state == "closed"
    assert await ballots(app, second.id) == []


async def test_typed_autoclose_minutes(app):
    owner = await trainer(app)
    await owner.send("/newvote")
    await owner.send("Асуулт юу вэ?")
    await owner.send("Нэг")
    await owner.send("Хоёр")
    await owner.press("Болсон")
    await owner.press("Нэг сонголт")
    await owner.press("Нэргүй")
    await owner.press("Шууд харуулах")
    await owner.send("999")
    assert any("хамгийн ихдээ 240" in plain(s.text) for s in owner.screens.values())
    await owner.send("7")
    assert "Автоматаар хаах: 7 мин" in plain(owner.last().text)


def group_command(user_id: int, chat_id: int, text: str) -> Incoming:
    incoming = to_incoming(
        {
            "update_id": 10**9 + user_id + abs(chat_id) % 1000,
            "message": {
                "message_id": 5,
                "date": 0,
                "chat": {"id": chat_id, "type": "group", "title": "Сургалт"},
                "from": {"id": user_id, "is_bot": False, "first_name": "Сургагч"},
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": 9}],
            },
        }
    )
    assert incoming is not None
    return incoming


async def test_native_poll_answers_count_in_the_same_tally(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner, kind="Олон сонголт")
    group = -100500
    replies = await app.dispatcher.handle(group_command(TRAINER, group, f"/pollhere {vote.code}"))
    poll = sent(replies, SendPoll)[0]
    assert (poll.question, poll.options) == (vote.question, tuple(vote.options))
    assert (poll.multiple, poll.anonymous, poll.chat_id) == (True, False, None)
    await app.poll_sent(poll, "poll-1", group, 77)
    linked = await stored(app, vote.id)
    assert (linked.poll_id, linked.poll_chat_id, linked.poll_message_id) == ("poll-1", group, 77)

    def answer(user_id: int, options: tuple[int, ...], update_id: int) -> Incoming:
        return Incoming(
            kind=Kind.POLL_ANSWER,
            user_id=user_id,
            chat_id=user_id,
            update_id=update_id,
            poll_id="poll-1",
            option_ids=options,
        )

    await app.dispatcher.handle(answer(501, (0, 2), 9001))  # a user never seen before
    await app.dispatcher.handle(answer(502, (1,), 9002))
    chat = await participant(app, 20)  # a bot voter counts in the same tally
    await chat.send(f"/vote {vote.code}")
    await chat.press("Ногоон хороо")
    result = await tally(app, vote.id)
    assert (result.ballots, [o.votes for o in result.options]) == (3, [2, 1, 1])
    await app.dispatcher.handle(answer(502, (), 9003))  # retracted in the group
    await app.dispatcher.handle(answer(501, (1,), 9004))  # changed in the group
    assert sorted((b.voter_id, b.choices, b.via) for b in await ballots(app, vote.id)) == [
        (20, [0], "bot"),
        (501, [1], "poll"),
    ]
    await app.dispatcher.handle(
        Incoming(kind=Kind.POLL_ANSWER, user_id=503, chat_id=503, poll_id="other", option_ids=(0,))
    )
    assert len(await ballots(app, vote.id)) == 2


async def test_closing_a_vote_stops_its_group_poll_and_a_new_post_replaces_it(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    worker, runtime = live(app), Recorder()
    for group, message_id in ((-100500, 77), (-100600, 88)):
        replies = await app.dispatcher.handle(
            group_command(TRAINER, group, f"/pollhere {vote.code}")
        )
        await app.poll_sent(sent(replies, SendPoll)[0], f"poll{group}", group, message_id)
    # Posting again stopped the first group's poll: its answers could no longer count.
    assert sent(replies, StopPoll) == [StopPoll(77, chat_id=-100500)]
    await worker.flush(runtime)
    assert sent([reply for reply, _ in runtime.sent], StopPoll) == []  # still open
    await owner.press("Хаах")
    await worker.flush(runtime)
    assert sent([reply for reply, _ in runtime.sent], StopPoll) == [StopPoll(88, chat_id=-100600)]
    await owner.press("Дахин нээх")
    await owner.press("Хаах")
    await worker.flush(runtime)  # stopped once only: Telegram refuses to stop it twice
    assert len(sent([reply for reply, _ in runtime.sent], StopPoll)) == 1


async def test_pollhere_refusals(app):
    owner = await trainer(app)
    ranking, _ = await open_vote(owner, kind="Эрэмбэлэх")
    replies = await app.dispatcher.handle(group_command(TRAINER, -7, f"/pollhere {ranking.code}"))
    assert "Эрэмбэлэх санал хураалтыг" in plain(replies[0].text)
    officer = await participant(app, 20)
    single, _ = await open_vote(owner)
    replies = await app.dispatcher.handle(group_command(20, -7, f"/pollhere {single.code}"))
    assert "зөвхөн сургагч багш" in plain(replies[0].text)
    replies = await officer.send(f"/pollhere {single.code}")
    assert "бүлгийн чатад бичнэ үү" in officer.texts(replies)[0]


# --- live results ---------------------------------------------------------------------------


async def test_live_results_merge_a_burst_into_one_edit(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    worker, runtime = live(app), Recorder()
    await worker.flush(runtime)  # nothing shown differs from the message yet
    assert runtime.sent == []
    for user_id in range(20, 25):
        chat = await participant(app, user_id)
        await chat.send(f"/vote {vote.code}")
        await chat.press("Цахим хороо")
    assert worker.pending == {vote.id}
    assert await worker.flush(runtime) == 1
    [(edit, chat_id)] = runtime.sent
    assert isinstance(edit, EditText) and chat_id == TRAINER
    assert edit.message_id == vote.results_message_id
    assert "Санал өгсөн: 5" in plain(edit.text)
    assert "2. Цахим хороо — 5 (100%)" in plain(edit.text)
    assert await worker.flush(runtime) == 0  # nothing new: no edit Telegram would refuse
    # The trainer's own refresh shows the same: the worker does not repeat it.
    await owner.press("Шинэчлэх")
    worker.changed(vote.id)
    assert await worker.flush(runtime) == 0


async def test_a_ballot_reaches_the_live_results_only_once_committed(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    voter = await participant(app, 20)
    worker = live(app)
    await worker.flush(Recorder())
    await voter.send(f"/vote {vote.code}")
    ballot = voter.last()
    record = Callback.record("vt")
    vote_button = app.dispatcher.router.buttons[record]

    async def vote_then_fail(ctx, press):  # the ballot is cast, then the update rolls back
        await vote_button(ctx, press)
        raise RuntimeError("after the ballot")

    app.dispatcher.router.buttons[record] = vote_then_fail
    await voter.press("Цахим хороо", screen=ballot)
    assert await ballots(app, vote.id) == []
    assert worker.pending == frozenset()  # nobody was told of a ballot that does not exist

    app.dispatcher.router.buttons[record] = vote_button
    await voter.press("Цахим хороо", screen=ballot)
    assert [b.choices for b in await ballots(app, vote.id)] == [[1]]
    assert worker.pending == frozenset({vote.id})


async def test_concurrent_ballots_of_one_voter_leave_one_row(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    await participant(app, 20)

    async def cast(choice: int) -> None:
        async with app.database.transaction() as session:
            votes = Votes(session)
            found = await votes.get(vote.id)
            assert found is not None
            await votes.cast(found, 20, [choice])

    await asyncio.gather(*(cast(i % 3) for i in range(10)))
    async with app.database.transaction() as session:
        count = await session.scalar(
            select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote.id)
        )
    assert count == 1


async def test_the_database_enforces_one_ballot_per_voter(app):
    owner = await trainer(app)
    vote, _ = await open_vote(owner)
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        async with app.database.transaction() as session:
            session.add(Ballot(vote_id=vote.id, voter_id=TRAINER, choices=[0]))
            session.add(Ballot(vote_id=vote.id, voter_id=TRAINER, choices=[1]))
            await session.flush()


async def test_rank_approved_practices(app):
    from storage.models import Practice

    async with app.database.transaction() as session:
        for title, status in (
            ("Ногоон байгууламж", "approved"),
            ("Цахим үйлчилгээ", "selected"),
            ("Хог хаягдлын ангилал", "approved"),
            ("Ноорог туршлага", "submitted"),
        ):
            session.add(Practice(title=title, category="other", status=status))
    owner = await trainer(app)
    await owner.send("/newvote")
    await owner.send("Аль туршлагыг нутагшуулах вэ?")
    await owner.press("Туршлагуудыг эрэмбэлэх")
    assert "Ноорог туршлага" not in owner.last().labels()  # only shared practices
    await owner.press("Ногоон байгууламж")
    await owner.press("Цахим үйлчилгээ")
    await owner.press("Хог хаягдлын ангилал")
    await owner.press("Ногоон байгууламж")  # a second tap takes it off the list
    assert "✅ Цахим үйлчилгээ" in owner.last().labels()
    await owner.press("Болсон")
    await owner.press("Эрэмбэлэх")
    for label in ("Нэргүй", "Шууд харуулах", "Гараар хаана", "Эхлүүлэх"):
        await owner.press(label)
    async with app.database.transaction() as session:
        vote = (await session.scalars(select(VoteSession))).one()
    assert sorted(vote.options) == ["Хог хаягдлын ангилал", "Цахим үйлчилгээ"]
    assert vote.kind == "ranking"
