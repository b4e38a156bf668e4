"""Quick votes, the trainer's side: open a vote step by step, watch, close, export, chart.

Every management action checks on the server that the user is a trainer (or an admin) and
owns the vote: a button press can be forged, so the button itself proves nothing.
"""

from __future__ import annotations

import asyncio
import io
import textwrap
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import segno
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import limits, validators
from handlers.attendees import offer_vote, take_vote
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import Html, escape, plain
from handlers.i18n import LANGUAGES, TIMEZONE
from handlers.messages import Button, EditText, SendDocument, SendPhoto, SendPoll, StopPoll
from handlers.permissions import is_admin, is_trainer
from handlers.steps import Accept, Again, Answer, Ask, Form, FormRun, Invalid, Prompt, Step
from handlers.votes import (
    PollTag,
    VoteAdminPress,
    changed,
    current,
    digest,
    normalize_code,
    results_buttons,
    results_text,
)
from knowledge.clean import clean_name
from knowledge.tally import KINDS, RANKING, SINGLE, Tally
from knowledge.text import fold
from storage import csv_safe
from storage.audit import AuditLog
from storage.models import ArchivedBallot, Ballot, User, VoteSession
from storage.practices import Practices
from storage.templates import Templates
from storage.trainings import OPEN as TRAINING_OPEN
from storage.trainings import Trainings
from storage.votes import OPEN, Votes

if TYPE_CHECKING:  # matplotlib is imported only when a chart is drawn (see chart_figure)
    from matplotlib.figure import Figure

QUESTION = limits.POLL_QUESTION  # a vote may become a Telegram poll: keep within its limits
OPTION = limits.POLL_OPTION_TEXT
MIN_OPTIONS, MAX_OPTIONS = 2, limits.POLL_OPTIONS.maximum  # a choice needs two options
MIN_QUESTION = 3
AUTOCLOSE_CHOICES = (2, 5, 10, 15, 30)
MAX_AUTOCLOSE = 240  # minutes: a training day's session
PRACTICES_SHOWN = 24
PRACTICE_LABEL = 48
PRIVACY = ("named", "anonymous")
TIMING = ("live", "after")
# The option step's buttons: done, remove the last, pick from practices, toggle a practice.
DONE, REMOVE, PICK, PRACTICE = "d", "u", "m", "p"


# --- the step table ------------------------------------------------------------------------


async def ask_question(ctx: Context, run: FormRun) -> Prompt:
    """Ask for the question."""
    return Prompt(ctx.t("votes.ask_question"))


