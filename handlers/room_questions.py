"""Questions from the room: participants ask the trainer, the room upvotes, the trainer curates.

A checked-in participant sends a question with a button after check-in; the training says
whether questions carry their author's name (the trainer's choice, anonymous by default).
Everyone in the room upvotes other people's questions with one tap, once each, and may take
it back. The trainer sees them sorted by upvotes and marks one answered, pins or hides it;
the projector page shows the top ones. Every press is checked on the server: attendance for
participants, ownership for the trainer.

Each button carries the state it asks for (upvote or withdraw, pin or unpin, ...), never a
flip: a second quick tap, or a tap on an older message, then changes nothing. Questions keep
the number they were asked with (#1, #2, ...) on every list and button, so a re-sorted list
does not move a number to another question under the finger.
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
from storage.models import Training
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
    """A participant's tap that upvotes a question (up) or takes the upvote back."""

    question: int
    # None on buttons sent before the state was carried: they meant "flip", now unknowable.
    up: bool | None = None


Mark = Literal["answered", "pin", "hide"]
# The question's field each mark sets.
MARKS: dict[str, str] = {"answered": "answered", "pin": "pinned", "hide": "hidden"}
# The word of the toast after a mark is set (True) or cleared (False).
OUTCOMES: dict[str, dict[bool, str]] = {
    "answered": {True: "answered", False: "unanswered"},
    "pin": {True: "pinned", False: "unpinned"},
    "hide": {True: "hidden", False: "shown"},
}


class CuratePress(Callback, prefix="rqc"):
    """The trainer's tap that sets a question's answered, pinned or hidden mark to `on`."""

    question: int
    action: Mark
    on: bool | None = None  # None: a button from before the state was carried


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
    # What the prompt promises is kept: once told "without your name", it stays so.
    named = training is not None and training.questions_named and run.get("named", True)
    run.values["named"] = bool(named)
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
    # Named only if the prompt said so and the training still says so (a draft from before
    # the promise was kept counts as told "anonymous").
    promised = run.get("named") is True
    named = promised and training.questions_named
    await questions.add(training.id, ctx.user.id, str(run.get("text")), named=named)
    if named:
        key = "room_questions.sent_named"
    elif training.questions_named:
        key = "room_questions.sent_anonymous_as_told"  # the trainer switched meanwhile
    else:
        key = "room_questions.sent_anonymous"
    ctx.send(ctx.t(key), (buttons_for_participant(ctx, training),))


ASK = Form("rqask", "room_questions.ask_flow", [Step("text", ask_text, accept_text)], asked)


async def participant_list(ctx: Context, training: Training) -> tuple[Html, Keyboard]:
    """Return the room's questions as a participant sees them, with upvote buttons."""
    questions = RoomQuestions(ctx.session)
    ranked = await questions.ranked(training.id, limit=LISTED)
    mine = await questions.my_upvotes(training.id, ctx.user.id)
    lines, buttons = [], []
    for item in ranked:
        lines.append(line(ctx, item))
        if item.question.user_id == ctx.user.id:
            continue  # one's own question takes no upvote from its author
        upvoted = item.question.id in mine
        key = "room_questions.upvoted" if upvoted else "room_questions.upvote"
        press = UpvotePress(item.question.id, up=not upvoted)
        buttons.append(ctx.button(key, press, number=item.number))
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


