"""The contest's judging as admins run it: /judging (also reachable from /stages).

The year's rounds with live progress (each juror's "7 / 12", who has not finished, one tap
reminds them), granting jurors to a round, the rubric, closing a round (confirmed), the
results (totals, Kendall's W, the khoroos' peer scores), XLSX and chart exports, and
publishing the results to everyone (confirmed). Admin rights are granted, never declared,
and checked again at every press: a forged press by anyone else changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from handlers import permissions, validators
from handlers.callbacks import Callback
from handlers.commands import refresh_menu
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import Html
from handlers.messages import Button, SendDocument, SendPhoto, SendText
from handlers.practice_card import short_title, texts_for
from handlers.roles import listed, resolve_user, round_name
from handlers.steps import Answer, Form, FormRun, Invalid, Prompt, Step, Stop
from storage.announcements import Announcements
from storage.contest_exports import round_chart, round_workbook
from storage.contest_judging import CAPITAL, OPEN, Judging, JudgingError
from storage.localtime import local_year
from storage.models import ContestRound, User
from storage.peer_ranking import PeerRanking
from storage.practices import Practices
from storage.users import Users

# Lines of results shown in the chat; the XLSX has every practice.
RESULT_LINES = 30

Action = Literal[
    "year",
    "round",
    "remind",
    "juror",
    "rubric",
    "close",
    "closeok",
    "results",
    "xlsx",
    "chart",
    "publish",
    "publishok",
    "open",
    "openok",
]


class JudgingPress(Callback, prefix="jdg"):
    """An admin's press on the judging screens: what to do, and the round or year it is for."""

    action: Action
    target: int


@dataclass(frozen=True)
class Juror:
    """A juror's progress as the admin screen shows it."""

    user_id: int
    user: User | None
    done: int
    total: int
    finished: bool


async def progress(ctx: Context, judging: Judging, contest_round: ContestRound) -> list[Juror]:
    """Return each juror of a round with their progress ("7 / 12")."""
    users = Users(ctx.session)
    # Held while progress is computed: the session keeps weak references only.
    _held = await Practices(ctx.session).by_ids(await judging.practices(contest_round.id))
    return [
        Juror(p.juror, await users.get(p.juror), p.scored, p.total, p.finished)
        for p in await judging.progress(contest_round.id)
    ]


async def refuse_non_admin(ctx: Context) -> bool:
    """Refuse politely unless the user holds admin rights now (True: refused)."""
    if await permissions.is_admin(ctx):
        return False
    ctx.answer(ctx.t("contest.admins_only"), alert=True)
    if ctx.press is None:
        ctx.send(ctx.t("contest.admins_only"))
    return True


# -- The year ------------------------------------------------------------------------------


async def judging_command(ctx: Context) -> None:
    """/judging [YEAR]: the year's rounds with their progress (admins only)."""
    if await refuse_non_admin(ctx):
        return
    words = (ctx.incoming.text or "").split()
    year = local_year(ctx.services.clock())
    if len(words) > 1 and words[1].isdigit() and 2000 <= int(words[1]) <= 2100:
        year = int(words[1])
    ctx.send(*await year_screen(ctx, year))


async def year_screen(ctx: Context, year: int) -> tuple[Html, tuple[tuple[Button, ...], ...]]:
    """Render the year's rounds, each with its jurors' progress, and the ways on."""
    judging = Judging(ctx.session)
    lines = [ctx.t("judging.title", year=str(year))]
    rows: list[tuple[Button, ...]] = []
    for contest_round in await judging.rounds(year):
        jurors = await progress(ctx, judging, contest_round)
        done = sum(1 for j in jurors if j.finished)
        lines.append(
            ctx.t(
                "judging.round_line",
                name=round_name(ctx, contest_round),
                state=ctx.t(f"judging.state.{contest_round.state}"),
                practices=len(await judging.practices(contest_round.id)),
                done=done,
                jurors=len(jurors),
            )
        )
        rows.append(
            (
                Button(
                    label=short_title(str(round_name(ctx, contest_round))),
                    data=JudgingPress("round", contest_round.id).pack(),
                ),
            )
        )
    if len(lines) == 1:
        lines.append(ctx.t("judging.no_rounds"))
    waiting = await judging.districts_to_judge(year)
    if waiting:
        rows.append((ctx.button("judging.open", JudgingPress("open", year), n=len(waiting)),))
    capital = await judging.capital_round(year)
    if capital is not None and capital.state != OPEN:
        rows.append((ctx.button("judging.publish", JudgingPress("publish", year)),))
    return Html("\n\n".join(lines)), tuple(rows)


