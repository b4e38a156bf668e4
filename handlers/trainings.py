"""Trainings: a trainer's session with check-in, open answers and a closing evaluation.

A granted trainer opens a training with ``/training TITLE`` and gets its code, link and QR
code. Participants check in by the link, ``/checkin CODE`` or by typing the code (newcomers
too, as with votes); while the trainer has an open question, what a checked-in participant
types answers it. At the end, only those who checked in may evaluate the training.
Every trainer action checks on the server that the user is a trainer and owns the training.
"""

from __future__ import annotations

import asyncio
import io
import textwrap
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Final, Literal

from handlers import room_questions, validators, vote_admin
from handlers.attendees import TrainingVotePress, take_vote, tell_attendees, vote_offer
from handlers.callbacks import Callback
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import Html, escape, plain
from handlers.i18n import TIMEZONE
from handlers.messages import (
    Button,
    Keyboard,
    Kind,
    SendDocument,
    SendPhoto,
    rows,
)
from handlers.permissions import is_admin, is_trainer
from handlers.room_questions import owned_training
from handlers.steps import Answer, Form, FormRun, Invalid, Prompt, Step
from handlers.trainer_tools import TrainingToolsPress
from handlers.vote_admin import qr_png
from handlers.votes import (
    changed,
    current,
    linked_code,
    looks_like_code,
    results_text,
    show_ballot,
    state_key,
)
from knowledge.clean import clean_name
from knowledge.wordcloud import CloudWord, cloud
from storage import csv_safe
from storage.audit import AuditLog
from storage.models import District, Training
from storage.room_questions import RoomQuestions
from storage.trainings import CLOSED, CODE_LENGTH, EVALUATION, OPEN, RATINGS, Trainings
from storage.votes import CODE_ALPHABET, Votes
from storage.votes import OPEN as VOTE_OPEN

MIN_TITLE, MAX_TITLE = 3, 200
MIN_QUESTION, MAX_QUESTION = 3, 250
MAX_ANSWER = 200  # a word or a sentence
MAX_ANSWERS = 5  # per participant and question: enough for a few ideas, not a flood
ANSWERS_SHOWN = 20  # on the trainer's word-cloud message, each with a hide button
CLOUD_SHOWN = 30
COMMENTS_SHOWN = 20
VOTES_SHOWN = 3  # the newest votes on the panel, each with its count
START_PREFIX: Final = "tr"
EVALUATION_GRACE_HOURS = 48  # an ended training takes evaluations this long
ANSWERING = "answering"  # ctx.data: the open question the participant answered last
_LOOKALIKES = str.maketrans("АВЕЗКМНОРСТУХ", "ABE3KMHOPCTYX")

# The trainer's buttons on the training's panel.
TrainerAction = Literal[
    "panel",
    "ask",
    "cloud",
    "png",
    "stop",
    "att",
    "csv",
    "qr",
    "eval",
    "sum",
    "end",
    "endok",
    "vote",
    "named",
    "anon",
]


class TrainingPress(Callback, prefix="trn"):
    """A trainer's button on a training's panel."""

    training: int
    action: TrainerAction


class HidePress(Callback, prefix="trh"):
    """The trainer's one tap that hides an answer from the cloud (or shows it again).

    It carries what the tap means (hide or show), so a double tap or an older message's
    button does not undo it; presses from before that (no state) toggle. ``start`` is the
    page of answers the button was on, shown again after the tap.
    """

    answer: int
    hide: bool | None = None
    start: int | None = None


class AnswersPress(Callback, prefix="trc"):
    """A page of the answers under the trainer's cloud: every answer can be hidden."""

    training: int
    start: int


class EvaluatePress(Callback, prefix="tre"):
    """A participant's button that opens the evaluation of a training."""

    training: int


# --- codes ---------------------------------------------------------------------------------


