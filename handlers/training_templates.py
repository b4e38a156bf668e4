"""Templates, the trainer's side: clone a vote or a training, keep a question bank, reset a vote.

A reset keeps the vote's code, so the QR code on the wall and the printed handouts still
work for the next group; the finished group's ballots are archived under a round and the
export lists every round (see ``storage.templates``). Every action checks at the press that
the user is a trainer who owns the vote or training, or an admin: a press can be forged.
"""

from __future__ import annotations

from typing import Literal

from handlers.attendees import take_vote
from handlers.callbacks import Callback
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import Html, escape
from handlers.i18n import TIMEZONE
from handlers.messages import Button, StopPoll, rows
from handlers.nudges import training_status, vote_status
from handlers.permissions import is_admin, is_trainer
from handlers.places import read_places
from handlers.steps import Answer, Form, FormRun, Invalid, Prompt, Step
from handlers.trainer_tools import TrainingToolsPress, VoteToolsPress
from handlers.trainings import share as training_share
from handlers.trainings import show_panel
from handlers.vote_admin import share, show_results
from handlers.votes import VoteAdminPress, changed, opening_key, state_key
from storage.audit import AuditLog
from storage.models import BankQuestion, District, Training, VoteSession
from storage.templates import Templates
from storage.trainings import Trainings
from storage.votes import OPEN, Votes

PAGE = 8
LABEL = 40
MAX_PLACES = 60  # khoroos a vote may target: a few districts' worth


class BankPress(Callback, prefix="tpb"):
    """A trainer's press in the question bank: a page, start an entry, forget an entry."""

    action: Literal["page", "start", "drop"]
    number: int


def short(text: str, size: int = LABEL) -> str:
    """Cut a text for a button label."""
    return text if len(text) <= size else text[: size - 1] + "…"


async def _allowed(ctx: Context, owner_id: int) -> bool:
    """Tell whether the user may use a template owned by ``owner_id``; answer if not."""
    if not await is_trainer(ctx):
        ctx.answer(ctx.t("templates.trainers_only"), alert=True)
        return False
    if owner_id != ctx.user.id and not await is_admin(ctx):
        ctx.answer(ctx.t("templates.not_yours"), alert=True)
        return False
    return True


async def _new_vote_shown(ctx: Context, vote: VoteSession) -> None:
    """Turn the pressed message into the new vote's live results, and send its QR code."""
    await show_results(ctx, vote)  # as /newvote does: the live worker edits this message
    ctx.replies.append(share(ctx, vote))


async def _into_training(ctx: Context, vote: VoteSession, origin: VoteSession | None) -> None:
    """Put a new vote in the training of the vote it copies if open, else the trainer's open one."""
    trainings = Trainings(ctx.session)
    training = await trainings.of_vote(origin.id) if origin is not None else None
    if training is None or training.state != OPEN or training.owner_id != ctx.user.id:
        training = await trainings.open_training_of(ctx.user.id)
    if training is not None:
        await take_vote(ctx, training, vote)


# --- a vote's tools ------------------------------------------------------------------------


async def _places_text(ctx: Context, places: list[tuple[int, int | None]]) -> str:
    """Name the targeted places: "Баянзүрх 3, 5; Сүхбаатар (бүх хороо)"."""
    by_district: dict[int, list[int | None]] = {}
    for district_id, number in places:
        by_district.setdefault(district_id, []).append(number)
    parts = []
    for district_id, numbers in by_district.items():
        district = await ctx.session.get(District, district_id)
        name = district.name(ctx.language) if district is not None else "?"
        if None in numbers:
            parts.append(str(ctx.t("templates.whole_district", district=name)))
        else:
            parts.append(f"{name} {', '.join(str(n) for n in numbers)}")
    return "; ".join(parts)