# -- One round -----------------------------------------------------------------------------


async def round_screen(
    ctx: Context, contest_round: ContestRound
) -> tuple[Html, tuple[tuple[Button, ...], ...]]:
    """Render a round: its settings, each juror's progress, and what an admin can do."""
    judging = Judging(ctx.session)
    jurors = await progress(ctx, judging, contest_round)
    lines = [
        ctx.t(
            "judging.round_title",
            name=round_name(ctx, contest_round),
            state=ctx.t(f"judging.state.{contest_round.state}"),
            practices=len(await judging.practices(contest_round.id)),
        ),
        ctx.t(
            "judging.settings",
            top=contest_round.top_n,
            peer=contest_round.peer_share,
            blind=ctx.t("judging.yes" if contest_round.blind else "judging.no"),
            normalise=ctx.t("judging.yes" if contest_round.normalise else "judging.no"),
        ),
        "",
    ]
    if jurors:
        lines.append(ctx.t("judging.jurors"))
        for juror in jurors:
            lines.append(
                ctx.t(
                    "judging.juror_done" if juror.finished else "judging.juror_line",
                    name=listed(juror.user, juror.user_id),
                    done=juror.done,
                    total=juror.total,
                )
            )
    else:
        lines.append(ctx.t("judging.no_jurors"))
    waiting = [j for j in jurors if not j.finished]
    target = contest_round.id
    rows: list[tuple[Button, ...]] = []
    if contest_round.state == OPEN:
        if waiting:
            rows.append(
                (ctx.button("judging.remind", JudgingPress("remind", target), n=len(waiting)),)
            )
        rows.append(
            (
                ctx.button("judging.add_juror", JudgingPress("juror", target)),
                ctx.button("judging.rubric", JudgingPress("rubric", target)),
            )
        )
    rows.append(
        (
            ctx.button("judging.results", JudgingPress("results", target)),
            ctx.button("judging.xlsx", JudgingPress("xlsx", target)),
            ctx.button("judging.chart", JudgingPress("chart", target)),
        )
    )
    if contest_round.state == OPEN:
        rows.append((ctx.button("judging.close", JudgingPress("close", target)),))
    rows.append((ctx.button("judging.back", JudgingPress("year", contest_round.year)),))
    return Html("\n".join(lines)), tuple(rows)


async def rubric_text(ctx: Context, year: int) -> Html:
    """Describe the year's rubric: each criterion's name, weight, scale and description."""
    lines = [ctx.t("judging.rubric_title", year=str(year))]
    for criterion in await Judging(ctx.session).rubric(year):
        lines.append(
            ctx.t(
                "judging.rubric_line",
                name=criterion.name(ctx.language),
                weight=criterion.weight,
                low=criterion.scale_min,
                high=criterion.scale_max,
                description=criterion.description(ctx.language),
            )
        )
    return Html("\n\n".join(lines))


async def results_text(ctx: Context, contest_round: ContestRound) -> Html:
    """Describe a round's standings: totals, the jury's agreement and the peer scores."""
    judging = Judging(ctx.session)
    result = await judging.results(contest_round.id)
    peers = await PeerRanking(ctx.session).scores(contest_round.id)
    practices = Practices(ctx.session)
    lines = [ctx.t("judging.results_title", name=round_name(ctx, contest_round))]
    t = texts_for(ctx)
    for standing in result.standings[:RESULT_LINES]:
        practice = await practices.get(standing.practice)
        if practice is None:
            continue
        total = "—" if standing.total is None else f"{standing.total:.1f}"
        peer = peers.get(standing.practice)
        lines.append(
            ctx.t(
                "judging.result_line",
                rank=standing.rank,
                title=short_title(practice.title, 60),
                place=t(
                    "judging.place",
                    district=practice.district.name(ctx.language) if practice.district else "—",
                    khoroo=practice.khoroo_number or "—",
                ),
                total=total,
                peer="" if peer is None else ctx.t("judging.peer", score=f"{peer:.0f}"),
            )
        )
    if len(result.standings) > RESULT_LINES:
        lines.append(ctx.t("judging.more", n=len(result.standings) - RESULT_LINES))
    if result.agreement is None:
        lines.append(ctx.t("judging.no_agreement"))
    else:
        lines.append(ctx.t("judging.agreement", w=f"{result.agreement:.2f}", jurors=result.jurors))
    return Html("\n".join(lines))


# -- Presses -------------------------------------------------------------------------------