def normalize_code(text: str) -> str | None:
    """Return the check-in code a text spells (any case, spaces, Cyrillic look-alikes)."""
    code = "".join(text.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    if not any(c.isdigit() for c in code) or not any(c.isalpha() for c in code):
        return None
    return code


def link(ctx: Context, training: Training) -> str:
    """Return the check-in deep link."""
    return f"https://t.me/{ctx.services.bot_username or 'bot'}?start={START_PREFIX}_{training.code}"


# --- the trainer's side --------------------------------------------------------------------


async def panel_text(ctx: Context, training: Training) -> Html:
    """Describe the training as its trainer sees it."""
    trainings = Trainings(ctx.session)
    question = await trainings.open_question(training)
    asked = (
        ctx.t("trainings.panel_question", question=question.text)
        if question is not None
        else Html("")
    )
    votes = Votes(ctx.session)
    lines = []
    for vote in await trainings.votes(training, VOTES_SHOWN):
        if await current(ctx, vote):  # (first: it closes a vote whose time is up)
            key = "trainings.vote_state." + ("shown" if vote.live else "hidden")
        else:  # closed, or a copy never opened: in the words of the vote's own panel
            key = state_key(vote)
        lines.append(
            ctx.t(
                "trainings.panel_vote",
                question=vote.question,
                n=await votes.count(vote),
                state=ctx.t(key),
            )
        )
    return ctx.t(
        "trainings.panel",
        title=training.title,
        code=training.code,
        state=ctx.t(f"trainings.state.{training.state}"),
        n=await trainings.count_attendees(training),
        question=asked,
        votes=Html("\n" + "\n".join(lines)) if lines else Html(""),
        room=await RoomQuestions(ctx.session).count(training.id),
    )


async def panel_buttons(ctx: Context, training: Training) -> Keyboard:
    """Return the trainer's buttons for the training's state."""

    def button(key: str, action: TrainerAction) -> Button:
        return ctx.button(key, TrainingPress(training.id, action))

    trainings = Trainings(ctx.session)
    buttons: list[Button] = []
    if training.state == OPEN:
        buttons.append(button("trainings.ask", "ask"))
        if await trainings.open_question(training) is not None:
            buttons.append(button("trainings.stop_question", "stop"))
        buttons.append(button("trainings.vote", "vote"))
    for vote in await trainings.votes(training, VOTES_SHOWN):
        if vote.state == VOTE_OPEN and not vote.live:
            press = TrainingVotePress(vote.id, "reveal")
            buttons.append(ctx.button("trainings.reveal", press, question=shorten(vote.question)))
    buttons.append(
        ctx.button("trainings.room_questions", room_questions.RoomPress(training.id, "manage"))
    )
    named = "trainings.questions_named" if training.questions_named else "trainings.questions_anon"
    buttons.append(button(named, "anon" if training.questions_named else "named"))
    if await trainings.latest_question(training) is not None:
        buttons += [button("trainings.cloud", "cloud"), button("trainings.answers_csv", "csv")]
    buttons += [button("trainings.attendance_csv", "att"), button("trainings.qr", "qr")]
    if training.state == OPEN:
        buttons.append(button("trainings.start_evaluation", "eval"))
    buttons.append(button("trainings.summary", "sum"))
    # Its votes, who has not answered, clone (handlers/training_templates.py).
    buttons.append(ctx.button("templates.training_tools", TrainingToolsPress(training.id, "menu")))
    if training.state != CLOSED:
        buttons.append(button("trainings.end", "end"))
    buttons.append(button("trainings.refresh", "panel"))
    return rows(buttons, 2)


def shorten(text: str, limit: int = 24) -> str:
    """Shorten a question for a button at a word's end (a word cut in half misleads)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,.;:") + "…"


async def show_panel(ctx: Context, training: Training, *, edit: bool = True) -> None:
    """Show the training's panel (on the pressed message, or as a new one)."""
    text, buttons = await panel_text(ctx, training), await panel_buttons(ctx, training)
    if edit:
        ctx.show(text, buttons)
    else:
        ctx.send(text, buttons)


def projector_link(ctx: Context, training: Training) -> str:
    """Return the address of the training's projector page (the word cloud, live)."""
    base = ctx.services.projector_url.rstrip("/")
    return f"{base}/trainings/{training.code}?key={training.secret}"


def share(ctx: Context, training: Training) -> SendPhoto:
    """Return the QR code of the check-in link, with the code, the link and the projector's."""
    address = link(ctx, training)
    caption = ctx.t(
        "trainings.share",
        title=training.title,
        code=training.code,
        link=address,
        projector=projector_link(ctx, training),
    )
    return SendPhoto(qr_png(address), caption=caption, filename=f"training-{training.code}.png")


async def training_command(ctx: Context) -> None:
    """/training TITLE opens a training; /training alone lists the trainer's own."""
    if not await is_trainer(ctx):
        ctx.send(ctx.t("trainings.trainers_only"))
        return
    trainings = Trainings(ctx.session)
    typed = " ".join(clean_name(ctx.incoming.args).split())
    if not typed:
        own = list(await trainings.of_owner(ctx.user.id))
        if await is_admin(ctx):  # admins reach every running training (a trainer left)
            own += [t for t in await trainings.running() if t not in own]
        buttons = tuple(
            (Button(_list_label(ctx, t), TrainingPress(t.id, "panel").pack()),) for t in own
        )
        ctx.send(ctx.t("trainings.usage" if not own else "trainings.yours"), buttons)
        return
    try:
        title = validators.letters(validators.length(typed, MIN_TITLE, MAX_TITLE))
    except Invalid:
        # A command, not a form step: say what a title is, with the whole command again.
        ctx.send(ctx.t("trainings.title_rule", minimum=MIN_TITLE, maximum=MAX_TITLE))
        return
    running = await trainings.open_training_of(ctx.user.id)
    training = await trainings.create(ctx.user.id, title)
    AuditLog(ctx.session).record(ctx.user.id, "training.create", f"training:{training.code}")
    ctx.replies.append(share(ctx, training))
    if running is not None:  # two at once mix up the room's answers and votes: say so
        ctx.send(ctx.t("trainings.another_open", title=running.title, code=running.code))
    await show_panel(ctx, training, edit=False)


def _list_label(ctx: Context, training: Training) -> str:
    """Label a training in the trainer's list: its state, code, title and day."""
    state = plain(ctx.t(f"trainings.state.{training.state}")).split(" ", 1)[0]
    day = f"{training.created_at.astimezone(TIMEZONE):%m.%d}"
    return f"{state} {training.code} · {training.title[:36]} · {day}"


async def on_trainer(ctx: Context, press: TrainingPress) -> None:
    """Apply a trainer's button on the panel."""
    training = await owned_training(ctx, press.training)
    if training is None:
        return
    trainings = Trainings(ctx.session)
    action = press.action
    if action == "ask":
        if training.state != OPEN:
            ctx.answer(ctx.t("trainings.not_open"), alert=True)
            return
        ctx.answer()
        await ASK.open(ctx, {"training": training.id}, "text", edit=False)
        return
    if action == "vote":
        if training.state != OPEN:
            ctx.answer(ctx.t("trainings.not_open"), alert=True)
            return
        ctx.answer()
        # Group-think: a training's vote keeps its results hidden until the trainer reveals.
        await VOTE.open(ctx, {"training": training.id, "timing": "reveal"}, "question", edit=False)
        return
    if action in ("named", "anon"):
        # The button says the mode it sets: a double tap does not switch it back.
        training.questions_named = action == "named"
        key = "trainings.now_named" if training.questions_named else "trainings.now_anonymous"
        ctx.answer(ctx.t(key))
    elif action == "stop":
        await trainings.close_questions(training)
        ctx.answer(ctx.t("trainings.question_closed"))
    elif action == "cloud":
        ctx.answer()
        await show_cloud(ctx, training, edit=False)
        return
    elif action == "png":
        ctx.answer()
        question = await trainings.latest_question(training)
        if question is None:
            ctx.send(ctx.t("trainings.no_question"))
            return
        visible = [a.text for a, _ in await trainings.answers(question, with_hidden=False)]
        # Drawn in a thread: matplotlib takes a while, and the loop serves the room meanwhile.
        png = await asyncio.to_thread(cloud_png, question.text, cloud(visible, CLOUD_SHOWN))
        ctx.replies.append(
            SendPhoto(
                png,
                caption=ctx.t("trainings.png_caption", question=question.text, n=len(visible)),
                filename=f"training-{training.code}-cloud.png",
            )
        )
        return
    elif action == "csv":
        ctx.answer()
        AuditLog(ctx.session).record(ctx.user.id, "training.export", f"training:{training.code}")
        ctx.replies.append(
            SendDocument(
                await answers_csv(ctx, training), filename=f"training-{training.code}-answers.csv"
            )
        )
        return
    elif action == "att":
        ctx.answer()
        AuditLog(ctx.session).record(ctx.user.id, "training.export", f"training:{training.code}")
        ctx.replies.append(
            SendDocument(
                await attendance_csv(ctx, training),
                filename=f"training-{training.code}-attendance.csv",
                caption=ctx.t(
                    "trainings.attendance_caption",
                    title=training.title,
                    n=await trainings.count_attendees(training),
                ),
            )
        )
        return
    elif action == "qr":
        ctx.answer()
        ctx.replies.append(share(ctx, training))
        return
    elif action == "eval":
        if training.state != OPEN:
            ctx.answer(ctx.t("trainings.not_open"), alert=True)
            return
        await trainings.close_questions(training)
        trainings.set_state(training, EVALUATION)
        told = await tell_attendees(ctx, training, evaluation_notice(ctx, training))
        ctx.answer(ctx.t("trainings.evaluation_started", n=told))
    elif action == "sum":
        ctx.answer()
        await show_summary(ctx, training)
        return
    elif action == "end":
        # One tap must not end a session by mistake: say what ending does, then confirm.
        ctx.answer()
        evaluated = (await trainings.summary(training)).count
        text = ctx.t(
            "trainings.end_confirm",
            title=training.title,
            n=await trainings.count_attendees(training),
            evaluated=evaluated,
            hours=EVALUATION_GRACE_HOURS,
        )
        ctx.show(
            text,
            (
                (
                    ctx.button("trainings.end_yes", TrainingPress(training.id, "endok")),
                    ctx.button("trainings.end_no", TrainingPress(training.id, "panel")),
                ),
            ),
        )
        return
    elif action == "endok":
        if training.state == CLOSED:
            ctx.answer(ctx.t("trainings.ended"))
            await show_panel(ctx, training)
            return
        await trainings.close_questions(training)
        for vote in await trainings.votes(training):
            if vote.state == VOTE_OPEN:  # the session is over: so are its votes
                await Votes(ctx.session).close(vote, ctx.services.clock())
                changed(ctx, vote.id)
        trainings.set_state(training, CLOSED, ctx.services.clock())
        AuditLog(ctx.session).record(ctx.user.id, "training.close", f"training:{training.code}")
        ctx.answer(ctx.t("trainings.ended_grace", hours=EVALUATION_GRACE_HOURS), alert=True)
    else:
        ctx.answer()
    await show_panel(ctx, training)


def evaluation_notice(ctx: Context, training: Training) -> Callable[[str], tuple[Html, Keyboard]]:
    """Return the evaluation's invitation with its button, per language."""

    def notice(language: str) -> tuple[Html, Keyboard]:
        label = ctx.services.catalogue.text(language, "trainings.evaluate")
        return (
            ctx.services.catalogue.text(language, "trainings.evaluation_invite"),
            ((Button(label, EvaluatePress(training.id).pack()),),),
        )

    return notice


# --- open questions ------------------------------------------------------------------------


async def ask_question(ctx: Context, run: FormRun) -> Prompt:
    """Ask the trainer for the open question."""
    return Prompt(ctx.t("trainings.ask_question"))


async def accept_question(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take a question of a sensible length with letters in it."""
    text = " ".join(clean_name(answer.require_text()).split())
    return validators.letters(validators.length(text, MIN_QUESTION, MAX_QUESTION))


async def question_asked(ctx: Context, run: FormRun) -> None:
    """Open the question and send it to everyone checked in."""
    training = await Trainings(ctx.session).get(int(run.get("training", 0)))
    if training is None or training.state != OPEN or training.owner_id != ctx.user.id:
        ctx.send(ctx.t("trainings.not_open"))
        return
    if not await is_trainer(ctx):
        ctx.send(ctx.t("trainings.trainers_only"))
        return
    question = await Trainings(ctx.session).ask(training, str(run.get("text")))
    catalogue = ctx.services.catalogue
    told = await tell_attendees(
        ctx,
        training,
        lambda language: (
            catalogue.text(language, "trainings.question_prompt", question=question.text),
            (),
        ),
    )
    ctx.send(ctx.t("trainings.question_opened", question=question.text, n=told))
    await show_panel(ctx, training, edit=False)


ASK = Form(
    "trask", "trainings.ask_flow", [Step("text", ask_question, accept_question)], question_asked
)


# --- votes inside the training -------------------------------------------------------------


async def vote_created(ctx: Context, run: FormRun) -> None:
    """Open the vote as the training's, results hidden, and offer it to everyone checked in."""
    trainings = Trainings(ctx.session)
    training = await trainings.get(int(run.get("training", 0)))
    if training is None or training.state != OPEN or training.owner_id != ctx.user.id:
        ctx.send(ctx.t("trainings.not_open"))
        return
    if not await is_trainer(ctx):
        ctx.send(ctx.t("trainings.trainers_only"))
        return
    vote = await vote_admin.open_from_form(ctx, run, live=False)  # hidden until revealed
    await vote_admin.show_results(ctx, vote)
    await take_vote(ctx, training, vote)
    await show_panel(ctx, training, edit=False)


VOTE = Form(
    "trvote",
    "trainings.vote_flow",
    [
        Step("question", vote_admin.ask_question, vote_admin.accept_question),
        Step("options", vote_admin.ask_options, vote_admin.accept_options),
        Step("kind", vote_admin.ask_kind, vote_admin.accept_kind),
        Step("privacy", vote_admin.ask_privacy, vote_admin.accept_privacy),
        Step("autoclose", vote_admin.ask_autoclose, vote_admin.accept_autoclose),
        Step("confirm", vote_admin.ask_confirm, vote_admin.accept_confirm),
    ],
    vote_created,
)


async def on_training_vote(ctx: Context, press: TrainingVotePress) -> None:
    """Reveal a vote's results (the trainer), or open its ballot or count (an attendee)."""
    vote = await Votes(ctx.session).get(press.vote)
    training = await Trainings(ctx.session).of_vote(press.vote) if vote is not None else None
    if vote is None or training is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    if press.action == "reveal":
        if await owned_training(ctx, training.id) is None:
            return
        vote.live = True
        changed(ctx, vote.id)
        AuditLog(ctx.session).record(ctx.user.id, "vote.reveal", f"vote:{vote.code}")
        ctx.answer(ctx.t("trainings.revealed"))
        await show_panel(ctx, training)
        return
    attending = await Trainings(ctx.session).attendance(training, ctx.user.id) is not None
    if not attending and vote.owner_id != ctx.user.id:
        ctx.answer(ctx.t("trainings.attendees_only_vote"), alert=True)
        return
    if press.action == "ballot":
        ctx.answer()
        # Checked in to the training: that opens its votes in this chat, as a code would.
        await Votes(ctx.session).join(vote, ctx.incoming.chat_id)
        await show_ballot(ctx, vote)
        return
    if await current(ctx, vote) and not vote.live:
        n = await Votes(ctx.session).count(vote)
        ctx.answer(ctx.t("trainings.vote_hidden", n=n), alert=True)
        return
    ctx.answer()
    result = await Votes(ctx.session).tally(vote)
    ctx.send(results_text(ctx.services.catalogue, ctx.language, vote, result))


def cloud_lines(answers: Sequence[str]) -> str:
    """Render the cloud as lines, biggest first: the word in bold once it is big."""
    lines = []
    for word in cloud(answers, CLOUD_SHOWN):
        text = escape(word.text)
        shown = f"<b>{text}</b>" if word.size >= 4 else text
        lines.append(f"{'●' * word.size} {shown} — {word.count}")
    return "\n".join(lines)


PALETTE = ("#1f5fa8", "#b0413e", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f")


def cloud_png(question: str, words: Sequence[CloudWord]) -> bytes:
    """Draw the cloud: the biggest groups first, in rows, sized by how many gave them."""
    # Imported here: matplotlib is slow to import and only this picture needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width, height = 12.0, 7.0  # inches at 100 dpi: a projector's 1200 x 700
    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    title = "\n".join(textwrap.wrap(question, 70)[:2])
    figure.text(0.5, 0.96, title, ha="center", va="top", fontsize=20, fontfamily="DejaVu Sans")
    x, y, row = 0.04, 0.82, 0.0
    for index, word in enumerate(words):
        points = 14 + 10 * word.size
        # DejaVu Sans letters are about 0.6 em wide: enough to lay rows out without a renderer.
        span = len(word.text) * points * 0.6 / (width * 72) + 0.025
        tall = points * 1.5 / (height * 72)
        if x + span > 0.96 and x > 0.04:
            x, y, row = 0.04, y - row, 0.0
        if y - tall < 0.02:
            break  # the rest are the smallest groups: they do not fit
        figure.text(
            x,
            y,
            word.text,
            ha="left",
            va="top",
            fontsize=points,
            color=PALETTE[index % len(PALETTE)],
            fontfamily="DejaVu Sans",
        )
        x, row = x + span, max(row, tall)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def show_cloud(
    ctx: Context, training: Training, *, edit: bool = True, start: int | None = None
) -> None:
    """Show the latest question's cloud and a page of its answers, each with a hide button.

    The newest answers come first; earlier pages reach every answer, so whatever is on
    the wall can be hidden.
    """
    trainings = Trainings(ctx.session)
    question = await trainings.latest_question(training)
    if question is None:
        ctx.send(ctx.t("trainings.no_question"))
        return
    found = await trainings.answers(question)
    visible = [a.text for a, _ in found if not a.hidden]
    newest = max(0, len(found) - ANSWERS_SHOWN)
    start = newest if start is None else min(max(start, 0), newest)
    listed = found[start : start + ANSWERS_SHOWN]
    lines = []
    buttons = []
    for number, (answer, _user) in enumerate(listed, start=start + 1):
        mark = "🙈 " if answer.hidden else ""
        lines.append(f"{number}. {mark}{escape(answer.text)}")
        key = "trainings.show_answer" if answer.hidden else "trainings.hide_answer"
        press = HidePress(answer.id, not answer.hidden, start)
        buttons.append(ctx.button(key, press, number=number))
    pages = []
    if start > 0:
        earlier = max(0, start - ANSWERS_SHOWN)
        pages.append(ctx.button("trainings.earlier", AnswersPress(training.id, earlier)))
    if start < newest:
        later = start + ANSWERS_SHOWN
        pages.append(ctx.button("trainings.later", AnswersPress(training.id, later)))
    text = ctx.t(
        "trainings.cloud_text",
        question=question.text,
        n=len(visible),
        cloud=Html(cloud_lines(visible)) if visible else ctx.t("trainings.cloud_empty"),
        answers=Html("\n".join(lines)) if lines else Html(""),
    )
    keyboard = (
        *rows(buttons, 5),
        *((tuple(pages),) if pages else ()),
        (
            ctx.button("trainings.refresh", TrainingPress(training.id, "cloud")),
            ctx.button("trainings.png", TrainingPress(training.id, "png")),
        ),
    )
    if edit:
        ctx.show(text, keyboard)
    else:
        ctx.send(text, keyboard)


async def on_hide(ctx: Context, press: HidePress) -> None:
    """Hide an answer from the cloud with one tap, or show it again."""
    trainings = Trainings(ctx.session)
    answer = await trainings.answer(press.answer)
    question = await trainings.question(answer.question_id) if answer is not None else None
    if answer is None or question is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    training = await owned_training(ctx, question.training_id)
    if training is None:
        return
    # Done already (a double tap, an older message): nothing changes, it is said as it is.
    if press.hide is None or press.hide != answer.hidden:
        answer.hidden = not answer.hidden
        AuditLog(ctx.session).record(
            ctx.user.id,
            "training.hide" if answer.hidden else "training.unhide",
            f"training:{training.code}",
            answer=answer.id,
        )
    ctx.answer(ctx.t("trainings.hidden" if answer.hidden else "trainings.shown"))
    await show_cloud(ctx, training, start=press.start)


async def on_answers_page(ctx: Context, press: AnswersPress) -> None:
    """Show another page of the answers under the cloud."""
    training = await owned_training(ctx, press.training)
    if training is None:
        return
    ctx.answer()
    await show_cloud(ctx, training, start=press.start)


async def _district(ctx: Context, district_id: int | None) -> str:
    """Return the name of the district copied at check-in."""
    district = await ctx.session.get(District, district_id) if district_id is not None else None
    return district.name(ctx.language) if district is not None else ""


async def answers_csv(ctx: Context, training: Training) -> bytes:
    """Write every answer of every question as CSV (formulas neutralised, UTF-8 with BOM)."""
    buffer = io.StringIO()
    writer = csv_safe.Writer(buffer)
    columns = ("time", "question", "answer", "name", "district", "khoroo", "hidden")
    writer.writerow([plain(ctx.t(f"trainings.csv.{c}")) for c in columns])
    trainings = Trainings(ctx.session)
    for question in await trainings.questions(training):
        for answer, user in await trainings.answers(question):
            writer.writerow(
                [
                    f"{answer.created_at.astimezone(TIMEZONE):%Y-%m-%d %H:%M:%S}",
                    question.text,
                    answer.text,
                    user.first_name,
                    user.district.name(ctx.language) if user.district else "",
                    str(user.khoroo_number or ""),
                    plain(ctx.t("trainings.csv.yes")) if answer.hidden else "",
                ]
            )
    return buffer.getvalue().encode("utf-8-sig")


async def attendance_csv(ctx: Context, training: Training) -> bytes:
    """Write the attendance sheet as CSV: who checked in, when, from which khoroo."""
    buffer = io.StringIO()
    writer = csv_safe.Writer(buffer)
    columns = ("time", "name", "username", "district", "khoroo", "registered", "via", "user_id")
    writer.writerow([plain(ctx.t(f"trainings.csv.{c}")) for c in columns])
    for attendance, user in await Trainings(ctx.session).attendees(training):
        # A newcomer who registered after checking in: the sheet takes the profile's khoroo.
        district_id, khoroo = attendance.district_id, attendance.khoroo_number
        if district_id is None and user.registered:
            district_id, khoroo = user.district_id, user.khoroo_number
        writer.writerow(
            [
                f"{attendance.checked_in_at.astimezone(TIMEZONE):%Y-%m-%d %H:%M:%S}",
                user.first_name,
                user.username or "",
                await _district(ctx, district_id),
                str(khoroo or ""),
                plain(ctx.t("trainings.csv.yes" if user.registered else "trainings.csv.no")),
                plain(ctx.t(f"trainings.via.{attendance.via}")),
                str(user.id),  # two officers called Бат are two rows, told apart
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


async def show_summary(ctx: Context, training: Training) -> None:
    """Send the evaluation summary: how many answered, each rating's mean, the comments."""
    summary = await Trainings(ctx.session).summary(training)
    lines = []
    for name in RATINGS:
        given = ", ".join(
            f"{score}★×{n}" for score, n in enumerate(summary.scores[name], start=1) if n
        )
        mean = ctx.t(f"trainings.rating.{name}_mean", mean=f"{summary.means[name]:.1f}")
        lines.append(f"{mean} ({given})" if given else str(mean))
    means = "\n".join(lines)
    comments = "\n".join(f"• {escape(c[:300])}" for c in summary.comments[:COMMENTS_SHOWN])
    ctx.send(
        ctx.t(
            "trainings.summary_text",
            title=training.title,
            n=summary.count,
            attended=await Trainings(ctx.session).count_attendees(training),
            means=Html(means) if summary.count else Html(""),
            comments=Html(comments) if comments else ctx.t("trainings.no_comments"),
        )
    )


# --- the participant's side ----------------------------------------------------------------


async def check_in(ctx: Context, typed: str, via: str) -> None:
    """Check the user in to the training a code names; a wrong code gets a clear answer."""
    code = normalize_code(typed)
    trainings = Trainings(ctx.session)
    training = await trainings.by_code(code) if code else None
    if training is None:
        ctx.send(ctx.t("trainings.unknown_code", code=typed.strip()[:20]))
        return
    if training.state != OPEN:
        # Late arrivals cannot check in to evaluate a session they did not attend.
        found = await trainings.attendance(training, ctx.user.id)
        if found is None:
            ctx.send(ctx.t("trainings.check_in_closed", title=training.title))
            return
    _attendance, new = await trainings.check_in(training, ctx.user, via)
    ctx.data["training"] = training.id
    newcomer = Html("") if ctx.user.registered else ctx.t("trainings.newcomer_note")
    key = "trainings.checked_in" if new else "trainings.already_in"
    buttons = (room_questions.buttons_for_participant(ctx, training),)
    ctx.send(ctx.t(key, title=training.title, newcomer=newcomer), buttons)
    if training.state == EVALUATION:
        await offer_evaluation(ctx, training)
        return
    for vote in await trainings.votes(training, VOTES_SHOWN):
        if await current(ctx, vote):  # a late arrival still votes in what is open
            body, offer = vote_offer(ctx, vote, ctx.language)
            ctx.send(ctx.t("trainings.notice", title=training.title, body=body), offer)
    question = await trainings.open_question(training)
    if (
        question is not None
        and await trainings.count_answers_by(question, ctx.user.id) < MAX_ANSWERS
    ):
        ctx.send(ctx.t("trainings.question_prompt", question=question.text))
        ctx.data[ANSWERING] = question.id


async def offer_evaluation(ctx: Context, training: Training) -> None:
    """Show the evaluation's invitation with its button."""
    ctx.send(*evaluation_notice(ctx, training)(ctx.language))


async def from_link(ctx: Context) -> None:
    """Check in by the deep link (/start tr_<CODE>)."""
    await check_in(ctx, str(ctx.data.pop("start_argument", "")), "link")


async def checkin_command(ctx: Context) -> None:
    """/checkin CODE checks in; alone, it says how."""
    if ctx.incoming.args:
        await check_in(ctx, ctx.incoming.args, "command")
    else:
        ctx.send(ctx.t("trainings.checkin_usage"))


async def typed_code(ctx: Context) -> bool:
    """Take a check-in code (or its link) typed with no flow active; leave other text alone."""
    if ctx.incoming.kind is not Kind.TEXT:
        return False
    text = ctx.incoming.text
    code = linked_code(text, START_PREFIX) or (text if normalize_code(text) else None)
    if code is None:
        return False
    await check_in(ctx, code, "code")
    return True


async def typed_answer(ctx: Context) -> bool:
    """Take typed text as the answer to the open question of the training one is in.

    Any text is an answer there, a short "Тийм" or "12" too (the dispatcher asks this
    before small talk); a code or a link is not. After the question closes, the first
    text of someone who was answering it is told so, not sent to the FAQ unannounced.
    """
    text = " ".join(ctx.incoming.text.split())
    training_id = ctx.data.get("training")
    if ctx.incoming.kind is not Kind.TEXT or not text or not isinstance(training_id, int):
        return False
    if looks_like_code(text) or normalize_code(text) or "start=" in text:
        return False  # a vote's or a training's code (or link) joins it
    if ctx.state.flow in ctx.router.forms:
        return False  # a newcomer's form step (a question for the trainer) takes its text
    trainings = Trainings(ctx.session)
    training = await trainings.get(training_id)
    if training is None or training.state != OPEN:
        return False
    question = await trainings.open_question(training)
    if question is None:
        return await _late_answer(ctx, training)
    if await trainings.attendance(training, ctx.user.id) is None:
        return False
    if len(text) > MAX_ANSWER:
        ctx.send(ctx.t("trainings.answer_too_long", maximum=MAX_ANSWER, length=len(text)))
        return True
    given = await trainings.count_answers_by(question, ctx.user.id)
    if given >= MAX_ANSWERS:
        ctx.send(ctx.t("trainings.answers_enough", n=MAX_ANSWERS))
        return True
    await trainings.add_answer(question, ctx.user.id, text)
    ctx.data[ANSWERING] = question.id
    key = "trainings.answer_taken_first" if given == 0 else "trainings.answer_taken"
    left = MAX_ANSWERS - given - 1
    ctx.send(ctx.t(key if left else "trainings.answer_taken_last", menu=ctx.t("menu.ask")))
    return True


async def _late_answer(ctx: Context, training: Training) -> bool:
    """Tell someone who was answering that the question closed; once, then text is free."""
    answering = ctx.data.pop(ANSWERING, None)
    latest = await Trainings(ctx.session).latest_question(training)
    if answering is None or latest is None or latest.id != answering:
        return False
    ctx.send(ctx.t("trainings.answer_too_late", question=latest.text))
    return True


# --- the evaluation ------------------------------------------------------------------------


def _rating_step(name: str) -> Step:
    async def ask(ctx: Context, run: FormRun) -> Prompt:
        buttons = tuple(
            ctx.button("trainings.score", run.data(name, score), score=score)
            for score in range(1, 6)
        )
        return Prompt(ctx.t(f"trainings.rating.{name}"), (buttons,))

    async def accept(ctx: Context, run: FormRun, answer: Answer) -> int:
        raw = answer.choice if answer.choice is not None else answer.require_text()
        return validators.number(raw, 1, 5)

    return Step(name, ask, accept)


async def ask_comment(ctx: Context, run: FormRun) -> Prompt:
    """Ask for an optional comment."""
    return Prompt(ctx.t("trainings.ask_comment"))


async def accept_comment(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take a comment of a sensible length."""
    return validators.text(answer, 1, 1000)


def _in_grace(ctx: Context, training: Training) -> bool:
    """Tell whether an ended training still takes evaluations (people rate on the way home)."""
    return (
        training.state == CLOSED
        and training.closed_at is not None
        and ctx.services.clock() - training.closed_at < timedelta(hours=EVALUATION_GRACE_HOURS)
    )


async def may_evaluate(ctx: Context, training: Training | None) -> bool:
    """Tell whether the user may evaluate now; say why not when they may not."""
    if training is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return False
    if await Trainings(ctx.session).attendance(training, ctx.user.id) is None:
        ctx.answer(ctx.t("trainings.attendees_only"), alert=True)
        if ctx.incoming.kind is not Kind.BUTTON:
            ctx.send(ctx.t("trainings.attendees_only"))
        return False
    if training.state != EVALUATION and not _in_grace(ctx, training):
        key = "trainings.evaluation_closed" if training.state == CLOSED else "trainings.not_yet"
        ctx.answer(ctx.t(key), alert=True)
        if ctx.incoming.kind is not Kind.BUTTON:
            ctx.send(ctx.t(key))
        return False
    return True


async def evaluated(ctx: Context, run: FormRun) -> None:
    """Keep the evaluation, checking again that the user attended and it is still open."""
    training = await Trainings(ctx.session).get(int(run.get("training", 0)))
    if not await may_evaluate(ctx, training):
        return
    assert training is not None
    ratings = {name: int(run.get(name)) for name in RATINGS}
    await Trainings(ctx.session).evaluate(training, ctx.user.id, ratings, run.get("comment"))
    ctx.send(ctx.t("trainings.thanks", title=training.title))


EVALUATE = Form(
    "treval",
    "trainings.evaluation_flow",
    [*(_rating_step(name) for name in RATINGS), Step("comment", ask_comment, accept_comment, True)],
    evaluated,
)


async def open_evaluation(ctx: Context, training: Training) -> None:
    """Open the evaluation form; say first when it replaces the user's earlier evaluation."""
    if await Trainings(ctx.session).evaluation(training, ctx.user.id) is not None:
        ctx.send(ctx.t("trainings.evaluation_again"))
    await EVALUATE.open(ctx, {"training": training.id}, RATINGS[0], edit=False)


async def on_evaluate(ctx: Context, press: EvaluatePress) -> None:
    """Open the evaluation for a checked-in participant."""
    training = await Trainings(ctx.session).get(press.training)
    if not await may_evaluate(ctx, training):
        return
    assert training is not None
    ctx.answer()
    await open_evaluation(ctx, training)


async def evaluate_command(ctx: Context) -> None:
    """/evaluate CODE opens the evaluation of a training one attended (alone: the last one)."""
    trainings = Trainings(ctx.session)
    if not ctx.incoming.args.strip():
        last = ctx.data.get("training")
        training = await trainings.get(last) if isinstance(last, int) else None
        if training is None:
            ctx.send(ctx.t("trainings.evaluate_usage"))
            return
    else:
        code = normalize_code(ctx.incoming.args)
        training = await trainings.by_code(code) if code else None
    if training is None:
        ctx.send(ctx.t("trainings.unknown_code", code=ctx.incoming.args.strip()[:20]))
        return
    if await may_evaluate(ctx, training):
        await open_evaluation(ctx, training)


def register(router: Router) -> None:
    """Add trainings to the router."""
    router.commands.update(
        {"training": training_command, "checkin": checkin_command, "evaluate": evaluate_command}
    )
    router.start_payloads[START_PREFIX] = from_link
    router.button(TrainingPress, on_trainer)
    router.button(HidePress, on_hide)
    router.button(AnswersPress, on_answers_page)
    router.button(EvaluatePress, on_evaluate)
    router.button(TrainingVotePress, on_training_vote)
    router.form(ASK)
    router.form(VOTE)
    router.form(EVALUATE)
    router.texts.append(typed_code)
    router.room_answer = typed_answer
    # Anyone in the room checks in, answers and evaluates; registering can wait.
    router.public_commands.update({"checkin", "evaluate"})
    router.public_flows.update({EvaluatePress.prefix, EVALUATE.name, TrainingVotePress.prefix})
    router.public_start_payloads.add(START_PREFIX)
    router.public_texts += [typed_code, typed_answer]