async def vote_menu(ctx: Context, vote: VoteSession) -> None:
    """Send a vote's tools: clone, bank, reset, targets; and who has not answered."""
    templates = Templates(ctx.session)
    places = await templates.targets(vote)
    deadline = (
        ctx.t("templates.deadline", time=f"{vote.closes_at.astimezone(TIMEZONE):%Y-%m-%d %H:%M}")
        if vote.closes_at is not None and vote.state == OPEN
        else ctx.t("templates.no_deadline")
    )
    text = ctx.t(
        "templates.vote_menu",
        code=vote.code,
        question=vote.question,
        round=await templates.round_number(vote),
        n=await Votes(ctx.session).count(vote),
        targets=Html(escape(await _places_text(ctx, places)))
        if places
        else ctx.t("templates.no_targets"),
        deadline=deadline,
    )
    buttons: list[tuple[Button, ...]] = [
        (
            ctx.button("templates.clone_vote", VoteToolsPress(vote.id, "clone")),
            ctx.button("templates.to_bank", VoteToolsPress(vote.id, "bank")),
        ),
        (
            ctx.button("templates.reset", VoteToolsPress(vote.id, "reset")),
            ctx.button("templates.target", VoteToolsPress(vote.id, "target")),
        ),
    ]
    training = await Trainings(ctx.session).of_vote(vote.id)
    if training is not None and vote.state == OPEN:
        status, nudge = await vote_status(ctx, training, vote)
        text = Html(f"{text}\n\n{status}")
        buttons += [row for row in nudge]
    ctx.send(text, tuple(buttons))


async def on_vote_tools(ctx: Context, press: VoteToolsPress) -> None:
    """Apply a press on a vote's tools, checking the owner first."""
    votes = Votes(ctx.session)
    vote = await votes.get(press.vote)
    if vote is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    if not await _allowed(ctx, vote.owner_id):
        return
    templates, audit = Templates(ctx.session), AuditLog(ctx.session)
    action = press.action
    if action == "menu":
        ctx.answer()
        await vote_menu(ctx, vote)
    elif action == "clone":
        copy = await templates.clone_vote(vote, ctx.user.id)
        await _into_training(ctx, copy, vote)
        audit.record(ctx.user.id, "vote.clone", f"vote:{copy.code}", source=vote.code)
        ctx.answer(ctx.t("templates.cloned", code=copy.code))
        await _new_vote_shown(ctx, copy)
    elif action == "bank":
        _entry, new = await templates.save(ctx.user.id, vote)
        n = await templates.count_bank(ctx.user.id)
        ctx.answer(ctx.t("templates.saved" if new else "templates.updated", n=n))
    elif action == "reset":
        ballots = await votes.count(vote)
        if ballots == 0:  # nothing to keep: the next group just joins, or it is reopened
            if vote.state == OPEN:
                ctx.answer(ctx.t("templates.reset_empty"), alert=True)
            else:
                label = ctx.t(opening_key(vote))
                ctx.answer(ctx.t("templates.reset_reopen", button=label), alert=True)
            return
        number = await templates.round_number(vote)
        ctx.answer()
        ctx.send(
            ctx.t(
                "templates.reset_confirm",
                question=vote.question,
                code=vote.code,
                n=ballots,
                round=number,
            ),
            (
                (ctx.button("templates.reset_yes", VoteToolsPress(vote.id, "resetok", number)),),
                (ctx.button("templates.back", VoteToolsPress(vote.id, "menu")),),
            ),
        )
    elif action == "resetok":
        # The confirmation names its round: pressed twice, or after the next group began,
        # it must not archive their ballots (nor leave an empty round).
        poll = (vote.poll_message_id, vote.poll_chat_id)
        # A confirmation without its round (drawn before rounds were named) matches none.
        finished = await templates.reset(vote, ctx.services.clock(), expected=press.round or 0)
        if finished is None:
            number = await templates.round_number(vote)
            ctx.answer(ctx.t("templates.reset_stale", round=number), alert=True)
            return
        if poll[0] and poll[1]:
            # The old group's poll would go on taking answers nobody counts: stop it.
            ctx.replies.append(StopPoll(poll[0], chat_id=poll[1]))
        audit.record(
            ctx.user.id,
            "vote.reset",
            f"vote:{vote.code}",
            round=finished.number,
            n=finished.ballots,
        )
        changed(ctx, vote.id)
        ctx.answer(ctx.t("templates.reset_done", round=finished.number + 1))
        await show_results(ctx, vote)  # the confirmation becomes the new round's results
    elif action == "target":
        ctx.answer()
        await TARGETS.open(ctx, {"vote": vote.id}, "places", edit=False)


