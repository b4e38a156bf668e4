"""Quick votes end to end through the real aiogram and python-telegram-bot stacks."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from storage.models import Ballot, RoleGrant, User, VoteSession, utcnow
from storage.votes import Votes
from tests.fake_telegram import FakeTelegram, Upload
from tests.runtime.harness import LiveBot, live_bot

TRAINER = 7001
GROUP = -1001234567
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Edit the results message right after each burst, and look for votes to close often:
    the tests wait on the edits."""
    return settings.model_copy(update={"live_results_interval": 0.0, "vote_close_check": 0.05})


async def seed_users(live: LiveBot, user_ids: range | list[int], role: str | None = None) -> None:
    """Register users directly (registration has its own tests); a role is granted."""
    async with live.app.database.transaction() as session:
        for user_id in user_ids:
            session.add(
                User(
                    id=user_id,
                    first_name=f"User{user_id}",
                    language="mn",
                    khoroo_number=1,
                    position="officer",
                    registered=True,
                )
            )
        await session.flush()  # the users first: grants refer to them
        if role is not None:
            session.add_all(RoleGrant(user_id=user_id, role=role) for user_id in user_ids)


async def open_vote(
    live: LiveBot,
    options: tuple[str, ...] = ("Ногоон хороо", "Цахим хороо", "Эрүүл хороо"),
    *,
    kind: str = "Нэг сонголт",
    privacy: str = "Нэртэй",
    autoclose: str = "Гараар хаана",
    timing: str = "Шууд харуулах",
) -> VoteSession:
    await seed_users(live, [TRAINER], role="trainer")
    await live.say(TRAINER, "/newvote")
    await live.say(TRAINER, "Аль туршлагыг нутагшуулах вэ?")
    for option in options:
        await live.say(TRAINER, option)
    for label in ("Болсон", kind, privacy, timing, autoclose, "Эхлүүлэх"):
        await live.press(TRAINER, label)
    async with live.app.database.transaction() as session:
        vote = (await session.scalars(select(VoteSession))).one()
    return vote


def results_message(live: LiveBot, vote: VoteSession):
    message = live.fake.message(TRAINER, int(vote.results_message_id or 0))
    assert message is not None
    return message


async def wait_for_results(live: LiveBot, vote: VoteSession, text: str) -> None:
    await live.fake.wait_for(lambda: text in results_message(live, vote)["text"], timeout=10)


async def test_trainer_opens_a_vote_and_participants_join_and_vote(live: LiveBot):
    fake = live.fake
    vote = await open_vote(live)
    photo = fake.calls("sendPhoto")[-1]
    upload = photo.params["photo"]
    assert isinstance(upload, Upload) and upload.data.startswith(PNG)
    assert f"https://t.me/khoroo_test_bot?start=vote_{vote.code}" in photo.params["caption"]
    assert f"Код: {vote.code}" in results_message(live, vote)["text"]

    await seed_users(live, [8001, 8002, 8003])
    replies = await live.say(8001, f"/start vote_{vote.code}")  # the deep link
    assert "Аль туршлагыг нутагшуулах вэ?" in replies[-1].text
    await live.press(8001, "Цахим хороо")
    assert "Таны санал бүртгэгдсэн: Цахим хороо" in live.last_text(8001)
    await live.say(8002, vote.code.lower())  # typed as plain text
    await live.press(8002, "Ногоон хороо")
    await live.say(8003, f"/vote {vote.code}")
    await live.press(8003, "Цахим хороо")
    await live.press(8003, "Эрүүл хороо")  # changed mind: the ballot is replaced
    await wait_for_results(live, vote, "3. Эрүүл хороо — 1 (33%)")
    text = results_message(live, vote)["text"]
    assert "Санал өгсөн: 3" in text and "1. Ногоон хороо — 1 (33%)" in text
    answers = fake.calls("answerCallbackQuery")
    assert len(answers) == 10 and all(call.ok for call in answers)  # 6 trainer's, 4 voters'

    # Export and chart arrive as a document and a photo.
    await live.press(TRAINER, "CSV файл")
    document = (await fake.wait_for_calls("sendDocument"))[-1].params["document"]
    assert isinstance(document, Upload) and document.filename == f"vote-{vote.code}.csv"
    rows = list(csv.reader(io.StringIO(document.data.decode("utf-8-sig"))))
    assert len(rows) == 4 and {row[1] for row in rows[1:]} == {"User8001", "User8002", "User8003"}
    await live.press(TRAINER, "Хаах")
    await wait_for_results(live, vote, "хаагдсан")
    photos = len(fake.calls("sendPhoto"))
    await live.press(TRAINER, "График")
    chart = (await fake.wait_for_calls("sendPhoto", photos + 1))[-1].params["photo"]
    assert isinstance(chart, Upload) and chart.data.startswith(PNG)
    await live.press(8001, "Ногоон хороо")  # too late
    assert "хаагдсан" in fake.calls("answerCallbackQuery")[-1].params.get("text", "")