async def on_press(ctx: Context, press: JudgingPress) -> None:
    """Do what an admin pressed; the admin check is made again on every press."""
    if await refuse_non_admin(ctx):
        return
    try:
        if press.action in YEAR_ACTIONS:
            await YEAR_ACTIONS[press.action](ctx, press.target)
            return
        judging = Judging(ctx.session)
        contest_round = await judging.round(press.target)
        await ROUND_ACTIONS[press.action](ctx, judging, contest_round)
    except JudgingError as refused:
        ctx.answer(refusal(ctx, refused.reason), alert=True)


def refusal(ctx: Context, reason: str) -> Html:
    """Explain a refused action, in the user's language (a generic text for a new rule)."""
    key = f"jury.refused.{reason}"
    if key in ctx.services.catalogue.texts.get(ctx.language, {}):
        return ctx.t(key)
    return ctx.t("judging.refused")


async def show_year(ctx: Context, year: int) -> None:
    """Show the year's rounds."""
    ctx.answer()
    ctx.show(*await year_screen(ctx, year))


async def confirm_open(ctx: Context, year: int) -> None:
    """Ask the admin to confirm opening the district rounds of the year."""
    waiting = await Judging(ctx.session).districts_to_judge(year)
    ctx.answer()
    ctx.show(
        ctx.t("judging.open_confirm", year=str(year), n=len(waiting)),
        (
            (
                ctx.button("judging.open_yes", JudgingPress("openok", year)),
                ctx.button("judging.cancel", JudgingPress("year", year)),
            ),
        ),
    )


async def do_open(ctx: Context, year: int) -> None:
    """Open a round for every district with approved practices of the year."""
    opened = await Judging(ctx.session).open_year(year, ctx.user.id)
    ctx.answer(ctx.t("judging.opened", n=len(opened)))
    ctx.show(*await year_screen(ctx, year))


async def confirm_publish(ctx: Context, year: int) -> None:
    """Ask the admin to confirm publishing the year's results to everyone."""
    capital = await Judging(ctx.session).capital_round(year)
    if capital is None or capital.state == OPEN:
        raise JudgingError("still_open")
    ctx.answer()
    ctx.show(
        ctx.t("judging.publish_confirm", year=str(year)),
        (
            (
                ctx.button("judging.publish_yes", JudgingPress("publishok", year)),
                ctx.button("judging.cancel", JudgingPress("year", year)),
            ),
        ),
    )


async def do_publish(ctx: Context, year: int) -> None:
    """Queue the year's results for everyone through the outbox."""
    announcement = await ctx.services.contest.publish_results(
        ctx.session, ctx.services.catalogue, year, ctx.services.clock(), ctx.user.id
    )
    recipients = await Announcements(ctx.session).count_recipients(announcement.audience)
    ctx.answer(ctx.t("judging.published", n=recipients))
    ctx.show(*await year_screen(ctx, year))


YEAR_ACTIONS = {
    "year": show_year,
    "open": confirm_open,
    "openok": do_open,
    "publish": confirm_publish,
    "publishok": do_publish,
}


async def show_round(ctx: Context, judging: Judging, contest_round: ContestRound) -> None:
    """Show a round's screen."""
    ctx.answer()
    ctx.show(*await round_screen(ctx, contest_round))


async def remind(ctx: Context, judging: Judging, contest_round: ContestRound) -> None:
    """Remind, through the outbox, each juror who has not finished the round."""
    if contest_round.state != OPEN:
        raise JudgingError("closed")
    reminder = await ctx.services.contest.remind_jurors(
        ctx.session, ctx.services.catalogue, contest_round.id, ctx.services.clock(), ctx.user.id
    )
    jurors = 0 if reminder is None else len(reminder.audience.get("ids", []))
    ctx.answer(ctx.t("judging.reminded", n=jurors))


async def ask_juror(ctx: Context, judging: Judging, contest_round: ContestRound) -> None:
    """Ask who to add to the round's jury."""
    if contest_round.state != OPEN:
        raise JudgingError("closed")
    ctx.answer()
    await JUROR_FORM.open(ctx, {"round": contest_round.id}, "who", edit=False)


async def show_rubric(ctx: Context, judging: Judging, contest_round: ContestRound) -> None:
    """Send the year's rubric."""
    ctx.answer()
    ctx.send(await rubric_text(ctx, contest_round.year))


async def confirm_close(ctx: Context, judging: Judging, contest_round: ContestRound) -> None:
    """Ask the admin to confirm closing a round (saying who has not finished)."""
    if contest_round.state != OPEN:
        raise JudgingError("closed")
    waiting = sum(1 for j in await progress(ctx, judging, contest_round) if not j.finished)
    key = (
        "judging.close_capital_confirm"
        if contest_round.level == CAPITAL
        else "judging.close_confirm"
    )
    ctx.answer()
    ctx.show(
        ctx.t(key, name=round_name(ctx, contest_round), waiting=waiting, top=contest_round.top_n),
        (
            (
                ctx.button("judging.close_yes", JudgingPress("closeok", contest_round.id)),
                ctx.button("judging.cancel", JudgingPress("round", contest_round.id)),
            ),
        ),
    )