def line(ctx: Context, item: Ranked) -> str:
    """Render one question: its marks, its text, its upvotes and (if named) its author."""
    question = item.question
    marks = ("📌 " if question.pinned else "") + ("✅ " if question.answered else "")
    marks += "🙈 " if question.hidden else ""
    signed = author(ctx, item)
    by = f" · {escape(signed)}" if signed else ""
    text = question.text
    if len(text) > LINE_TEXT:
        text = text[: LINE_TEXT - 1].rstrip() + "…"
    return f"#{item.number} {marks}{escape(text)} — 👍 {item.votes}{by}"


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
    """Upvote another's question, or take the upvote back, as the button says."""
    questions = RoomQuestions(ctx.session)
    question = await questions.get(press.question)
    if question is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    training = await _attending(ctx, question.training_id)
    if training is None:
        return
    if question.hidden:
        ctx.answer(ctx.t("room_questions.hidden_now"), alert=True)
        await show_participant_list(ctx, training)
        return
    if question.user_id == ctx.user.id:
        ctx.answer(ctx.t("room_questions.own"), alert=True)
        return
    if training.state == CLOSED:
        ctx.answer(ctx.t("room_questions.closed"), alert=True)
        return
    if press.up is None:
        # An old flip button: which way the user meant depends on what they saw then.
        ctx.answer(ctx.t("room_questions.list_again"))
        await show_participant_list(ctx, training)
        return
    if press.up:
        changed = await questions.upvote(question, ctx.user.id)
        key = "room_questions.upvote_taken" if changed else "room_questions.upvoted_already"
    else:
        changed = await questions.withdraw(question, ctx.user.id)
        key = "room_questions.upvote_back" if changed else "room_questions.withdrawn_already"
    ctx.answer(ctx.t(key, number=await questions.number(question)))
    await show_participant_list(ctx, training)


async def show_participant_list(ctx: Context, training: Training) -> None:
    """Show the room's questions as they are now on the pressed message."""
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
    if not await is_trainer(ctx):  # a revoked trainer is told why, not "someone else's"
        ctx.answer(ctx.t("trainings.trainer_buttons"), alert=True)
        return None
    if training.owner_id != ctx.user.id and not await is_admin(ctx):
        ctx.answer(ctx.t("trainings.not_yours"), alert=True)
        return None
    return training


async def show_trainer_list(ctx: Context, training: Training, *, edit: bool = False) -> None:
    """Show every question, most upvoted first, with answered, pin and hide buttons."""
    ranked = await RoomQuestions(ctx.session).all(training.id)
    lines = [line(ctx, item) for item in ranked[:SHOWN]]
    keyboard: list[tuple[Button, ...]] = []
    for item in ranked[:MANAGED]:
        question, number = item.question, item.number
        keyboard.append(
            (
                ctx.button(
                    "room_questions.unanswer" if question.answered else "room_questions.answer",
                    CuratePress(question.id, "answered", not question.answered),
                    number=number,
                ),
                ctx.button(
                    "room_questions.unpin" if question.pinned else "room_questions.pin",
                    CuratePress(question.id, "pin", not question.pinned),
                    number=number,
                ),
                ctx.button(
                    "room_questions.unhide" if question.hidden else "room_questions.hide",
                    CuratePress(question.id, "hide", not question.hidden),
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
    """Set a question's answered, pinned or hidden mark as the button says."""
    questions = RoomQuestions(ctx.session)
    question = await questions.get(press.question)
    if question is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    training = await owned_training(ctx, question.training_id)
    if training is None:
        return
    if press.on is None:
        # An old flip button: which way the trainer meant depends on what they saw then.
        ctx.answer(ctx.t("room_questions.list_again"))
        await show_trainer_list(ctx, training, edit=True)
        return
    number = await questions.number(question)
    outcome = OUTCOMES[press.action][press.on]
    if getattr(question, MARKS[press.action]) == press.on:
        ctx.answer(ctx.t(f"room_questions.already.{outcome}", number=number))
    else:
        setattr(question, MARKS[press.action], press.on)
        if press.action == "hide":
            AuditLog(ctx.session).record(
                ctx.user.id,
                "training.question_hide" if press.on else "training.question_unhide",
                f"training:{training.code}",
                question=question.id,
            )
        ctx.answer(ctx.t(f"room_questions.done.{outcome}", number=number))
    await show_trainer_list(ctx, training, edit=True)


def register(router: Router) -> None:
    """Add questions from the room to the router."""
    router.button(RoomPress, on_room)
    router.button(UpvotePress, on_upvote)
    router.button(CuratePress, on_curate)
    router.form(ASK)
    # Anyone checked in asks and upvotes; registering can wait until after the training.
    router.public_flows.update({RoomPress.prefix, UpvotePress.prefix, ASK.name})
