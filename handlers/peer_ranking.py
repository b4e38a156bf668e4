"""Peer ranking: /rank lets a khoroo's officers order the other khoroos' practices.

The methodology's "rank others' practices": in a district round each khoroo may submit one
ranking (the last officer's submission replaces it), never including its own practice. The
ballot being built is kept in the user's state; every press is checked again on the server
against the round's ballot for this officer, and the storage checks the submission once more.
"""

from __future__ import annotations

from typing import Literal

from handlers.callbacks import Callback
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import Html
from handlers.messages import Button
from handlers.practice_card import place, short_title, texts_for
from storage.contest_judging import OPEN, Judging, JudgingError
from storage.models import ContestRound, Practice
from storage.peer_ranking import PeerRanking
from storage.practices import Practices

DRAFTS = "peer_rank"  # the user's state key: {round id: practice ids chosen so far}


class RankPress(Callback, prefix="rank"):
    """An officer's press while ranking: pick a practice, undo the last, submit, or restart."""

    action: Literal["pick", "undo", "send", "again"]
    round: int
    practice: int = 0


def draft(ctx: Context, round_id: int) -> list[int]:
    """Return the practices chosen so far in this round, best first."""
    return [int(p) for p in ctx.data.get(DRAFTS, {}).get(str(round_id), [])]


def keep(ctx: Context, round_id: int, chosen: list[int] | None) -> None:
    """Save (or, with None, forget) the ballot being built."""
    drafts = dict(ctx.data.get(DRAFTS, {}))
    if chosen is None:
        drafts.pop(str(round_id), None)
    else:
        drafts[str(round_id)] = chosen
    ctx.data[DRAFTS] = drafts


def label(ctx: Context, contest_round: ContestRound, practice: Practice) -> str:
    """Name a practice on the ballot: its title, and its khoroo unless the round is blind."""
    if contest_round.blind:
        return practice.title
    t = texts_for(ctx)
    return f"{practice.title} ({place(t, ctx.language, practice.district, practice.khoroo_number)})"


async def rank_command(ctx: Context) -> None:
    """Open the ranking of the officer's district round, or say why there is none."""
    rounds = await PeerRanking(ctx.session).rounds_for(ctx.user.id)
    if not rounds:
        ctx.send(ctx.t("peer.none"))
        return
    ctx.send(*await screen(ctx, rounds[0]))


async def screen(
    ctx: Context, contest_round: ContestRound
) -> tuple[Html, tuple[tuple[Button, ...], ...]]:
    """Render the ballot: what was chosen, in order, and the practices still to place."""
    peers = PeerRanking(ctx.session)
    loaded = await preload(ctx, contest_round.id)
    ballot = await peers.ballot(contest_round.id, ctx.user.id)
    practices = {p: loaded.get(p) for p in ballot}
    chosen = [p for p in draft(ctx, contest_round.id) if p in practices]
    lines: list[str] = [ctx.t("peer.title", n=len(ballot))]
    current = await peers.ranking_of(contest_round.id, ctx.user.id)
    if current is not None:
        lines.append(ctx.t("peer.submitted", n=len(current.order)))
    lines.append("")
    for place_number, practice_id in enumerate(chosen, 1):
        practice = practices[practice_id]
        if practice is not None:
            lines.append(
                ctx.t("peer.line", place=place_number, name=label(ctx, contest_round, practice))
            )
    left = [p for p in ballot if p not in chosen]
    rows: list[tuple[Button, ...]] = []
    if left:
        lines.append(ctx.t("peer.choose", place=len(chosen) + 1))
        for practice_id in left:
            practice = practices[practice_id]
            if practice is None:
                continue
            rows.append(
                (
                    Button(
                        label=short_title(practice.title),
                        data=RankPress("pick", contest_round.id, practice_id).pack(),
                    ),
                )
            )
    else:
        lines.append(ctx.t("peer.ready"))
        rows.append((ctx.button("peer.send", RankPress("send", contest_round.id)),))
    if chosen:
        rows.append(
            (
                ctx.button("peer.undo", RankPress("undo", contest_round.id)),
                ctx.button("peer.again", RankPress("again", contest_round.id)),
            )
        )
    return Html("\n".join(lines)), tuple(rows)


async def preload(ctx: Context, round_id: int) -> dict[int, Practice]:
    """Load a round's practices in one go; while the caller holds them, checks find them in
    the session instead of one query each."""
    ids = await Judging(ctx.session).practices(round_id)
    return {p.id: p for p in await Practices(ctx.session).by_ids(ids)}


async def on_press(ctx: Context, press: RankPress) -> None:
    """Apply an officer's press, checked against their khoroo's ballot in the round."""
    peers = PeerRanking(ctx.session)
    _held = await preload(ctx, press.round)  # held: the session keeps weak references only
    try:
        contest_round = await Judging(ctx.session).round(press.round)
        if contest_round.state != OPEN:
            raise JudgingError("closed")
        if contest_round.id not in {r.id for r in await peers.rounds_for(ctx.user.id)}:
            raise JudgingError("not_officer")
        ballot = await peers.ballot(contest_round.id, ctx.user.id)
        chosen = [p for p in draft(ctx, contest_round.id) if p in ballot]
        if press.action == "pick":
            if press.practice not in ballot:
                raise JudgingError("not_on_ballot")
            if press.practice not in chosen:
                chosen.append(press.practice)
        elif press.action == "undo":
            chosen = chosen[:-1]
        elif press.action == "again":
            chosen = []
        else:
            if sorted(chosen) != sorted(ballot):
                raise JudgingError("incomplete")
            await peers.submit(contest_round.id, ctx.user.id, chosen)
            keep(ctx, contest_round.id, None)
            ctx.answer(ctx.t("peer.thanks"))
            ctx.show(ctx.t("peer.done", n=len(chosen)))
            return
    except JudgingError as refused:
        ctx.answer(refusal(ctx, refused.reason), alert=True)
        return
    keep(ctx, contest_round.id, chosen)
    ctx.answer()
    ctx.show(*await screen(ctx, contest_round))


def refusal(ctx: Context, reason: str) -> Html:
    """Explain a refused press in the user's language (a general text for a new rule)."""
    key = f"peer.refused.{reason}"
    if key in ctx.services.catalogue.texts.get(ctx.language, {}):
        return ctx.t(key)
    return ctx.t("peer.refused.other")


def register(router: Router) -> None:
    """Add /rank and its buttons to the router."""
    router.commands["rank"] = rank_command
    router.button(RankPress, on_press)
