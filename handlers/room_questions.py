"""Questions from the room: participants ask the trainer, the room upvotes, the trainer curates.

A checked-in participant sends a question with a button after check-in; the training says
whether questions carry their author's name (the trainer's choice, anonymous by default).
Everyone in the room upvotes other people's questions with one tap, once each, and may tap
again to take it back. The trainer sees them sorted by upvotes and marks one answered,
pins or hides it; the projector page shows the top ones. Every press is checked on the
server: attendance for participants, ownership for the trainer.
"""

from __future__ import annotations

from typing import Literal

from handlers import validators
from handlers.callbacks import Callback
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import Html, escape, truncate
from handlers.messages import Button, Keyboard, rows
from handlers.permissions import is_admin, is_trainer
from handlers.steps import Answer, Form, FormRun, Prompt, Step
from knowledge.clean import clean_name
from storage.audit import AuditLog
from storage.models import RoomQuestion, Training
from storage.room_questions import Ranked, RoomQuestions
from storage.trainings import CLOSED, Trainings

MIN_TEXT, MAX_TEXT = 3, 300
MAX_PER_PERSON = 10  # questions one participant sends in one training: a room, not a flood
LISTED = 10  # questions on a participant's list, each with its upvote button
MANAGED = 8  # questions on the trainer's list with their three buttons each
SHOWN = 15  # questions the trainer reads (without buttons past MANAGED)
LINE_TEXT = 160  # a question's characters on a list: fifteen of them fit one message


class RoomPress(Callback, prefix="rqp"):
    """A button about a training's questions: ask one, list them, or the trainer's list."""

    training: int
    action: Literal["ask", "list", "manage"]


class UpvotePress(Callback, prefix="rqv"):
    """A participant's one tap that upvotes a question (or takes the upvote back)."""

    question: int


class CuratePress(Callback, prefix="rqc"):
    """The trainer's tap on a question: answered, pinned or hidden (each toggles)."""

    question: int
    action: Literal["answered", "pin", "hide"]


def buttons_for_participant(ctx: Context, training: Training) -> tuple[Button, Button]:
    """Return the participant's two buttons: ask a question, see the room's questions."""
    return (
        ctx.button("room_questions.ask", RoomPress(training.id, "ask")),
        ctx.button("room_questions.list", RoomPress(training.id, "list")),
    )


def author(ctx: Context, ranked: Ranked) -> str:
    """Return how the question is signed: the author's first name if named, else nothing."""
    return ranked.author.first_name if ranked.question.named else ""


# --- the participant's side ----------------------------------------------------------------


async def _attending(ctx: Context, training_id: int) -> Training | None:
    """Return the training if the user checked in to it and it still runs; else say why not."""
    trainings = Trainings(ctx.session)
    training = await trainings.get(training_id)
    if training is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return None
    if await trainings.attendance(training, ctx.user.id) is None:
        ctx.answer(ctx.t("room_questions.attendees_only"), alert=True)
        return None
    return training


async def ask_text(ctx: Context, run: FormRun) -> Prompt:
    """Ask for the question, saying whether it goes with the name."""
    training = await Trainings(ctx.session).get(int(run.get("training", 0)))
    named = training is not None and training.questions_named
    key = "room_questions.ask_named" if named else "room_questions.ask_anonymous"
    return Prompt(ctx.t(key))


