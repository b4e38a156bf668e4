"""The juror's score sheet: /jury opens the practices of the rounds they were granted.

One practice at a time, in an order that is random per juror but stable, with one row of
mark buttons per criterion, an optional comment, the practice's files on request and the
progress ("7 / 12"). Every mark and comment goes through ``storage.contest_judging``, which
checks the grant, the round and the juror's khoroo again on each press, and chains it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

from handlers import validators
from handlers.callbacks import Callback
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import Html
from handlers.messages import Button
from handlers.practice_card import card_of, media_replies, place, texts_for
from handlers.steps import Answer, Form, FormRun, Prompt, Step, Stop
from knowledge.contest import Criterion
from storage.contest_judging import Judging, JudgingError
from storage.models import ContestRound, Practice
from storage.practices import Practices

# How much of each long field the sheet shows: the sheet must stay one message.
EXCERPT = 500
# A comment is a few sentences for the organisers, not an essay.
COMMENT_LIMIT = 1000
DIGITS: tuple[Digit, ...] = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")


# A rubric has at most ten criteria, each scored on a scale within 1..9: one digit each
# keeps a mark's button within Telegram's 64 bytes whatever the ids.
Digit = Literal["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]


class JuryOpen(Callback, prefix="juryo"):
    """A juror's press that opens a practice of a round's sheet."""

    round: int
    practice: int


class JuryMark(Callback, prefix="jurym"):
    """A juror's mark: a practice of a round, the criterion's place in the rubric, the value."""

    round: int
    practice: int
    criterion: Digit
    value: Digit


class JuryComment(Callback, prefix="juryc"):
    """A juror's press to write (or clear) their comment on a practice of a round."""

    round: int
    practice: int
    clear: bool = False


class JuryFiles(Callback, prefix="juryf"):
    """A juror's press asking for a practice's photos and documents."""

    round: int
    practice: int


def excerpt(text: str) -> str:
    """Return the start of a long text, cut at a word."""
    if len(text) <= EXCERPT:
        return text
    return text[:EXCERPT].rsplit(" ", 1)[0] + "…"


async def hold(judging: Judging, round_id: int) -> Sequence[Practice]:
    """Load a round's practices in one query, for the caller to hold while it checks them.

    The session keeps loaded rows only while someone holds them (a weak identity map); held,
    every ownership check of the round finds its practice there instead of querying again.
    """
    return await Practices(judging.session).by_ids(await judging.practices(round_id))


async def sheet_order(judging: Judging, round_id: int, juror_id: int) -> list[int]:
    """Return the round's practices in this juror's own order (their khoroo's left out).

    Callers load the round's practices first (`hold`), so the checks find them in the session.
    """
    practices = await judging.sheet(round_id, juror_id)
    random.Random(f"{round_id}:{juror_id}").shuffle(practices)
    return practices


async def jury_command(ctx: Context) -> None:
    """Open the score sheet at the first practice not fully marked yet."""
    judging = Judging(ctx.session)
    rounds = await judging.open_rounds_of(ctx.user.id)
    if not rounds:
        ctx.send(ctx.t("jury.none"))
        return
    contest_round = rounds[0]
    _held = await hold(judging, contest_round.id)
    order = await sheet_order(judging, contest_round.id, ctx.user.id)
    if not order:
        ctx.send(ctx.t("jury.empty"))
        return
    done = await finished(judging, contest_round, ctx.user.id)
    start = next((p for p in order if p not in done), order[0])
    ctx.send(*await sheet(ctx, judging, contest_round, start))


async def finished(judging: Judging, contest_round: ContestRound, juror_id: int) -> set[int]:
    """Return the practices this juror has marked on every criterion."""
    criteria = await judging.rubric(contest_round.year)
    marked: dict[int, int] = {}
    for score in await judging.scores(contest_round.id):
        if score.juror == juror_id:
            marked[score.practice] = marked.get(score.practice, 0) + 1
    return {p for p, n in marked.items() if n >= len(criteria)}