async def test_ranked_vote(live: LiveBot):
    vote = await open_vote(live, kind="Эрэмбэлэх", privacy="Нэргүй")
    await seed_users(live, [8001, 8002])
    for user_id, order in ((8001, ("Эрүүл", "Цахим")), (8002, ("Эрүүл", "Ногоон", "Цахим"))):
        await live.say(user_id, vote.code)
        await live.press(user_id, "Ногоон")
        await live.press(user_id, "Сүүлийнхийг болих")
        for name in order:
            await live.press(user_id, name)
        await live.press(user_id, "Батлах")
    await wait_for_results(live, vote, "Санал өгсөн: 2")
    await wait_for_results(live, vote, "3. Цахим хороо — 1 оноо, дундаж байр 2.5")
    text = results_message(live, vote)["text"]
    assert "1. Эрүүл хороо — 4 оноо, дундаж байр 1.0" in text
    assert "2. Ногоон хороо — 1 оноо, дундаж байр 2.0" in text


async def test_anonymous_multiple_choice_vote_closes_by_itself(live: LiveBot):
    fake = live.fake
    vote = await open_vote(live, kind="Олон сонголт", privacy="Нэргүй", autoclose="2 мин")
    await seed_users(live, [8001, 8002])
    for user_id, taps in ((8001, ("Ногоон", "Эрүүл", "Ногоон")), (8002, ("Ногоон", "Цахим"))):
        await live.say(user_id, vote.code)
        for name in taps:  # a second tap on an option takes it back
            await live.press(user_id, name)
    assert "Таны санал бүртгэгдсэн: Эрүүл хороо" in live.last_text(8001)
    await wait_for_results(live, vote, "Санал өгсөн: 2")
    await live.press(TRAINER, "CSV файл")
    document = (await fake.wait_for_calls("sendDocument"))[-1].params["document"]
    rows = list(csv.reader(io.StringIO(document.data.decode("utf-8-sig"))))
    assert [len(row) for row in rows] == [3, 3, 3]  # time, choice, via: no names
    assert sorted(row[1] for row in rows[1:]) == ["Ногоон хороо; Цахим хороо", "Эрүүл хороо"]
    later = utcnow() + timedelta(minutes=3)
    live.app.services.clock = lambda: later  # two minutes on: the worker closes it
    await wait_for_results(live, vote, "хаагдсан")
    await live.press(8002, "Ногоон")  # too late
    assert "хаагдсан" in fake.calls("answerCallbackQuery")[-1].params.get("text", "")
    async with live.app.database.transaction() as session:
        choices = sorted((await session.scalars(select(Ballot.choices))).all())
    assert choices == [[0, 1], [2]]


