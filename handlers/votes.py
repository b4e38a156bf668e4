"""Quick votes, the participant's side: join by code, link or QR, and vote with one tap.

Also how a vote's results read (the trainer's message, the live worker and the projector
share it), and the notice that a vote changed, given only once the change is committed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import partial
from typing import Final, Literal

from handlers.callbacks import Callback
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import Html, escape, plain
from handlers.i18n import TIMEZONE, Catalogue
from handlers.messages import Button, Keyboard, Kind
from handlers.steps import Answer, Form, FormRun, Invalid, Prompt, Step
from handlers.trainer_tools import VoteToolsPress
from knowledge.tally import MULTIPLE, RANKING, SINGLE, Tally, tap
from storage.models import VoteSession
from storage.trainings import OPEN as TRAINING_OPEN
from storage.trainings import Trainings
from storage.votes import CODE_ALPHABET, CODE_LENGTH, OPEN, Votes

# What a participant's tap does: choose an option, rank the next one, undo the last rank,
# confirm the ranking, rank again, or look at the results.
CHOOSE: Final = "c"
RANK: Final = "k"
UNDO: Final = "u"
CONFIRM: Final = "f"
AGAIN: Final = "a"
RESULTS: Final = "r"
# The trainer's buttons (handlers/vote_admin.py): close, refresh, export, QR code, post as a
# poll, reopen, chart.
AdminAction = Literal["c", "r", "e", "q", "p", "o", "g"]


class VotePress(Callback, prefix="vt"):
    """A participant's tap on a ballot; the option's index where the action takes one."""

    vote: int
    action: Literal["c", "k", "u", "f", "a", "r"]
    option: int | None = None


class VoteAdminPress(Callback, prefix="va"):
    """A trainer's button under a vote's results."""

    vote: int
    action: AdminAction


class PollTag(Callback, prefix="vote"):
    """Links a posted group poll back to its vote (``SendPoll.tag``); never a button."""

    vote: int


BAR_WIDTH = 10
BUTTON_LABEL = 48  # option text shown on a button; the message lists options in full
# Cyrillic letters that look like Latin ones: a code typed on a Mongolian keyboard still works.
_LOOKALIKES = str.maketrans("АВЕЗКМНОРСТУХ", "ABE3KMHOPCTYX")
LINK_PREFIX = "vote"  # deep links: /start vote_<CODE>
MAX_LINK = 300  # a pasted deep link, with room for a long bot name


# --- codes ---------------------------------------------------------------------------------


def normalize_code(text: str) -> str | None:
    """Return the join code a text spells (any case, spaces, Cyrillic look-alikes), or None."""
    code = "".join(text.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    # Every code mixes letters and digits, so a six-letter word is never taken for one.
    if not any(c.isdigit() for c in code) or not any(c.isalpha() for c in code):
        return None
    return code


def linked_code(text: str, prefix: str) -> str | None:
    """Return the code of a deep link pasted as text ("t.me/bot?start=tr_AB3K7"), if any.

    A phone's QR scanner shows the link, and people copy it into the chat.
    """
    found = re.search(rf"[?&]start={re.escape(prefix)}_([A-Za-z0-9]+)", text)
    return found.group(1) if found and len(text) <= MAX_LINK else None


def looks_like_code(text: str) -> bool:
    """Tell whether a typed text is a vote's join code (so free-text handlers can skip it)."""
    return normalize_code(text) is not None


# --- notices after commit ------------------------------------------------------------------


def changed(ctx: Context, vote_id: int) -> None:
    """Tell the live results (trainer's message, projector) that a vote changed, once committed."""
    ctx.after_commit(partial(ctx.services.live_results.changed, vote_id))


# --- how results read ----------------------------------------------------------------------


def state_key(vote: VoteSession) -> str:
    """Name a vote's state: open, closed, or ready (a copy never opened has no close time)."""
    if vote.state == OPEN:
        return "votes.state_open"
    return "votes.state_closed" if vote.closed_at is not None else "votes.state_ready"


def opening_key(vote: VoteSession) -> str:
    """Name the button that opens a closed vote: a copy never opened is opened, not reopened."""
    return "votes.open" if vote.closed_at is None else "votes.reopen"