async def accept_question(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take a question that fits a Telegram poll."""
    text = " ".join(clean_name(answer.require_text()).split())
    return validators.letters(validators.length(text, MIN_QUESTION, QUESTION.maximum))


def _drafts(run: FormRun) -> list[str]:
    return list(run.get("option_drafts", []))


async def _shared_practices(ctx: Context) -> list[tuple[int, str]]:
    """Return the newest shared (approved or selected) practices a trainer may rank."""
    practices = await Practices(ctx.session).shared()
    return [(p.id, p.title[: OPTION.maximum]) for p in list(practices)[:PRACTICES_SHOWN]]


async def ask_options(ctx: Context, run: FormRun) -> Prompt:
    """List the options typed so far, with Done, Remove and (if any) pick-from-practices."""
    drafts = _drafts(run)
    listed = "\n".join(f"{i + 1}. {escape(o)}" for i, o in enumerate(drafts))
    if run.view.get("mode") == "practices":
        chosen = set(drafts)
        practices = await _shared_practices(ctx)
        rows: list[tuple[Button, ...]] = []
        for practice_id, title in practices:
            label = title if len(title) <= PRACTICE_LABEL else title[: PRACTICE_LABEL - 1] + "…"
            mark = "✅ " if title in chosen else ""
            rows.append((Button(mark + label, run.data("options", PRACTICE, practice_id).pack()),))
        rows.append((ctx.button("votes.done", run.data("options", DONE)),))
        text = ctx.t("votes.ask_practices", min=MIN_OPTIONS, max=MAX_OPTIONS, n=len(drafts))
        return Prompt(text, tuple(rows))
    controls = [ctx.button("votes.done", run.data("options", DONE))]
    if drafts:
        controls.append(ctx.button("votes.remove_last", run.data("options", REMOVE)))
    rows = [tuple(controls)]
    if await _shared_practices(ctx):
        rows.append((ctx.button("votes.from_practices", run.data("options", PICK)),))
    text = ctx.t(
        "votes.ask_options",
        min=MIN_OPTIONS,
        max=MAX_OPTIONS,
        options=Html(listed) if drafts else ctx.t("votes.no_options_yet"),
    )
    return Prompt(text, tuple(rows))


def typed_done(ctx: Context, text: str) -> bool:
    """Tell whether the text is the Done button's label typed, in any language."""
    catalogue = ctx.services.catalogue
    return bool(fold(text)) and any(
        fold(catalogue.text(code, "votes.done")) == fold(text) for code in LANGUAGES
    )


async def accept_options(ctx: Context, run: FormRun, answer: Answer) -> list[str] | Again:
    """Add a typed option, remove the last, toggle a practice, or finish the list."""
    drafts = _drafts(run)
    if answer.choice is None and answer.text is not None and typed_done(ctx, answer.text):
        answer = Answer(choice=DONE)  # "болсон" typed instead of pressed is not an option
    if answer.choice == DONE:
        if len(drafts) < MIN_OPTIONS:
            raise Invalid("votes.too_few_options", min=MIN_OPTIONS)
        return drafts
    if answer.choice == REMOVE:
        run.values["option_drafts"] = drafts[:-1]
        return Again()
    if answer.choice == PICK:
        return Again(view={"mode": "practices"})
    if answer.choice == PRACTICE:
        titles = dict(await _shared_practices(ctx))
        title = titles.get(answer.number) if answer.number is not None else None
        if title is None:
            raise Invalid("error.outdated_button")
        if title in drafts:
            drafts.remove(title)
        elif len(drafts) >= MAX_OPTIONS:
            raise Invalid("votes.too_many_options", max=MAX_OPTIONS)
        else:
            drafts.append(title)
        run.values["option_drafts"] = drafts
        return Again(view={"mode": "practices"})
    option = " ".join(clean_name(answer.require_text()).split())
    validators.length(option, OPTION.minimum, OPTION.maximum)
    if option.casefold() in {d.casefold() for d in drafts}:
        raise Invalid("votes.option_repeated")
    if len(drafts) >= MAX_OPTIONS:
        raise Invalid("votes.too_many_options", max=MAX_OPTIONS)
    run.values["option_drafts"] = [*drafts, option]
    return Again(edit=False)  # the option was typed: ask below it, in a new message


def _choices(step: str, values: tuple[str, ...], key: str) -> tuple[Ask, Accept]:
    """Build the ask and accept of a step answered by one of a few buttons."""

    async def ask(ctx: Context, run: FormRun) -> Prompt:
        buttons = tuple(
            (ctx.button(f"votes.{key}.{value}", run.data(step, value)),) for value in values
        )
        return Prompt(ctx.t(f"votes.ask_{step}"), buttons)

    async def accept(ctx: Context, run: FormRun, answer: Answer) -> str:
        if answer.choice not in values:
            raise Invalid("error.button_expected")
        return answer.choice

    return ask, accept


ask_kind, accept_kind = _choices("kind", KINDS, "kind")
ask_privacy, accept_privacy = _choices("privacy", PRIVACY, "privacy")
ask_timing, accept_timing = _choices("timing", TIMING, "timing")


async def ask_autoclose(ctx: Context, run: FormRun) -> Prompt:
    """Offer a few durations, or none."""
    minutes = [
        ctx.button("votes.minutes", run.data("autoclose", n), n=n) for n in AUTOCLOSE_CHOICES
    ]
    buttons = (
        tuple(minutes),
        (ctx.button("votes.autoclose_never", run.data("autoclose", 0)),),
    )
    return Prompt(ctx.t("votes.ask_autoclose", max=MAX_AUTOCLOSE), buttons)


async def accept_autoclose(ctx: Context, run: FormRun, answer: Answer) -> int:
    """Take minutes from a button or typed (0: the trainer closes the vote)."""
    if answer.choice is not None:  # the buttons offer 0: never
        return validators.number(answer.choice, 0, MAX_AUTOCLOSE)
    return validators.number(answer.require_text(), 1, MAX_AUTOCLOSE)


async def ask_confirm(ctx: Context, run: FormRun) -> Prompt:
    """Show the vote as set up, with a Start button."""
    minutes = int(run.get("autoclose") or 0)
    text = ctx.t(
        "votes.preview",
        question=run.get("question", ""),
        options=Html(
            "\n".join(f"{i + 1}. {escape(o)}" for i, o in enumerate(run.get("options", [])))
        ),
        kind=ctx.t(f"votes.kind.{run.get('kind', SINGLE)}"),
        privacy=ctx.t(f"votes.privacy.{run.get('privacy', 'anonymous')}"),
        timing=ctx.t(f"votes.timing.{run.get('timing', 'live')}"),
        autoclose=ctx.t("votes.minutes", n=minutes) if minutes else ctx.t("votes.autoclose_never"),
    )
    return Prompt(text, ((ctx.button("votes.start", run.data("confirm", "go")),),))


async def accept_confirm(ctx: Context, run: FormRun, answer: Answer) -> bool:
    """Start only on the button: the results message becomes the pressed one."""
    if answer.choice != "go":
        raise Invalid("error.button_expected")
    return True


async def open_from_form(ctx: Context, run: FormRun, *, live: bool) -> VoteSession:
    """Open the vote the form's answers describe, audited as created by the user."""
    minutes = int(run.get("autoclose") or 0)
    vote = await Votes(ctx.session).create(
        owner_id=ctx.user.id,
        question=str(run.get("question")),
        options=list(run.get("options", [])),
        kind=str(run.get("kind", SINGLE)),
        named=run.get("privacy") == "named",
        live=live,
        closes_at=ctx.services.clock() + timedelta(minutes=minutes) if minutes else None,
    )
    AuditLog(ctx.session).record(ctx.user.id, "vote.create", f"vote:{vote.code}")
    return vote


async def create(ctx: Context, run: FormRun) -> None:
    """Open the vote, turn the preview into the live results, and send the code and QR."""
    if not await is_trainer(ctx):
        ctx.send(ctx.t("votes.trainers_only"))
        return
    vote = await open_from_form(ctx, run, live=run.get("timing") != "after")
    await show_results(ctx, vote)
    ctx.replies.append(share(ctx, vote))
    # A vote opened while the trainer's training is open is one of the training's votes.
    training = await Trainings(ctx.session).open_training_of(ctx.user.id)
    if training is not None:
        await take_vote(ctx, training, vote)


FORM = Form(
    "newvote",
    "votes.flow",
    [
        Step("question", ask_question, accept_question),
        Step("options", ask_options, accept_options),
        Step("kind", ask_kind, accept_kind),
        Step("privacy", ask_privacy, accept_privacy),
        Step("timing", ask_timing, accept_timing),
        Step("autoclose", ask_autoclose, accept_autoclose),
        Step("confirm", ask_confirm, accept_confirm),
    ],
    create,
)


async def new_vote(ctx: Context) -> None:
    """/newvote: trainers and admins only."""
    if not await is_trainer(ctx):
        ctx.send(ctx.t("votes.trainers_only"))
        return
    await FORM.begin(ctx, fresh=True)


# --- what the trainer gets -----------------------------------------------------------------


def links(ctx: Context, vote: VoteSession) -> tuple[str, str]:
    """Return the join deep link and the projector page's address."""
    username = ctx.services.bot_username or "bot"
    link = f"https://t.me/{username}?start=vote_{vote.code}"
    base = ctx.services.projector_url.rstrip("/")
    return link, f"{base}/votes/{vote.code}?key={vote.secret}"


def qr_png(text: str) -> bytes:
    """Draw a QR code, large enough to scan from a projected screen."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=12, border=2)
    return buffer.getvalue()


def share(ctx: Context, vote: VoteSession) -> SendPhoto:
    """Return the QR code with the code, the deep link and the projector link."""
    link, projector = links(ctx, vote)
    caption = ctx.t("votes.share", code=vote.code, link=link, projector=projector)
    return SendPhoto(qr_png(link), caption=caption, filename=f"vote-{vote.code}-qr.png")


async def show_results(ctx: Context, vote: VoteSession) -> None:
    """Put the results on the pressed message and make it the one the live worker edits."""
    result = await Votes(ctx.session).tally(vote)
    text = results_text(ctx.services.catalogue, ctx.language, vote, result)
    buttons = results_buttons(ctx.services.catalogue, ctx.language, vote)
    fingerprint = digest(text, buttons)
    message_id = ctx.incoming.message_id if ctx.incoming.callback_id else None
    if message_id is None:
        ctx.send(text, buttons)  # no message id to edit later: refreshed by a button press
        return
    same = (vote.results_chat_id, vote.results_message_id) == (ctx.incoming.chat_id, message_id)
    if not (same and vote.results_digest == fingerprint):  # Telegram refuses an idle edit
        ctx.replies.append(EditText(message_id, text, buttons))
    vote.results_chat_id, vote.results_message_id = ctx.incoming.chat_id, message_id
    vote.results_digest = fingerprint


def export_csv(
    ctx: Context,
    vote: VoteSession,
    ballots: Sequence[tuple[Ballot, User]],
    archived: Sequence[tuple[int, ArchivedBallot, User]] = (),
    current_round: int = 1,
) -> bytes:
    """Write the ballots as CSV (UTF-8 with a BOM, so Excel reads Cyrillic); names if named.

    A vote reset for other groups lists every round, each ballot with its round's number.
    """
    buffer = io.StringIO()
    writer = csv_safe.Writer(buffer)
    rounds = current_round > 1
    header = ["time"]
    if vote.named:
        header += ["voter", "district", "khoroo"]
    header += ["choice", "via"]
    names = [plain(ctx.t(f"votes.csv.{column}")) for column in header]
    writer.writerow([plain(ctx.t("templates.csv_round")), *names] if rounds else names)
    everything: list[tuple[int, Ballot | ArchivedBallot, User]] = [
        *archived,
        *((current_round, ballot, user) for ballot, user in ballots),
    ]
    for number, ballot, user in everything:
        row = [str(number)] if rounds else []
        row.append(f"{ballot.cast_at.astimezone(TIMEZONE):%Y-%m-%d %H:%M:%S}")
        if vote.named:
            district = user.district.name(ctx.language) if user.district else ""
            row += [user.first_name, district, str(user.khoroo_number or "")]
        picked = [vote.options[i] for i in ballot.choices if 0 <= i < len(vote.options)]
        if vote.kind == RANKING:
            row.append("; ".join(f"{place}) {name}" for place, name in enumerate(picked, 1)))
        else:
            row.append("; ".join(picked))
        row.append(plain(ctx.t(f"votes.via.{ballot.via}")))
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8-sig")


def chart_png(vote: VoteSession, result: Tally, axis: str) -> bytes:
    """Draw the results as horizontal bars and return the PNG."""
    buffer = io.BytesIO()
    chart_figure(vote, result, axis).savefig(buffer, format="png")
    return buffer.getvalue()


def chart_figure(vote: VoteSession, result: Tally, axis: str) -> Figure:
    """Draw the results as horizontal bars; DejaVu Sans (bundled) renders Cyrillic."""
    # Imported here: matplotlib is slow to import and only charts need it. The Figure API
    # with the Agg canvas draws off-screen, without pyplot's global state.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    ordered = list(result.ordered())[::-1]  # barh draws bottom-up: the leader goes on top
    labels = ["\n".join(textwrap.wrap(vote.options[o.index], 40)) for o in ordered]
    values = [o.points if vote.kind == RANKING else o.votes for o in ordered]
    height = max(3.0, 0.7 * len(ordered) + 1.5)
    figure = Figure(figsize=(10, height), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bars = axes.barh(range(len(values)), values, color="#2f6fb0")
    axes.set_yticks(range(len(values)), labels, fontfamily="DejaVu Sans", fontsize=11)
    axes.bar_label(bars, padding=4, fontfamily="DejaVu Sans")
    axes.set_xlabel(axis, fontfamily="DejaVu Sans")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # votes and points are whole
    title = "\n".join(textwrap.wrap(vote.question, 70))
    axes.set_title(title, fontfamily="DejaVu Sans", fontsize=14)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return figure


# --- management buttons and /pollhere ------------------------------------------------------


async def _manageable(ctx: Context, vote: VoteSession | None) -> bool:
    """Tell whether the user may manage the vote; answer the refusal if not."""
    if vote is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return False
    if not await is_trainer(ctx):
        ctx.answer(ctx.t("votes.trainers_only"), alert=True)
        return False
    if vote.owner_id != ctx.user.id and not await is_admin(ctx):
        ctx.answer(ctx.t("votes.not_owner"), alert=True)
        return False
    return True


# Management actions that change a vote or take its ballots out: they go to the audit log.
AUDITED = {"c": "vote.close", "o": "vote.reopen", "e": "vote.export"}


async def on_button(ctx: Context, press: VoteAdminPress) -> None:
    """Close, reopen, refresh, export, chart, QR or poll instructions for a vote."""
    votes = Votes(ctx.session)
    vote = await votes.get(press.vote)
    if not await _manageable(ctx, vote):
        return
    assert vote is not None
    action = press.action
    if action in AUDITED:
        AuditLog(ctx.session).record(ctx.user.id, AUDITED[action], f"vote:{vote.code}")
    await current(ctx, vote)
    if action == "c" and vote.state == OPEN:
        await votes.close(vote, ctx.services.clock())
        ctx.answer(ctx.t("votes.closed_notice"))
        changed(ctx, vote.id)
    elif action == "o" and vote.state != OPEN:
        first = vote.closed_at is None  # a copy in a cloned training, never opened yet
        await votes.reopen(vote)
        ctx.answer(ctx.t("votes.opened_notice" if first else "votes.reopened_notice"))
        changed(ctx, vote.id)
        # Its first opening is the moment the room needs it, as for a vote opened new.
        training = await Trainings(ctx.session).of_vote(vote.id) if first else None
        if training is not None and training.state == TRAINING_OPEN:
            await offer_vote(ctx, training, vote)
    elif action == "e":
        ctx.answer()
        ballots = await votes.ballots(vote)
        templates = Templates(ctx.session)  # earlier groups' rounds, if the vote was reset
        archived = await templates.archived(vote)
        ctx.replies.append(
            SendDocument(
                export_csv(ctx, vote, ballots, archived, await templates.round_number(vote)),
                filename=f"vote-{vote.code}.csv",
                caption=ctx.t(
                    "votes.export_caption", n=len(ballots) + len(archived), question=vote.question
                ),
            )
        )
        return
    elif action == "g":
        if vote.state == OPEN:
            ctx.answer(ctx.t("votes.chart_after_close"), alert=True)
            return
        ctx.answer()
        result = await votes.tally(vote)
        axis = plain(
            ctx.t("votes.chart_axis_points" if vote.kind == RANKING else "votes.chart_axis_votes")
        )
        png = await asyncio.to_thread(chart_png, vote, result, axis)
        caption = ctx.t("votes.chart_caption", question=vote.question)
        ctx.replies.append(
            SendPhoto(png, caption=Html(caption[:1000]), filename=f"vote-{vote.code}-chart.png")
        )
        return
    elif action == "q":
        ctx.answer()
        ctx.replies.append(share(ctx, vote))
        return
    elif action == "p":
        ctx.answer()
        key = "votes.poll_ranking" if vote.kind == RANKING else "votes.poll_howto"
        ctx.send(ctx.t(key, code=vote.code))
        return
    ctx.answer()
    await show_results(ctx, vote)


async def poll_here(ctx: Context) -> None:
    """/pollhere CODE in a group: post the vote there as a non-anonymous Telegram poll."""
    if ctx.incoming.chat_type == "private":
        ctx.send(ctx.t("votes.poll_private"))
        return
    code = normalize_code(ctx.incoming.args)
    if code is None:
        ctx.send(ctx.t("votes.poll_usage"))
        return
    vote = await Votes(ctx.session).by_code(code)
    if vote is None:
        ctx.send(ctx.t("votes.unknown_code", code=code))
        return
    if not await is_trainer(ctx):
        ctx.send(ctx.t("votes.trainers_only"))
        return
    if vote.owner_id != ctx.user.id and not await is_admin(ctx):
        ctx.send(ctx.t("votes.not_owner"))
        return
    if vote.kind == RANKING:
        ctx.send(ctx.t("votes.poll_ranking"))
        return
    if not await current(ctx, vote):
        ctx.send(ctx.t("votes.closed", question=vote.question))
        return
    if vote.poll_message_id and vote.poll_chat_id:
        # One poll per vote: the earlier one is stopped, or its answers would go uncounted.
        ctx.replies.append(StopPoll(vote.poll_message_id, chat_id=vote.poll_chat_id))
        Votes(ctx.session).unlink_poll(vote)
    ctx.replies.append(
        SendPoll(
            question=vote.question,
            options=tuple(vote.options),
            multiple=vote.kind != SINGLE,
            anonymous=False,  # only a named poll reports each answer to the bot
            # Group-think: a training's hidden vote stays hidden in the group's poll too.
            hidden=not vote.live,
            tag=PollTag(vote.id).pack(),
        )
    )


async def poll_sent(
    session: AsyncSession, poll: SendPoll, poll_id: str, chat_id: int, message_id: int
) -> None:
    """Link a posted poll to its vote, so its answers count in the vote's tally."""
    tag = PollTag.parse(poll.tag)
    if tag is not None:
        await Votes(session).link_poll(tag.vote, poll_id, chat_id, message_id)


def register(router: Router) -> None:
    """Add the trainer's commands, form and buttons to the router."""
    router.commands["newvote"] = new_vote
    router.commands["pollhere"] = poll_here
    router.form(FORM)
    router.button(VoteAdminPress, on_button)
