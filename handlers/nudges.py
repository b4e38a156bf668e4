"""Nudges during a training: who has not answered yet, and a one-tap reminder to them.

The count covers the participants checked in to the training (the trainer is not one) and
the training's current vote or open question. The reminder goes through the outbox, so the
sender's pace and Telegram's limits apply however many are reminded; each participant is
reminded at most once per item (a vote's round, a question), whoever taps and however often,
and the button counts only those not reminded yet. A vote's reminder carries the button that
opens its ballot.
"""

from __future__ import annotations

from typing import Any, Literal

from handlers.attendees import ballot_button
from handlers.callbacks import Callback
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import Html
from handlers.i18n import LANGUAGES
from handlers.messages import Keyboard, keyboard_to_json
from handlers.permissions import is_admin, is_trainer
from storage.announcements import Announcements
from storage.audit import AuditLog
from storage.models import Training, TrainingQuestion, VoteSession
from storage.templates import NUDGE, Templates, question_item, vote_item
from storage.trainings import OPEN as TRAINING_OPEN
from storage.trainings import Trainings
from storage.votes import OPEN, Votes

Kind = Literal["vote", "question"]


class NudgePress(Callback, prefix="ndg"):
    """The trainer's tap that reminds those who have not answered a vote or a question."""

    training: int
    kind: Literal["v", "q"]
    item: int


async def _status(
    ctx: Context,
    kind: Kind,
    press: NudgePress,
    item: str,
    counts: tuple[list[int], int],
    values: dict[str, object],
) -> tuple[Html, Keyboard]:
    """Say who has not answered, and offer to remind those not reminded yet."""
    silent, total = counts
    if total == 0:
        return ctx.t(f"nudges.{kind}_nobody", **values), ()
    if not silent:
        return ctx.t(f"nudges.{kind}_all_in", total=total, **values), ()
    fresh = await Templates(ctx.session).not_reminded(item, silent)
    reminded = len(silent) - len(fresh)
    note: Html = Html("")
    if reminded:
        note = ctx.t("nudges.reminded_some" if fresh else "nudges.reminded_all", n=reminded)
    text = ctx.t(f"nudges.{kind}_status", silent=len(silent), total=total, reminded=note, **values)
    if not fresh:
        return text, ()
    return text, ((ctx.button(f"nudges.remind_{kind}", press, n=len(fresh)),),)


async def vote_status(ctx: Context, training: Training, vote: VoteSession) -> tuple[Html, Keyboard]:
    """Say how many checked-in participants have not voted, with the reminder button."""
    templates = Templates(ctx.session)
    counts = await templates.silent_for_vote(training, vote)
    item = vote_item(vote, await templates.round_number(vote))
    press = NudgePress(training.id, "v", vote.id)
    values: dict[str, object] = {"question": vote.question, "code": vote.code}
    return await _status(ctx, "vote", press, item, counts, values)


async def question_status(
    ctx: Context, training: Training, question: TrainingQuestion
) -> tuple[Html, Keyboard]:
    """Say how many checked-in participants have not answered, with the reminder button."""
    counts = await Templates(ctx.session).silent_for_question(training, question)
    press = NudgePress(training.id, "q", question.id)
    values: dict[str, object] = {"question": question.text}
    return await _status(ctx, "question", press, question_item(question), counts, values)


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


def _ballot_buttons(ctx: Context, vote: VoteSession) -> dict[str, Any]:
    """Return the reminder's "🗳 Vote" button per language: it opens the ballot at one tap."""
    return {
        language: keyboard_to_json(((ballot_button(ctx, vote, language),),))
        for language in LANGUAGES
    }


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
    buttons: dict[str, Any] | None = None
    kind: Kind
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
        }
        kind, buttons = "vote", _ballot_buttons(ctx, vote)
    else:
        question = await Trainings(ctx.session).question(press.item)
        if question is None or question.training_id != training.id or question.state != OPEN:
            ctx.answer(ctx.t("nudges.closed"), alert=True)
            return
        silent, _total = await templates.silent_for_question(training, question)
        item = question_item(question)
        values = {"title": training.title, "question": question.text}
        kind = "question"
    now = ctx.services.clock()
    claimed = await templates.claim(item, silent, now)
    if not claimed:
        key = f"nudges.all_reminded_{kind}" if silent else f"nudges.none_silent_{kind}"
        ctx.answer(ctx.t(key), alert=True)
        return
    await Announcements(ctx.session).to_users(
        NUDGE,
        {
            language: catalogue.text(language, f"nudges.{kind}_reminder", **values)
            for language in LANGUAGES
        },
        claimed,
        now,
        buttons=buttons,
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