async def sheet(
    ctx: Context, judging: Judging, contest_round: ContestRound, practice_id: int
) -> tuple[Html, tuple[tuple[Button, ...], ...]]:
    """Render one practice of the sheet with its mark rows and the way on."""
    t = texts_for(ctx)
    criteria = await judging.rubric(contest_round.year)
    order = await sheet_order(judging, contest_round.id, ctx.user.id)
    own = [s for s in await judging.scores(contest_round.id) if s.juror == ctx.user.id]
    marked: dict[int, int] = {}
    for score in own:
        marked[score.practice] = marked.get(score.practice, 0) + 1
    done = [p for p in order if marked.get(p, 0) >= len(criteria)]
    practice = await Practices(ctx.session).get(practice_id)
    assert practice is not None  # entries keep their practices (RESTRICT)
    mine = {s.criterion: int(s.value) for s in own if s.practice == practice_id}
    progress = ctx.t("jury.progress", done=len(done), total=len(order))
    if order and len(done) == len(order):  # said once all are marked, not left to be guessed
        progress = ctx.t("jury.all_done", progress=progress)
    lines: list[str] = [progress, t("card.title", title=practice.title)]
    if not contest_round.blind:
        lines.append(
            t("card.where", place=place(t, ctx.language, practice.district, practice.khoroo_number))
        )
    lines += [
        t("card.category", category=t(f"category.{practice.category}")),
        "",
        t("card.problem", text=excerpt(practice.problem)),
        t("card.solution", text=excerpt(practice.solution)),
        t("card.results", text=excerpt(practice.results)),
    ]
    if practice.resources:
        lines.append(t("card.resources", text=excerpt(practice.resources)))
    if practice.partners:
        lines.append(t("card.partners", text=excerpt(practice.partners)))
    if practice.contact and not contest_round.blind:  # the contact names the author
        lines.append(t("card.contact", text=excerpt(practice.contact)))
    comment = await judging.comment(contest_round.id, ctx.user.id, practice_id)
    if comment:
        lines.append(ctx.t("jury.your_comment", text=excerpt(comment)))
    lines.append("")
    rows: list[tuple[Button, ...]] = []
    for index, criterion in enumerate(criteria[: len(DIGITS)]):
        lines.append(criterion_line(ctx, criterion, mine.get(criterion.code)))
        rows.append(mark_row(ctx, contest_round.id, practice_id, index, criterion, mine))
    extras = [ctx.button("jury.comment", JuryComment(contest_round.id, practice_id))]
    if practice.attachments:
        extras.append(
            ctx.button(
                "jury.files", JuryFiles(contest_round.id, practice_id), n=len(practice.attachments)
            )
        )
    rows.append(tuple(extras))
    position = order.index(practice_id) if practice_id in order else 0
    following = order[(position + 1) % len(order)]
    rows.append((ctx.button("jury.next", JuryOpen(contest_round.id, following)),))
    return Html("\n".join(lines)), tuple(rows)


def criterion_line(ctx: Context, criterion: Criterion, mark: int | None) -> Html:
    """Describe a criterion as the juror sees it while marking."""
    return ctx.t(
        "jury.criterion",
        name=criterion.name(ctx.language),
        weight=criterion.weight,
        description=criterion.description(ctx.language),
        mark=str(mark) if mark is not None else "—",
    )


def mark_row(
    ctx: Context,
    round_id: int,
    practice_id: int,
    index: int,
    criterion: Criterion,
    mine: dict[str, int],
) -> tuple[Button, ...]:
    """Return one criterion's row of mark buttons, the current mark ticked."""
    return tuple(
        ctx.button(
            "jury.chosen" if mine.get(criterion.code) == value else "jury.mark",
            JuryMark(round_id, practice_id, DIGITS[index], DIGITS[value]),
            value=value,
        )
        for value in range(criterion.scale_min, criterion.scale_max + 1)
    )


async def on_open(ctx: Context, press: JuryOpen) -> None:
    """Show a practice of the juror's sheet."""
    await answer_press(ctx, press.round, press.practice, None)


async def on_mark(ctx: Context, press: JuryMark) -> None:
    """Record a mark and show the sheet again with it."""
    await answer_press(ctx, press.round, press.practice, (int(press.criterion), int(press.value)))


async def checked(judging: Judging, juror_id: int, round_id: int, practice_id: int) -> ContestRound:
    """Return the round if this juror may see this practice in it now; refuse otherwise."""
    contest_round = await judging.round(round_id)
    if juror_id not in await judging.jurors(contest_round.id):
        raise JudgingError("not_juror")
    if practice_id not in await judging.practices(contest_round.id):
        raise JudgingError("not_in_round")
    if await judging.own_practice(juror_id, practice_id):
        raise JudgingError("own_khoroo")
    return contest_round


