"""Every vote a trainer opens during their training is the training's: hidden, offered."""

from __future__ import annotations

import csv
import io

from handlers.attendees import TrainingVotePress
from handlers.html import plain
from handlers.messages import SendDocument
from handlers.trainer_tools import VoteToolsPress
from handlers.trainings import TrainingPress
from storage.models import Attendance, Training, VoteSession
from tests.support.chat import Chat, register
from tests.support.outbox import delivered
from tests.unit.test_trainings import open_training, participant, rows_of, trainer
from tests.unit.test_votes import open_vote


async def test_newvote_and_a_clone_during_a_training_hide_results_and_reach_the_room(app):
    coach = await trainer(app)
    training = await open_training(coach)
    bold = await participant(app, 21, "Болд")
    await bold.send(training.code)

    vote, replies = await open_vote(coach, timing="Шууд харуулах")  # /newvote, results live
    assert "бүртгүүлсэн 1 оролцогчид илгээж байна" in " ".join(coach.texts(replies))
    assert vote.live is False  # group-think: hidden until the trainer reveals
    [offer] = await delivered(app)
    assert offer.chat_id == 21 and vote.question in offer.text
    assert offer.buttons[0][0].data == f"trv:{vote.id}:ballot"

    await coach.press_data(TrainingVotePress(vote.id, "reveal").pack())
    assert (await rows_of(app, VoteSession))[0].live is True
    replies = await coach.press_data(VoteToolsPress(vote.id, "clone").pack())
    copy = (await rows_of(app, VoteSession))[-1]
    assert copy.id != vote.id and copy.live is False  # the revealed original's copy is hidden
    assert [o.chat_id for o in await delivered(app)] == [21]


async def test_a_training_votes_code_checks_the_voter_in(app):
    coach = await trainer(app)
    training = await open_training(coach)
    vote, _ = await open_vote(coach)
    outsider = await participant(app, 27, "Гаднаас")
    await outsider.send(f"/vote {vote.code}")  # the code on the wall, without checking in
    await outsider.press("Цахим хороо")
    [attendance] = await rows_of(app, Attendance)
    assert (attendance.user_id, attendance.via) == (27, "vote")
    sheet, rows = await attendance_sheet(coach, training)
    assert rows[1][6:] == ["санал хураалтын код", "27"] and "1 хүн" in plain(sheet.caption)


async def test_the_sheet_learns_a_newcomers_khoroo_after_they_register(app):
    coach = await trainer(app)
    training = await open_training(coach)
    newcomer = Chat(app, 23, first_name="Зочин")
    await newcomer.send(f"/start tr_{training.code}")
    await register(newcomer)
    _sheet, rows = await attendance_sheet(coach, training)
    assert rows[1][3:6] == ["Баянгол", "5", "тийм"]


async def attendance_sheet(coach: Chat, training: Training) -> tuple[SendDocument, list[list[str]]]:
    """Press the panel's attendance export; return the file and its rows."""
    replies = await coach.press_data(TrainingPress(training.id, "att").pack())
    [sheet] = [r for r in replies if isinstance(r, SendDocument)]
    assert isinstance(sheet.document, bytes)
    return sheet, list(csv.reader(io.StringIO(sheet.document.decode("utf-8-sig"))))
