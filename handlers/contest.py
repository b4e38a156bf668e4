"""The contest calendar: /contest for everyone, /stages for admins.

Dates are typed and shown in Ulaanbaatar time and stored in UTC (``storage.contest_files``
reads them, and calendar files). The stage notices the sender queues are in
``bot/contest_notices.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from handlers import permissions, validators
from handlers.callbacks import Callback
from handlers.contest_admin import JudgingPress
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.i18n import TIMEZONE, format_date
from handlers.messages import Button
from handlers.steps import Accept, Answer, Form, FormRun, Invalid, Prompt, Step, Stop
from storage.audit import AuditLog
from storage.contest import KINDS, Contest, StageSpec
from storage.contest_files import NAME_LIMIT
from storage.localtime import local_year


class StagesPress(Callback, prefix="stages"):
    """An admin's button on the calendar: add a stage, or delete one."""

    action: Literal["add", "del"]
    stage: int | None = None


def when(moment: datetime, language: str) -> str:
    """Write a moment as a date with its time when the time is not midnight or 23:59."""
    local = moment.astimezone(TIMEZONE)
    with_time = (local.hour, local.minute) not in ((0, 0), (23, 59))
    return format_date(moment, language, with_time=with_time)


async def require_admin(ctx: Context) -> bool:
    """Tell whether the user is an admin; refuse politely (and end any admin form) if not."""
    if await permissions.is_admin(ctx):
        return True
    form = ctx.router.forms.get(ctx.state.flow or "")
    if form is not None:
        form.discard(ctx)
    ctx.answer(ctx.t("contest.admins_only"), alert=True)
    ctx.send(ctx.t("contest.admins_only"))
    return False


def admin_step(accept: Accept) -> Accept:
    """Wrap a step's accept so that every answer is checked for admin rights on the server."""

    async def guarded(ctx: Context, run: FormRun, answer: Answer) -> object:
        if not await require_admin(ctx):
            return Stop()
        return await accept(ctx, run, answer)

    return guarded


# -- /contest -------------------------------------------------------------------------------


async def calendar_text(ctx: Context) -> str | None:
    """Describe the current stage, what to do now and the next deadline (None: no calendar)."""
    now = ctx.services.clock()
    contest = Contest(ctx.session)
    current = await contest.current(now)
    upcoming = await contest.upcoming(now)
    language = ctx.language
    parts = []
    if current is not None:
        parts.append(
            ctx.t(
                "contest.current",
                stage=current.name(language),
                starts=when(current.starts_at, language),
                ends=when(current.ends_at, language),
            )
        )
        parts.append(ctx.t(f"contest.todo.{current.kind}"))
        days = (current.ends_at - now).days
        parts.append(
            ctx.t("contest.deadline", ends=when(current.ends_at, language), n=max(days, 0))
        )
    if upcoming:
        following = upcoming[0]
        parts.append(
            ctx.t(
                "contest.next",
                stage=following.name(language),
                starts=when(following.starts_at, language),
            )
        )
    return "\n\n".join(parts) if parts else None


async def contest_command(ctx: Context) -> None:
    """Show the current stage, what to do now, and the next deadline."""
    ctx.send(await calendar_text(ctx) or ctx.t("contest.nothing"))


# -- /stages (admins) -----------------------------------------------------------------------


async def stages_command(ctx: Context) -> None:
    """List the stages with buttons to add and delete (admins only)."""
    if not await require_admin(ctx):
        return
    await show_stages(ctx, edit=False)


async def show_stages(ctx: Context, *, edit: bool = True) -> None:
    """Show the calendar as an admin manages it."""
    stages = await Contest(ctx.session).stages()
    language = ctx.language
    lines = [ctx.t("stages.title")]
    buttons: list[tuple[Button, ...]] = []
    for number, stage in enumerate(stages, 1):
        lines.append(
            ctx.t(
                "stages.line",
                number=number,
                stage=stage.name(language),
                kind=ctx.t(f"stages.kind.{stage.kind}"),
                starts=when(stage.starts_at, language),
                ends=when(stage.ends_at, language),
            )
        )
        buttons.append((ctx.button("stages.delete", StagesPress("del", stage.id), number=number),))
    if not stages:
        lines.append(ctx.t("stages.empty"))
    buttons.append((ctx.button("stages.add", StagesPress("add")),))
    year = local_year(ctx.services.clock())
    buttons.append((ctx.button("stages.judging", JudgingPress("year", year), year=str(year)),))
    text = "\n".join(lines)
    if edit:
        ctx.show(text, tuple(buttons))
    else:
        ctx.send(text, tuple(buttons))