async def answer_press(
    ctx: Context, round_id: int, practice_id: int, mark: tuple[int, int] | None
) -> None:
    """Check the press against the round (again, on the server), apply it, show the sheet."""
    judging = Judging(ctx.session)
    _held = await hold(judging, round_id)
    if ctx.state.flow == COMMENT_FORM.name:  # pressed on instead of writing: no comment then
        COMMENT_FORM.discard(ctx)
    try:
        contest_round = await judging.round(round_id)
        if ctx.user.id not in await judging.jurors(contest_round.id):
            raise JudgingError("not_juror")
        if mark is not None:
            criteria = await judging.rubric(contest_round.year)
            index, value = mark
            if index >= len(criteria):
                raise JudgingError("unknown_criterion")
            await judging.record_score(
                contest_round.id, ctx.user.id, practice_id, criteria[index].code, value
            )
        elif practice_id not in await sheet_order(judging, contest_round.id, ctx.user.id):
            raise JudgingError("not_in_round")
    except JudgingError as refused:
        ctx.answer(ctx.t(f"jury.refused.{refused.reason}"), alert=True)
        return
    ctx.answer()
    ctx.show(*await sheet(ctx, judging, contest_round, practice_id))


async def on_files(ctx: Context, press: JuryFiles) -> None:
    """Send a practice's photos and documents to a juror who may see it."""
    judging = Judging(ctx.session)
    try:
        await checked(judging, ctx.user.id, press.round, press.practice)
    except JudgingError as refused:
        ctx.answer(ctx.t(f"jury.refused.{refused.reason}"), alert=True)
        return
    practice = await Practices(ctx.session).get(press.practice)
    assert practice is not None  # entries keep their practices (RESTRICT)
    ctx.answer()
    ctx.replies.extend(media_replies(card_of(practice)))


async def on_comment(ctx: Context, press: JuryComment) -> None:
    """Ask for the juror's comment on a practice, or clear it."""
    judging = Judging(ctx.session)
    try:
        contest_round = await checked(judging, ctx.user.id, press.round, press.practice)
        if press.clear:
            await judging.set_comment(contest_round.id, ctx.user.id, press.practice, None)
    except JudgingError as refused:
        ctx.answer(ctx.t(f"jury.refused.{refused.reason}"), alert=True)
        return
    ctx.answer()
    if press.clear:
        COMMENT_FORM.discard(ctx)
        ctx.send(ctx.t("jury.comment_cleared"))
        ctx.send(*await sheet(ctx, judging, contest_round, press.practice))
        return
    await COMMENT_FORM.open(
        ctx, {"round": press.round, "practice": press.practice}, "text", edit=False
    )


async def ask_comment(ctx: Context, run: FormRun) -> Prompt:
    """Ask for the comment, showing the one in force (with a way to clear it)."""
    judging = Judging(ctx.session)
    current = await judging.comment(
        int(run.values["round"]), ctx.user.id, int(run.values["practice"])
    )
    if not current:
        return Prompt(ctx.t("jury.ask_comment", limit=COMMENT_LIMIT))
    return Prompt(
        ctx.t("jury.ask_new_comment", text=excerpt(current)),
        (
            (
                ctx.button(
                    "jury.clear_comment",
                    JuryComment(int(run.values["round"]), int(run.values["practice"]), True),
                ),
            ),
        ),
    )


async def accept_comment(ctx: Context, run: FormRun, answer: Answer) -> object:
    """Take the comment and record it (chained), then show the sheet again."""
    text = validators.text(answer, 1, COMMENT_LIMIT)
    judging = Judging(ctx.session)
    round_id, practice_id = int(run.values["round"]), int(run.values["practice"])
    COMMENT_FORM.discard(ctx)
    try:
        contest_round = await checked(judging, ctx.user.id, round_id, practice_id)
        await judging.set_comment(round_id, ctx.user.id, practice_id, text)
    except JudgingError as refused:
        ctx.send(ctx.t(f"jury.refused.{refused.reason}"))
        return Stop()
    ctx.send(ctx.t("jury.comment_saved"))
    ctx.send(*await sheet(ctx, judging, contest_round, practice_id))
    return Stop()


async def no_finish(ctx: Context, run: FormRun) -> None:
    """Nothing to do: the step saved the comment."""


COMMENT_FORM = Form(
    "jcomment", "flow.jcomment", (Step("text", ask_comment, accept_comment),), no_finish
)


def register(router: Router) -> None:
    """Add /jury, its buttons and the comment form to the router."""
    router.form(COMMENT_FORM)
    router.commands["jury"] = jury_command
    router.button(JuryOpen, on_open)
    router.button(JuryMark, on_mark)
    router.button(JuryComment, on_comment)
    router.button(JuryFiles, on_files)
