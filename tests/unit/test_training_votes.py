"""Every vote a trainer opens during their training is the training's: hidden, offered."""

from __future__ import annotations

from handlers.attendees import TrainingVotePress
from handlers.trainer_tools import VoteToolsPress
from storage.models import VoteSession
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