# --- the khoroos a vote targets ------------------------------------------------------------


async def ask_places(ctx: Context, run: FormRun) -> Prompt:
    """Ask for the districts and khoroos, one district a line."""
    return Prompt(ctx.t("templates.ask_targets"))


async def accept_places(ctx: Context, run: FormRun, answer: Answer) -> list[list[int | None]]:
    """Read one district a line, with its khoroo numbers or nothing for all of them."""
    text = answer.require_text()
    if text.strip().casefold() in {"-", "0", "болих", "none"}:
        return []  # no targets: no deadline reminder
    places = await read_places(ctx, text)
    if len(places) > MAX_PLACES:
        raise Invalid("templates.too_many_places", max=MAX_PLACES)
    return places


async def targets_set(ctx: Context, run: FormRun) -> None:
    """Keep the targets, checking the owner again (the form may be old)."""
    vote = await Votes(ctx.session).get(int(run.get("vote", 0)))
    if vote is None:
        ctx.send(ctx.t("error.outdated_button"))
        return
    if not await is_trainer(ctx) or (vote.owner_id != ctx.user.id and not await is_admin(ctx)):
        ctx.send(ctx.t("templates.not_yours"))
        return
    places = [(int(d), None if n is None else int(n)) for d, n in run.get("places", [])]
    await Templates(ctx.session).set_targets(vote, places)
    AuditLog(ctx.session).record(ctx.user.id, "vote.target", f"vote:{vote.code}", n=len(places))
    if not places:
        ctx.send(ctx.t("templates.targets_cleared", code=vote.code))
        return
    note = Html("") if vote.closes_at is not None else ctx.t("templates.targets_need_deadline")
    ctx.send(
        ctx.t(
            "templates.targets_saved",
            code=vote.code,
            places=await _places_text(ctx, places),
            note=note,
        )
    )


TARGETS = Form(
    "tptarget", "templates.targets_flow", [Step("places", ask_places, accept_places)], targets_set
)


# --- the question bank ---------------------------------------------------------------------


