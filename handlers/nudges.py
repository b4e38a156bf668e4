"""Nudges during a training: who has not answered yet, and a one-tap reminder to them.

The count covers the participants checked in to the training (the trainer is not one) and
the training's current vote or open question. The reminder goes through the outbox, so the
sender's pace and Telegram's limits apply however many are reminded; each participant is
reminded at most once per item (a vote's round, a question), whoever taps and however often.
"""

from __future__ import annotations

from typing import Literal

from handlers.callbacks import Callback
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import Html
from handlers.i18n import LANGUAGES
from handlers.messages import Keyboard
from handlers.permissions import is_admin, is_trainer
from storage.announcements import Announcements
from storage.audit import AuditLog
from storage.models import Training, TrainingQuestion, VoteSession
from storage.templates import NUDGE, Templates, question_item, vote_item
from storage.trainings import OPEN as TRAINING_OPEN
from storage.trainings import Trainings
from storage.votes import OPEN, Votes


class NudgePress(Callback, prefix="ndg"):
    """The trainer's tap that reminds those who have not answered a vote or a question."""

    training: int
    kind: Literal["v", "q"]
    item: int


def vote_link(ctx: Context, vote: VoteSession) -> str:
    """Return the deep link that opens the vote's ballot."""
    return f"https://t.me/{ctx.services.bot_username or 'bot'}?start=vote_{vote.code}"


async def vote_status(ctx: Context, training: Training, vote: VoteSession) -> tuple[Html, Keyboard]:
    """Say how many checked-in participants have not voted, with the reminder button."""
    silent, total = await Templates(ctx.session).silent_for_vote(training, vote)
    text = ctx.t("nudges.vote_status", question=vote.question, silent=len(silent), total=total)
    if not silent:
        return text, ()
    press = NudgePress(training.id, "v", vote.id)
    return text, ((ctx.button("nudges.remind", press, n=len(silent)),),)


async def question_status(
    ctx: Context, training: Training, question: TrainingQuestion
) -> tuple[Html, Keyboard]:
    """Say how many checked-in participants have not answered, with the reminder button."""
    silent, total = await Templates(ctx.session).silent_for_question(training, question)
    text = ctx.t("nudges.question_status", question=question.text, silent=len(silent), total=total)
    if not silent:
        return text, ()
    press = NudgePress(training.id, "q", question.id)
    return text, ((ctx.button("nudges.remind", press, n=len(silent)),),)


async def training_status(ctx: Context, training: Training) -> tuple[Html, Keyboard]:
    """Say who has not answered the training's current vote and open question."""
    if training.state != TRAINING_OPEN:
        return ctx.t("nudges.nothing_open"), ()
    parts: list[str] = []
    buttons: Keyboard = ()
    vote = await Trainings(ctx.session).current_vote(training)
    if vote is not None:
        text, rows = await vote_status(ctx, training, vote)
        parts.append(text)
        buttons += rows
    question = await Trainings(ctx.session).open_question(training)
    if question is not None:
        text, rows = await question_status(ctx, training, question)
        parts.append(text)
        buttons += rows
    if not parts:
        return ctx.t("nudges.nothing_open"), ()
    return Html("\n".join(parts)), buttons


async def on_nudge(ctx: Context, press: NudgePress) -> None:
    """Remind the silent participants of the item, each once, through the outbox."""
    training = await Trainings(ctx.session).get(press.training)
    if training is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    if not await is_trainer(ctx) or (training.owner_id != ctx.user.id and not await is_admin(ctx)):
        ctx.answer(ctx.t("nudges.not_yours"), alert=True)
        return
    if training.state != TRAINING_OPEN:
        ctx.answer(ctx.t("nudges.closed"), alert=True)
        return
    templates = Templates(ctx.session)
    catalogue = ctx.services.catalogue
    if press.kind == "v":
        vote = await Votes(ctx.session).get(press.item)
        owner = await Trainings(ctx.session).of_vote(vote.id) if vote is not None else None
        if vote is None or owner is None or owner.id != training.id or vote.state != OPEN:
            ctx.answer(ctx.t("nudges.closed"), alert=True)
            return
        silent, _total = await templates.silent_for_vote(training, vote)
        item = vote_item(vote, await templates.round_number(vote))
        values: dict[str, object] = {
            "title": training.title,
            "question": vote.question,
            "code": vote.code,
            "link": vote_link(ctx, vote),
        }
        key = "nudges.vote_reminder"
    else:
        question = await Trainings(ctx.session).question(press.item)
        if question is None or question.training_id != training.id or question.state != OPEN:
            ctx.answer(ctx.t("nudges.closed"), alert=True)
            return
        silent, _total = await templates.silent_for_question(training, question)
        item = question_item(question)
        values = {"title": training.title, "question": question.text}
        key = "nudges.question_reminder"
    now = ctx.services.clock()
    claimed = await templates.claim(item, silent, now)
    if not claimed:
        ctx.answer(ctx.t("nudges.all_reminded" if silent else "nudges.none_silent"), alert=True)
        return
    await Announcements(ctx.session).to_users(
        NUDGE,
        {language: catalogue.text(language, key, **values) for language in LANGUAGES},
        claimed,
        now,
        author_id=ctx.user.id,
    )
    ctx.after_commit(ctx.services.outbox_ready)
    AuditLog(ctx.session).record(ctx.user.id, "training.nudge", item, n=len(claimed))
    again = len(silent) - len(claimed)
    key = "nudges.sent_some_before" if again else "nudges.sent"
    ctx.answer(ctx.t(key, n=len(claimed), skipped=again), alert=True)


def register(router: Router) -> None:
    """Add the nudge button to the router."""
    router.button(NudgePress, on_nudge)