def results_text(catalogue: Catalogue, language: str, vote: VoteSession, result: Tally) -> Html:
    """Render the results as the trainer reads them."""

    def t(key: str, **values: object) -> Html:
        return catalogue.text(language, key, **values)

    lines = []
    for place, option in enumerate(result.ordered(), start=1):
        name = vote.options[option.index]
        if vote.kind == RANKING:
            if option.average_position is None:
                lines.append(t("votes.line_unranked", place=place, option=name))
            else:
                lines.append(
                    t(
                        "votes.line_ranking",
                        place=place,
                        option=name,
                        points=option.points,
                        average=f"{option.average_position:.1f}",
                    )
                )
        else:
            filled = round(option.share * BAR_WIDTH)
            lines.append(
                t(
                    "votes.line_choice",
                    place=place,
                    option=name,
                    votes=option.votes,
                    percent=round(option.share * 100),
                    bar="█" * filled + "░" * (BAR_WIDTH - filled),
                )
            )
    footer = Html("")
    if vote.state == OPEN and vote.closes_at is not None:
        footer = t("votes.closes_at", time=f"{vote.closes_at.astimezone(TIMEZONE):%H:%M}")
    return t(
        "votes.results",
        question=vote.question,
        code=vote.code,
        state=t(state_key(vote)),
        n=result.ballots,
        lines=Html("\n".join(lines)),
        footer=footer,
    )


def results_buttons(catalogue: Catalogue, language: str, vote: VoteSession) -> Keyboard:
    """Return the trainer's buttons under the results."""

    def button(key: str, action: AdminAction) -> Button:
        return Button(catalogue.text(language, key), VoteAdminPress(vote.id, action).pack())

    # Clone, bank, reset, targets and nudges (handlers/training_templates.py).
    tools = Button(
        catalogue.text(language, "templates.tools"), VoteToolsPress(vote.id, "menu").pack()
    )
    if vote.state == OPEN:
        rows: Keyboard = (
            (button("votes.close", "c"), button("votes.refresh", "r")),
            (button("votes.export", "e"), button("votes.qr", "q")),
        )
        if vote.kind != RANKING:
            rows += ((button("votes.post_poll", "p"),),)
        return (*rows, (tools,))
    return (
        (button(opening_key(vote), "o"), button("votes.chart", "g")),
        (button("votes.export", "e"), tools),
    )


def digest(text: str, buttons: Keyboard) -> str:
    """Return a fingerprint of a message's content, to skip edits that change nothing."""
    content = text + "|" + "|".join(f"{b.label}>{b.data}" for row in buttons for b in row)
    return hashlib.sha256(content.encode()).hexdigest()


# --- the participant's ballot message ------------------------------------------------------


async def current(ctx: Context, vote: VoteSession) -> bool:
    """Close the vote if its time is up (the worker may not have yet); tell whether it is open."""
    if vote.state == OPEN and vote.closes_at is not None and vote.closes_at <= ctx.services.clock():
        await Votes(ctx.session).close(vote, vote.closes_at)
        changed(ctx, vote.id)
    return vote.state == OPEN


def _rankings(ctx: Context) -> dict[str, list[int]]:
    return dict(ctx.data.get("vote_rankings", {}))


def _ranking(ctx: Context, vote: VoteSession) -> list[int] | None:
    """Return the ranking being tapped in, or None when none is in progress."""
    order = _rankings(ctx).get(str(vote.id))
    return list(order) if order is not None else None


def _set_ranking(ctx: Context, vote: VoteSession, order: Sequence[int] | None) -> None:
    rankings = _rankings(ctx)
    if order is None:
        rankings.pop(str(vote.id), None)
    else:
        rankings[str(vote.id)] = list(order)
    ctx.data["vote_rankings"] = rankings


def _label(vote: VoteSession, index: int, mark: str = "") -> str:
    text = vote.options[index]
    if len(text) > BUTTON_LABEL:
        text = text[: BUTTON_LABEL - 1].rstrip() + "…"
    return f"{mark}{index + 1}. {text}"


def _rank_mark(ctx: Context, order: Sequence[int], index: int) -> str:
    """Mark an option already ranked with its place ("✅ 2-р: "), else nothing."""
    return plain(ctx.t("votes.ranked_mark", place=order.index(index) + 1)) if index in order else ""


def _names(vote: VoteSession, indexes: Sequence[int]) -> str:
    return ", ".join(vote.options[i] for i in indexes if 0 <= i < len(vote.options))