async def do_close(ctx: Context, judging: Judging, contest_round: ContestRound) -> None:
    """Close the round (its best advance, the khoroos are told), then show the results."""
    closing = await ctx.services.contest.close_round(
        ctx.session, ctx.services.catalogue, contest_round.id, ctx.services.clock(), ctx.user.id
    )
    ctx.answer(ctx.t("judging.closed", n=len(closing.advanced)))
    ctx.show(*await round_screen(ctx, contest_round))
    ctx.send(await results_text(ctx, contest_round))


async def show_results(ctx: Context, judging: Judging, contest_round: ContestRound) -> None:
    """Send the round's standings."""
    ctx.answer()
    ctx.send(await results_text(ctx, contest_round))


async def send_xlsx(ctx: Context, judging: Judging, contest_round: ContestRound) -> None:
    """Send the round's results as an XLSX workbook."""
    data = await round_workbook(ctx.session, contest_round.id, ctx.language)
    ctx.answer()
    ctx.replies.append(
        SendDocument(
            data,
            filename=f"contest-{contest_round.year}-round-{contest_round.id}.xlsx",
            caption=ctx.t("judging.xlsx_caption", name=round_name(ctx, contest_round)),
        )
    )


async def send_chart(ctx: Context, judging: Judging, contest_round: ContestRound) -> None:
    """Send the round's totals as a chart image."""
    data = await round_chart(ctx.session, contest_round.id, ctx.language)
    ctx.answer()
    ctx.replies.append(
        SendPhoto(
            data,
            caption=ctx.t("judging.chart_caption", name=round_name(ctx, contest_round)),
            filename=f"contest-round-{contest_round.id}.png",
        )
    )


ROUND_ACTIONS = {
    "round": show_round,
    "remind": remind,
    "juror": ask_juror,
    "rubric": show_rubric,
    "close": confirm_close,
    "closeok": do_close,
    "results": show_results,
    "xlsx": send_xlsx,
    "chart": send_chart,
}


# -- Granting a juror ----------------------------------------------------------------------


async def ask_who(ctx: Context, run: FormRun) -> Prompt:
    """Ask for the juror's id or @username."""
    return Prompt(ctx.t("judging.ask_juror"))


async def accept_who(ctx: Context, run: FormRun, answer: Answer) -> object:
    """Take a registered user named by id or @username."""
    if await refuse_non_admin(ctx):
        JUROR_FORM.discard(ctx)
        return Stop()
    word = validators.text(answer, 1, 64).split()[0]
    user = await resolve_user(ctx, word)
    if user is None or not user.registered:
        raise Invalid("judging.no_such_user", who=word)
    return user.id


async def finish_juror(ctx: Context, run: FormRun) -> None:
    """Grant the named user the round's jury, tell them, and show the round again."""
    judging = Judging(ctx.session)
    user = await Users(ctx.session).get(int(run.values["who"]))
    try:
        contest_round = await judging.round(int(run.values["round"]))
        if contest_round.state != OPEN:
            raise JudgingError("closed")
        if user is None:
            raise JudgingError("not_juror")
        added = await judging.grant_juror(contest_round.id, user.id, ctx.user.id)
    except JudgingError as refused:
        ctx.send(refusal(ctx, refused.reason))
        return
    # The juror role puts /jury in their menu; the round's grant is what lets them score.
    if await Users(ctx.session).grant(user.id, permissions.JUROR, None, granted_by=ctx.user.id):
        await refresh_menu(ctx, user)
    ctx.send(
        ctx.t(
            "judging.juror_added" if added else "judging.juror_was",
            name=listed(user, user.id),
            round=round_name(ctx, contest_round),
        )
    )
    if added and not user.blocked:
        t = texts_for(ctx, user.language)
        ctx.replies.append(
            SendText(
                t("judging.you_are_juror", round=round_name(ctx, contest_round, user.language)),
                chat_id=user.id,
            )
        )
    ctx.send(*await round_screen(ctx, contest_round))


JUROR_FORM = Form("jgrant", "flow.jgrant", (Step("who", ask_who, accept_who),), finish_juror)


def register(router: Router) -> None:
    """Add /judging, its buttons and the juror form to the router."""
    router.form(JUROR_FORM)
    router.commands["judging"] = judging_command
    router.button(JudgingPress, on_press)