async def accept_text(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take a question of a sensible length with letters in it."""
    text = " ".join(clean_name(answer.require_text()).split())
    return validators.letters(validators.length(text, MIN_TEXT, MAX_TEXT))


async def asked(ctx: Context, run: FormRun) -> None:
    """Keep the question, checking again that the user is in the running training."""
    trainings = Trainings(ctx.session)
    training = await trainings.get(int(run.get("training", 0)))
    if training is None or await trainings.attendance(training, ctx.user.id) is None:
        ctx.send(ctx.t("room_questions.attendees_only"))
        return
    if training.state == CLOSED:
        ctx.send(ctx.t("room_questions.closed"))
        return
    questions = RoomQuestions(ctx.session)
    if await questions.count_by(training.id, ctx.user.id) >= MAX_PER_PERSON:
        ctx.send(ctx.t("room_questions.enough", n=MAX_PER_PERSON))
        return
    named = training.questions_named
    await questions.add(training.id, ctx.user.id, str(run.get("text")), named=named)
    key = "room_questions.sent_named" if named else "room_questions.sent_anonymous"
    ctx.send(ctx.t(key), (buttons_for_participant(ctx, training),))


ASK = Form("rqask", "room_questions.ask_flow", [Step("text", ask_text, accept_text)], asked)


async def participant_list(ctx: Context, training: Training) -> tuple[Html, Keyboard]:
    """Return the room's questions as a participant sees them, with upvote buttons."""
    questions = RoomQuestions(ctx.session)
    ranked = await questions.ranked(training.id, limit=LISTED)
    mine = await questions.my_upvotes(training.id, ctx.user.id)
    lines, buttons = [], []
    for number, item in enumerate(ranked, start=1):
        lines.append(line(ctx, number, item))
        if item.question.user_id == ctx.user.id:
            continue  # one's own question takes no upvote from its author
        key = "room_questions.upvoted" if item.question.id in mine else "room_questions.upvote"
        buttons.append(ctx.button(key, UpvotePress(item.question.id), number=number))
    text = ctx.t(
        "room_questions.list_text",
        title=training.title,
        questions=Html("\n".join(lines)) if lines else ctx.t("room_questions.none"),
    )
    keyboard = (
        *rows(buttons, 5),
        (
            ctx.button("room_questions.ask", RoomPress(training.id, "ask")),
            ctx.button("room_questions.refresh", RoomPress(training.id, "list")),
        ),
    )
    return Html(truncate(text)), keyboard


def line(ctx: Context, number: int, item: Ranked) -> str:
    """Render one question: its marks, its text, its upvotes and (if named) its author."""
    question = item.question
    marks = ("📌 " if question.pinned else "") + ("✅ " if question.answered else "")
    marks += "🙈 " if question.hidden else ""
    signed = author(ctx, item)
    by = f" · {escape(signed)}" if signed else ""
    text = question.text
    if len(text) > LINE_TEXT:
        text = text[: LINE_TEXT - 1].rstrip() + "…"
    return f"{number}. {marks}{escape(text)} — 👍 {item.votes}{by}"


async def on_room(ctx: Context, press: RoomPress) -> None:
    """Open the question form, the participant's list, or the trainer's list."""
    if press.action == "manage":
        training = await owned_training(ctx, press.training)
        if training is not None:
            ctx.answer()
            await show_trainer_list(ctx, training)
        return
    training = await _attending(ctx, press.training)
    if training is None:
        return
    if press.action == "ask":
        if training.state == CLOSED:
            ctx.answer(ctx.t("room_questions.closed"), alert=True)
            return
        ctx.answer()
        await ASK.open(ctx, {"training": training.id}, "text", edit=False)
        return
    ctx.answer()
    text, keyboard = await participant_list(ctx, training)
    ctx.show(text, keyboard)


async def on_upvote(ctx: Context, press: UpvotePress) -> None:
    """Upvote another's question with one tap, or take the upvote back."""
    questions = RoomQuestions(ctx.session)
    question = await questions.get(press.question)
    if question is None or question.hidden:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    training = await _attending(ctx, question.training_id)
    if training is None:
        return
    if question.user_id == ctx.user.id:
        ctx.answer(ctx.t("room_questions.own"), alert=True)
        return
    if training.state == CLOSED:
        ctx.answer(ctx.t("room_questions.closed"), alert=True)
        return
    now = await questions.toggle_upvote(question, ctx.user.id)
    ctx.answer(ctx.t("room_questions.upvote_taken" if now else "room_questions.upvote_back"))
    text, keyboard = await participant_list(ctx, training)
    ctx.show(text, keyboard)


# --- the trainer's side --------------------------------------------------------------------


async def owned_training(ctx: Context, training_id: int) -> Training | None:
    """Return the training if the user is a trainer who owns it (or an admin); else say no."""
    # Both training modules check ownership here: a button press proves nothing by itself.
    training = await Trainings(ctx.session).get(training_id)
    if training is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return None
    if not await is_trainer(ctx) or (training.owner_id != ctx.user.id and not await is_admin(ctx)):
        ctx.answer(ctx.t("trainings.not_yours"), alert=True)
        return None
    return training


async def show_trainer_list(ctx: Context, training: Training, *, edit: bool = False) -> None:
    """Show every question, most upvoted first, with answered, pin and hide buttons."""
    ranked = await RoomQuestions(ctx.session).all(training.id)
    lines = [line(ctx, number, item) for number, item in enumerate(ranked[:SHOWN], start=1)]
    keyboard: list[tuple[Button, ...]] = []
    for number, item in enumerate(ranked[:MANAGED], start=1):
        question = item.question
        keyboard.append(
            (
                ctx.button(
                    "room_questions.unanswer" if question.answered else "room_questions.answer",
                    CuratePress(question.id, "answered"),
                    number=number,
                ),
                ctx.button(
                    "room_questions.unpin" if question.pinned else "room_questions.pin",
                    CuratePress(question.id, "pin"),
                    number=number,
                ),
                ctx.button(
                    "room_questions.unhide" if question.hidden else "room_questions.hide",
                    CuratePress(question.id, "hide"),
                    number=number,
                ),
            )
        )
    keyboard.append((ctx.button("room_questions.refresh", RoomPress(training.id, "manage")),))
    text = ctx.t(
        "room_questions.trainer_text",
        title=training.title,
        n=len(ranked),
        privacy=ctx.t(
            "room_questions.privacy_named"
            if training.questions_named
            else "room_questions.privacy_anonymous"
        ),
        questions=Html("\n".join(lines)) if lines else ctx.t("room_questions.none"),
    )
    text = Html(truncate(text))  # fifteen long questions and long names stay within a message
    if edit:
        ctx.show(text, tuple(keyboard))
    else:
        ctx.send(text, tuple(keyboard))


async def on_curate(ctx: Context, press: CuratePress) -> None:
    """Toggle a question's answered, pinned or hidden mark."""
    question = await RoomQuestions(ctx.session).get(press.question)
    if question is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    training = await owned_training(ctx, question.training_id)
    if training is None:
        return
    toggle(question, press.action)
    if press.action == "hide":
        AuditLog(ctx.session).record(
            ctx.user.id,
            "training.question_hide" if question.hidden else "training.question_unhide",
            f"training:{training.code}",
            question=question.id,
        )
    ctx.answer(ctx.t(f"room_questions.done.{press.action}"))
    await show_trainer_list(ctx, training, edit=True)


def toggle(question: RoomQuestion, action: str) -> None:
    """Flip one of the question's marks."""
    if action == "answered":
        question.answered = not question.answered
    elif action == "pin":
        question.pinned = not question.pinned
    elif action == "hide":
        question.hidden = not question.hidden


def register(router: Router) -> None:
    """Add questions from the room to the router."""
    router.button(RoomPress, on_room)
    router.button(UpvotePress, on_upvote)
    router.button(CuratePress, on_curate)
    router.form(ASK)
    # Anyone checked in asks and upvotes; registering can wait until after the training.
    router.public_flows.update({RoomPress.prefix, UpvotePress.prefix, ASK.name})