async def show_ballot(
    ctx: Context, vote: VoteSession, *, edit: bool = False, chosen: Sequence[int] | None = None
) -> None:
    """Show the question with one button per option, marking what the user chose.

    Only a tap on the ballot itself edits it; joining always sends a new message, below
    whatever led there (a registration step, the menu).
    """
    is_open = await current(ctx, vote)
    if chosen is None:  # not known yet: a tap that just voted passes its ballot
        chosen = await Votes(ctx.session).ballot(vote, ctx.user.id) or []
    rows: list[tuple[Button, ...]] = []
    status = Html("")
    if not is_open:
        status = ctx.t("votes.closed_status")
    elif vote.kind == RANKING:
        progress = _ranking(ctx, vote)
        order = progress or []
        if order:
            ranked = " → ".join(_label(vote, i) for i in order)
            status = ctx.t("votes.ranking_so_far", ranking=ranked)
        elif chosen:
            status = ctx.t("votes.chosen", choice=" → ".join(_label(vote, i) for i in chosen))
        if progress is not None or not chosen:
            # Ranked options keep their place, marked with their rank (a tap on one does
            # nothing): buttons that vanish would put another under a fast finger.
            rows += [
                (
                    Button(
                        _label(vote, i, _rank_mark(ctx, order, i)),
                        VotePress(vote.id, RANK, i).pack(),
                    ),
                )
                for i in range(len(vote.options))
            ]
            controls = [ctx.button("votes.undo", VotePress(vote.id, UNDO))] if order else []
            if order:
                controls.append(ctx.button("votes.confirm", VotePress(vote.id, CONFIRM)))
            if controls:
                rows.append(tuple(controls))
        else:
            rows.append((ctx.button("votes.rank_again", VotePress(vote.id, AGAIN)),))
    else:
        if chosen:
            status = ctx.t("votes.chosen", choice=_names(vote, chosen))
        rows += [
            (
                Button(
                    _label(vote, i, "✅ " if i in chosen else ""),
                    VotePress(vote.id, CHOOSE, i).pack(),
                ),
            )
            for i in range(len(vote.options))
        ]
    if vote.live or not is_open:
        rows.append((ctx.button("votes.show_results", VotePress(vote.id, RESULTS)),))
    options = "\n".join(f"{i + 1}. {escape(o)}" for i, o in enumerate(vote.options))
    text = ctx.t(
        "votes.ballot",
        question=vote.question,
        how=ctx.t(f"votes.how.{vote.kind}"),
        options=Html(options),
        privacy=ctx.t("votes.privacy_note.named" if vote.named else "votes.privacy_note.anonymous"),
        status=status,
        newcomer=Html("") if ctx.user.registered else ctx.t("votes.newcomer_note"),
    )
    if edit:
        ctx.show(text, tuple(rows))
    else:
        ctx.send(text, tuple(rows))


async def join(ctx: Context, typed: str) -> bool:
    """Show the vote a typed code names; an unknown code gets a clear answer. Tell if known."""
    code = normalize_code(typed) or typed.strip().upper()[:20]
    vote = await Votes(ctx.session).by_code(code) if normalize_code(typed) else None
    if vote is None:
        ctx.send(ctx.t("votes.unknown_code", code=code))
        return False
    # The code opens the vote in this chat: the ballot's buttons count from here on.
    await Votes(ctx.session).join(vote, ctx.incoming.chat_id)
    # A training's vote joined by its code (it is on the wall) checks the voter in, so the
    # attendance, the nudges' counts and the tally agree on who is in the room.
    trainings = Trainings(ctx.session)
    training = await trainings.of_vote(vote.id)
    if training is not None and training.state == TRAINING_OPEN:
        await trainings.check_in(training, ctx.user, "vote")
        ctx.data.setdefault("training", training.id)
    await show_ballot(ctx, vote)
    return True


async def may_use_ballot(ctx: Context, vote: VoteSession) -> bool:
    """Tell whether a ballot press comes from a chat the vote was opened in by its code.

    Ballot buttons name the vote by its id, which anyone can guess: the code (or link) is
    what lets someone vote and read live results. In a group, whoever presses the ballot
    the bot posted there votes; the press arrives with that group's chat id.
    """
    if vote.owner_id == ctx.user.id:
        return True
    return await Votes(ctx.session).joined(vote, ctx.incoming.chat_id)