async def on_stages(ctx: Context, press: StagesPress) -> None:
    """Add or delete a stage; the admin check is made on every press."""
    if not await require_admin(ctx):
        return
    if press.action == "add":
        ctx.answer()
        await STAGE_FORM.begin(ctx, fresh=True, edit=False)
    else:
        removed = await Contest(ctx.session).remove(press.stage or 0)
        ctx.answer(ctx.t("stages.deleted" if removed else "error.outdated_button"))
        await show_stages(ctx)


async def ask_name_mn(ctx: Context, run: FormRun) -> Prompt:
    """Ask for the stage's Mongolian name."""
    return Prompt(ctx.t("stages.ask_name_mn"))


async def ask_name_en(ctx: Context, run: FormRun) -> Prompt:
    """Ask for the stage's English name."""
    return Prompt(ctx.t("stages.ask_name_en"))


async def accept_name(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take a name of reasonable length."""
    return validators.text(answer, 1, NAME_LIMIT, with_letters=True)


async def ask_kind(ctx: Context, run: FormRun) -> Prompt:
    """Offer the kinds of stage."""
    buttons = tuple(
        (ctx.button(f"stages.kind.{kind}", STAGE_FORM.data("kind", kind)),) for kind in KINDS
    )
    return Prompt(ctx.t("stages.ask_kind"), buttons)


async def accept_kind(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take a kind button."""
    if answer.choice not in KINDS:
        raise Invalid("error.button_expected")
    return answer.choice


async def ask_starts(ctx: Context, run: FormRun) -> Prompt:
    """Ask for the start date."""
    return Prompt(ctx.t("stages.ask_starts"))


async def accept_starts(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take a start date in Ulaanbaatar time."""
    return validators.moment(answer.require_text()).isoformat()


async def ask_ends(ctx: Context, run: FormRun) -> Prompt:
    """Ask for the end date (the deadline)."""
    return Prompt(ctx.t("stages.ask_ends"))


async def accept_ends(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take an end date after the start."""
    ends = validators.moment(answer.require_text(), end_of_day=True)
    starts = datetime.fromisoformat(run.values["starts"])
    if ends <= starts:
        raise Invalid("stages.ends_before_start", starts=when(starts, ctx.language))
    return ends.isoformat()


async def finish_stage(ctx: Context, run: FormRun) -> None:
    """Save the stage and show the calendar."""
    if not await require_admin(ctx):
        return
    starts = datetime.fromisoformat(run.values["starts"])
    spec = StageSpec(
        name_mn=run.values["name_mn"],
        name_en=run.values["name_en"],
        kind=run.values["kind"],
        starts_at=starts,
        ends_at=datetime.fromisoformat(run.values["ends"]),
        year=local_year(starts),
    )
    stage = await Contest(ctx.session).add(spec)
    AuditLog(ctx.session).record(ctx.user.id, "contest.stage_add", f"stage:{stage.id}")
    ctx.send(ctx.t("stages.saved", stage=spec.name_mn if ctx.language == "mn" else spec.name_en))
    await show_stages(ctx, edit=False)


STAGE_FORM = Form(
    "stage",
    "flow.stage",
    (
        Step("name_mn", ask_name_mn, admin_step(accept_name)),
        Step("name_en", ask_name_en, admin_step(accept_name)),
        Step("kind", ask_kind, admin_step(accept_kind)),
        Step("starts", ask_starts, admin_step(accept_starts)),
        Step("ends", ask_ends, admin_step(accept_ends)),
    ),
    finish_stage,
)


def register(router: Router) -> None:
    """Add /contest, /stages and the stage form to the router."""
    router.form(STAGE_FORM)
    router.commands.update({"contest": contest_command, "stages": stages_command})
    router.button(StagesPress, on_stages)