async def show_bank(ctx: Context, page: int = 0) -> None:
    """Show a page of the trainer's bank, each entry with Start and Forget."""
    templates = Templates(ctx.session)
    total = await templates.count_bank(ctx.user.id)
    if total == 0:
        ctx.show(ctx.t("templates.bank_empty"))
        return
    page = max(0, min(page, (total - 1) // PAGE))
    entries = await templates.bank(ctx.user.id, limit=PAGE, offset=page * PAGE)
    lines = [str(ctx.t("templates.bank_title", n=total))]
    buttons: list[tuple[Button, ...]] = []
    for number, entry in enumerate(entries, start=page * PAGE + 1):
        options = ", ".join(entry.options)
        lines.append(
            str(
                ctx.t(
                    "templates.bank_entry",
                    number=number,
                    question=short(entry.question, 120),
                    options=short(options, 160),
                    kind=ctx.t(f"votes.kind.{entry.kind}"),
                )
            )
        )
        buttons.append(
            (
                Button(
                    str(ctx.t("templates.bank_start", number=number)),
                    BankPress("start", entry.id).pack(),
                ),
                Button(
                    str(ctx.t("templates.bank_drop", number=number)),
                    BankPress("drop", entry.id).pack(),
                ),
            )
        )
    pages: list[Button] = []
    if page > 0:
        pages.append(ctx.button("templates.previous", BankPress("page", page - 1)))
    if (page + 1) * PAGE < total:
        pages.append(ctx.button("templates.next", BankPress("page", page + 1)))
    if pages:
        buttons.append(tuple(pages))
    # Bounded: PAGE entries of cut texts stay far below Telegram's 4096 characters.
    ctx.show("\n\n".join(lines), tuple(buttons))


async def bank_command(ctx: Context) -> None:
    """/bank: the trainer's kept questions; each starts a new vote with one tap."""
    if not await is_trainer(ctx):
        ctx.send(ctx.t("templates.trainers_only"))
        return
    await show_bank(ctx)


async def on_bank(ctx: Context, press: BankPress) -> None:
    """Turn the bank's page, start a vote from an entry, or forget an entry."""
    if not await is_trainer(ctx):
        ctx.answer(ctx.t("templates.trainers_only"), alert=True)
        return
    if press.action == "page":
        ctx.answer()
        await show_bank(ctx, press.number)
        return
    templates = Templates(ctx.session)
    entry: BankQuestion | None = await templates.entry(press.number)
    if entry is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    if not await _allowed(ctx, entry.owner_id):
        return
    if press.action == "drop":
        await templates.forget(entry)
        ctx.answer(ctx.t("templates.forgotten"))
        await show_bank(ctx)
        return
    vote = await templates.clone_vote(entry, ctx.user.id)
    await _into_training(ctx, vote, None)
    AuditLog(ctx.session).record(ctx.user.id, "vote.create", f"vote:{vote.code}", bank=entry.id)
    ctx.answer(ctx.t("templates.started", code=vote.code))
    await _new_vote_shown(ctx, vote)


# --- a training's tools --------------------------------------------------------------------


async def training_menu(ctx: Context, training: Training) -> None:
    """Send a training's tools: its votes (each opens its panel), nudges, clone, the bank."""
    own = await Trainings(ctx.session).votes(training, None)  # newest first, as /myvotes
    lines = []
    buttons: list[tuple[Button, ...]] = []
    for vote in own:
        state = ctx.t(state_key(vote))
        lines.append(f"• <code>{vote.code}</code> {escape(short(vote.question, 80))} — {state}")
        buttons.append(
            (Button(f"{vote.code} · {short(vote.question)}", VoteAdminPress(vote.id, "r").pack()),)
        )
    status, nudge = await training_status(ctx, training)
    text = ctx.t(
        "templates.training_menu",
        title=training.title,
        code=training.code,
        votes=Html("\n".join(lines)) if lines else ctx.t("templates.no_votes"),
        status=status,
    )
    buttons += list(nudge)
    buttons += list(
        rows(
            [
                ctx.button("templates.clone_training", TrainingToolsPress(training.id, "clone")),
                ctx.button("templates.open_bank", BankPress("page", 0)),
            ],
            2,
        )
    )
    ctx.send(text, tuple(buttons))


async def on_training_tools(ctx: Context, press: TrainingToolsPress) -> None:
    """Apply a press on a training's tools, checking the owner first."""
    training = await Trainings(ctx.session).get(press.training)
    if training is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    if not await _allowed(ctx, training.owner_id):
        return
    if press.action == "menu":
        ctx.answer()
        await training_menu(ctx, training)
        return
    copy = await Templates(ctx.session).clone_training(training, ctx.user.id)
    AuditLog(ctx.session).record(
        ctx.user.id, "training.clone", f"training:{copy.code}", source=training.code
    )
    n = len(await Trainings(ctx.session).votes(copy, None))
    ctx.answer(ctx.t("templates.training_cloned", code=copy.code))
    # The copy has the same title: the message names both codes, so /training tells them apart.
    ctx.send(
        ctx.t(
            "templates.training_copy",
            title=training.title,
            code=copy.code,
            source=training.code,
            votes=ctx.t("templates.copied_votes", n=n) if n else Html(""),
        )
    )
    ctx.replies.append(training_share(ctx, copy))
    await show_panel(ctx, copy, edit=False)


def register(router: Router) -> None:
    """Add the templates' command, buttons and form to the router."""
    router.commands["bank"] = bank_command
    router.button(VoteToolsPress, on_vote_tools)
    router.button(TrainingToolsPress, on_training_tools)
    router.button(BankPress, on_bank)
    router.form(TARGETS)