async def on_button(ctx: Context, press: VotePress) -> None:
    """Apply a participant's tap: choose, rank, undo, confirm, or look at the results."""
    # The vote and whether its code was used in this chat, in one round trip (may_use_ballot).
    vote, joined = await Votes(ctx.session).get_in_chat(press.vote, ctx.incoming.chat_id)
    if vote is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    if not (joined or vote.owner_id == ctx.user.id):
        ctx.answer(ctx.t("votes.join_first"), alert=True)
        return
    action = press.action
    index = press.option if press.option is not None else -1
    if action == RESULTS:
        await _results_for_participant(ctx, vote)
        return
    if not await current(ctx, vote):
        ctx.answer(ctx.t("votes.closed", question=vote.question), alert=True)
        await show_ballot(ctx, vote, edit=True)
        return
    votes = Votes(ctx.session)
    valid = 0 <= index < len(vote.options)
    if action == CHOOSE and valid and vote.kind in (SINGLE, MULTIPLE):
        before = [] if vote.kind == SINGLE else await votes.ballot(vote, ctx.user.id) or []
        choices = tap(vote.kind, before, index)
        if choices:
            await votes.cast(vote, ctx.user.id, choices)
            ctx.answer(ctx.t("votes.counted"))
        else:
            await votes.withdraw(vote, ctx.user.id)
            ctx.answer(ctx.t("votes.withdrawn"))
        changed(ctx, vote.id)
        await show_ballot(ctx, vote, edit=True, chosen=choices)
        return
    elif vote.kind == RANKING and action in (RANK, UNDO, AGAIN):
        order = _ranking(ctx, vote) or []
        if action == RANK and valid and index not in order:
            order.append(index)
        elif action == UNDO and order:
            order.pop()
        elif action == AGAIN:
            order = []
        _set_ranking(ctx, vote, order)
        ctx.answer()
    elif vote.kind == RANKING and action == CONFIRM:
        confirmed = _ranking(ctx, vote)
        if not confirmed:
            ctx.answer(ctx.t("votes.rank_first"), alert=True)
            return
        await votes.cast(vote, ctx.user.id, confirmed)
        _set_ranking(ctx, vote, None)
        ctx.answer(ctx.t("votes.counted"))
        changed(ctx, vote.id)
    else:
        ctx.answer(ctx.t("error.outdated_button"))
    await show_ballot(ctx, vote, edit=True)


async def _results_for_participant(ctx: Context, vote: VoteSession) -> None:
    is_open = await current(ctx, vote)
    if is_open and not vote.live:
        ctx.answer(ctx.t("votes.results_after_close"), alert=True)
        return
    ctx.answer()
    result = await Votes(ctx.session).tally(vote)
    ctx.send(results_text(ctx.services.catalogue, ctx.language, vote, result))


# --- ways in -------------------------------------------------------------------------------


async def from_link(ctx: Context) -> None:
    """Open the vote a deep link (/start vote_<CODE>) names."""
    await join(ctx, str(ctx.data.pop("start_argument", "")))


async def vote_command(ctx: Context) -> None:
    """/vote CODE joins at once; /vote alone asks for the code."""
    if ctx.incoming.args:
        await join(ctx, ctx.incoming.args)
    else:
        await JOIN.begin(ctx, fresh=True)


async def from_menu(ctx: Context) -> None:
    """The menu's vote item: ask for the code."""
    await JOIN.begin(ctx, fresh=True)


async def typed_code(ctx: Context) -> bool:
    """Take a code (or its link) typed with no flow active; leave other text to the next."""
    if ctx.incoming.kind is not Kind.TEXT:
        return False
    text = ctx.incoming.text
    code = linked_code(text, LINK_PREFIX) or (text if looks_like_code(text) else None)
    if code is None:
        return False
    await join(ctx, code)
    return True


async def ask_code(ctx: Context, run: FormRun) -> Prompt:
    """Ask for the join code."""
    return Prompt(ctx.t("votes.ask_code"))


async def accept_code(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take a code of an existing vote; ask again for anything else."""
    typed = answer.require_text()
    code = normalize_code(typed)
    if code is None or await Votes(ctx.session).by_code(code) is None:
        raise Invalid("votes.unknown_code", code=typed[:20])
    return code


async def joined(ctx: Context, run: FormRun) -> None:
    """Show the vote whose code was given."""
    await join(ctx, str(run.get("code")))


JOIN = Form("votejoin", "votes.join_flow", [Step("code", ask_code, accept_code)], joined)


async def on_poll_answer(ctx: Context) -> None:
    """Count an answer to a vote posted as a group poll, as that user's one ballot."""
    poll_id = ctx.incoming.poll_id
    votes = Votes(ctx.session)
    vote = await votes.by_poll(poll_id) if poll_id else None
    if vote is None or not await current(ctx, vote):
        return
    choices = [i for i in ctx.incoming.option_ids if 0 <= i < len(vote.options)]
    if vote.kind == SINGLE:
        choices = choices[:1]
    if choices:
        await votes.cast(vote, ctx.user.id, choices, via="poll")
    else:  # the user retracted their answer in the group
        await votes.withdraw(vote, ctx.user.id)
    changed(ctx, vote.id)


def register(router: Router) -> None:
    """Add joining and voting to the router."""
    router.commands["vote"] = vote_command
    router.start_payloads[LINK_PREFIX] = from_link
    router.menu["vote"] = from_menu
    router.button(VotePress, on_button)
    router.form(JOIN)
    router.texts.append(typed_code)
    # Anyone in the room votes at once; registering can wait until after the training.
    router.public_commands.add("vote")
    router.public_flows.update({VotePress.prefix, JOIN.name})
    router.public_start_payloads.add(LINK_PREFIX)
    router.public_texts.append(typed_code)
    router.poll_answer = on_poll_answer