async def test_native_poll_answers_are_counted(live: LiveBot):
    fake = live.fake
    vote = await open_vote(live, kind="Олон сонголт")
    await live.push(fake.user_sends(TRAINER, f"/pollhere {vote.code}", chat_id=GROUP))
    [poll] = [m for m in fake.sent_messages(GROUP) if m.kind == "poll"]
    assert poll.poll is not None and not poll.poll["is_anonymous"]
    assert poll.poll["allows_multiple_answers"]
    assert "hide_results_until_closes" not in fake.calls("sendPoll")[-1].params  # live results
    await live.push(fake.user_answers_poll(9001, poll, [0, 2]))
    await live.push(fake.user_answers_poll(9002, poll, [1]))
    await live.push(fake.user_answers_poll(9002, poll, []))  # retracted
    await wait_for_results(live, vote, "Санал өгсөн: 1")
    async with live.app.database.transaction() as session:
        ballots = (await session.scalars(select(Ballot))).all()
    assert [(b.voter_id, b.choices, b.via) for b in ballots] == [(9001, [0, 2], "poll")]
    await live.press(TRAINER, "Хаах")  # the group sees the poll closed too
    await fake.wait_for(lambda: fake.sent_messages(GROUP)[-1].poll["is_closed"], timeout=10)
    assert [call.ok for call in fake.calls("stopPoll")] == [True]


async def test_a_vote_with_results_after_closing_keeps_the_groups_poll_hidden(live: LiveBot):
    fake = live.fake
    vote = await open_vote(live, timing="Хаасны дараа")
    await live.push(fake.user_sends(TRAINER, f"/pollhere {vote.code}", chat_id=GROUP))
    [call] = fake.calls("sendPoll")
    assert call.ok and call.params["hide_results_until_closes"] in (True, "true")


async def test_five_hundred_participants_vote_through_aiogram(
    settings: Settings, fake: FakeTelegram
):
    """Every ballot counted once, every press answered, the tally equals the database."""
    # Results edited at most twice a second, as in a room: the burst is merged.
    settings = settings.model_copy(update={"live_results_interval": 0.5})
    async with live_bot("aiogram", settings, fake) as live:
        vote = await open_vote(live)
        voters = range(100_001, 100_501)
        await seed_users(live, voters)
        joins = [fake.user_sends(user_id, f"/start vote_{vote.code}") for user_id in voters]
        await live.settle_all(joins)
        presses = []
        for user_id in voters:
            ballot = fake.last_message(user_id)
            assert ballot is not None
            index = user_id % 3
            presses.append(
                fake.user_presses(user_id, ballot, ballot.buttons[index][0].callback_data)
            )
        await live.settle_all(presses)
        answered = {
            call.params["callback_query_id"]
            for call in fake.calls("answerCallbackQuery")
            if call.ok
        }
        assert {p["callback_query"]["id"] for p in presses} <= answered
        async with live.app.database.transaction() as session:
            count = await session.scalar(select(func.count()).select_from(Ballot))
            stored = await Votes(session).get(vote.id)
            assert stored is not None
            result = await Votes(session).tally(stored)
            rows = (await session.scalars(select(Ballot.choices))).all()
        assert count == 500
        assert [o.votes for o in result.options] == [
            sum(1 for choices in rows if choices == [i]) for i in range(3)
        ]
        assert [o.votes for o in result.options] == [
            sum(1 for u in voters if u % 3 == i) for i in range(3)
        ]
        await wait_for_results(live, vote, "Санал өгсөн: 500")


async def test_csv_export_neutralises_formulas_planted_in_names_and_options(live: LiveBot):
    fake = live.fake
    vote = await open_vote(live, options=("@SUM(1+1)", "+1", "Эрүүл хороо"))
    await seed_users(live, [8001, 8002])
    planted = '=HYPERLINK("http://evil.example","Дарна уу")'
    await live.say(8001, vote.code, first_name=planted)
    await live.press(8001, "@SUM")
    await live.say(8002, vote.code, first_name="-2+3")
    await live.press(8002, "Эрүүл")
    await wait_for_results(live, vote, "Санал өгсөн: 2")
    await live.press(TRAINER, "CSV файл")
    document = (await fake.wait_for_calls("sendDocument"))[-1].params["document"]
    rows = list(csv.reader(io.StringIO(document.data.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert "'" + planted in cells and "'@SUM(1+1)" in cells and "'-2+3" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
