"""Queues people can reach: /review and /pending for reviewers and admins, /myvotes for trainers.

A reviewer's queue is read from their grants when they ask, so a reviewer granted after a
practice was submitted sees it too. Deciding reuses the review card and its buttons, whose
rights are checked again on every press.
"""

from __future__ import annotations

from typing import Literal

from handlers.callbacks import Callback
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import Html
from handlers.i18n import Catalogue
from handlers.messages import Button, Keyboard, SendText
from handlers.permissions import REVIEWER, is_admin, is_trainer, own_practice
from handlers.practice_card import card_of, place, send_card, short_title, texts_for
from handlers.review import decision_buttons
from handlers.votes import VoteAdminPress
from storage.localtime import TIMEZONE
from storage.models import Practice, User
from storage.practices import Practices
from storage.queues import ReviewQueue
from storage.units import Units
from storage.users import Users
from storage.votes import OPEN, Votes

PAGE = 8


class QueuePress(Callback, prefix="rq"):
    """Open a practice of the review queue ("o"), or show a page of the queue ("p")."""

    action: Literal["o", "p"]
    number: int


class MyVotesPress(Callback, prefix="mv"):
    """Show a page of the trainer's votes."""

    page: int


def pager(
    ctx: Context, page: int, total: int, press: type[QueuePress] | type[MyVotesPress]
) -> Keyboard:
    """Return the previous/next buttons of a paged list (none when it fits one page)."""

    def to(n: int) -> Callback:
        return QueuePress("p", n) if press is QueuePress else MyVotesPress(n)

    row: list[Button] = []
    if page > 0:
        row.append(ctx.button("queues.previous", to(page - 1)))
    if (page + 1) * PAGE < total:
        row.append(ctx.button("queues.next", to(page + 1)))
    return (tuple(row),) if row else ()


# --- /review ------------------------------------------------------------------------------


async def reviewed_districts(ctx: Context) -> list[int] | Literal[False] | None:
    """Return the districts whose queue the user sees: None all, False none (not a reviewer)."""
    if await is_admin(ctx):
        return None
    if not any(g.role == REVIEWER for g in await Users(ctx.session).grants(ctx.user.id)):
        return False
    return await ReviewQueue(ctx.session).reviewer_districts(ctx.user.id)


def entry(ctx: Context, number: int, practice: Practice) -> str:
    """Return one line of the queue: title, place, waiting since; marks the user's own."""
    since = practice.submitted_at or practice.created_at
    t = texts_for(ctx)
    return ctx.t(
        "queues.review_entry",
        number=number,
        title=short_title(practice.title, 60),
        place=place(t, ctx.language, practice.district, practice.khoroo_number),
        since=f"{since.astimezone(TIMEZONE):%Y-%m-%d}",
        own=ctx.t("queues.own_mark") if own_practice(ctx.user, practice) else "",
    )


async def district_counts(ctx: Context) -> Html:
    """Return the pending practices per district, for admins."""
    counts = await ReviewQueue(ctx.session).counts()
    names = {d.id: d.name(ctx.language) for d in await Units(ctx.session).districts()}
    lines = [
        ctx.t("queues.district_count", district=names.get(d, "—") if d else "—", n=n)
        for d, n in sorted(counts.items(), key=lambda item: (-item[1], names.get(item[0] or 0, "")))
    ]
    return Html("\n".join(lines))


async def show_queue(ctx: Context, page: int = 0) -> None:
    """Show one page of the user's review queue, oldest first, with counts."""
    districts = await reviewed_districts(ctx)
    if districts is False:
        ctx.send(ctx.t("queues.reviewers_only"))
        return
    queue = ReviewQueue(ctx.session)
    total = await queue.count(districts)
    if total == 0:
        ctx.show(ctx.t("queues.review_empty"))
        return
    page = max(0, min(page, (total - 1) // PAGE))
    practices = await queue.pending(districts, offset=page * PAGE, limit=PAGE)
    sections: list[str] = [ctx.t("queues.review_title", n=total)]
    if districts is None:  # admins: where the practices wait
        sections.append(await district_counts(ctx))
    first = page * PAGE + 1
    sections.append("\n".join(entry(ctx, first + i, p) for i, p in enumerate(practices)))
    sections.append(ctx.t("queues.review_hint"))
    buttons: Keyboard = tuple(
        (Button(f"{first + i}. {short_title(p.title)}", QueuePress("o", p.id).pack()),)
        for i, p in enumerate(practices)
    )
    ctx.show("\n\n".join(sections), buttons + pager(ctx, page, total, QueuePress))


async def review_command(ctx: Context) -> None:
    """/review: the pending practices of the reviewer's districts (admins: all)."""
    await show_queue(ctx)


async def pending_command(ctx: Context) -> None:
    """/pending: admins see how many practices wait in each district."""
    if not await is_admin(ctx):
        ctx.send(ctx.t("roles.admins_only"))
        return
    total = await ReviewQueue(ctx.session).count(None)
    if total == 0:
        ctx.send(ctx.t("queues.review_empty"))
        return
    ctx.send(ctx.t("queues.pending_title", n=total) + "\n" + await district_counts(ctx))


async def on_queue(ctx: Context, press: QueuePress) -> None:
    """Open a queued practice's review card, or turn the queue's page."""
    if press.action == "p":
        ctx.answer()
        await show_queue(ctx, press.number)
        return
    districts = await reviewed_districts(ctx)
    practice = await Practices(ctx.session).get(press.number)
    if districts is False:
        ctx.answer(ctx.t("review.not_allowed"), alert=True)
        return
    if practice is None or practice.status != "submitted":
        ctx.answer(ctx.t("queues.no_longer_pending"), alert=True)
        return
    if districts is not None and practice.district_id not in districts:
        ctx.answer(ctx.t("review.not_allowed"), alert=True)
        return
    ctx.answer()
    own = own_practice(ctx.user, practice)
    if own:
        ctx.send(ctx.t("review.incoming_own"))
    buttons = () if own else decision_buttons(ctx.t, practice, admin=await is_admin(ctx))
    send_card(ctx, card_of(practice), buttons)


def reminder(catalogue: Catalogue, user: User, practices: list[Practice], days: float) -> SendText:
    """Return the reminder of practices waiting longer than ``days`` for a reviewer."""
    lines = [
        catalogue.text(
            user.language,
            "queues.remind_entry",
            title=short_title(p.title, 60),
            since=f"{(p.submitted_at or p.created_at).astimezone(TIMEZONE):%Y-%m-%d}",
        )
        for p in practices[:PAGE]
    ]
    text = catalogue.text(user.language, "queues.remind", n=len(practices), days=int(days))
    button = Button(catalogue.text(user.language, "queues.open_queue"), QueuePress("p", 0).pack())
    return SendText(text + "\n" + "\n".join(lines), ((button,),), chat_id=user.id)


# --- /myvotes -----------------------------------------------------------------------------


async def show_votes(ctx: Context, page: int = 0) -> None:
    """Show one page of the trainer's votes, newest first; each opens its control panel."""
    if not await is_trainer(ctx):
        ctx.send(ctx.t("votes.trainers_only"))
        return
    votes = Votes(ctx.session)
    total = await votes.count_of_owner(ctx.user.id)
    if total == 0:
        ctx.show(ctx.t("queues.votes_empty"))
        return
    page = max(0, min(page, (total - 1) // PAGE))
    mine = await votes.of_owner(ctx.user.id, limit=PAGE, offset=page * PAGE)
    lines = [ctx.t("queues.votes_title", n=total)]
    buttons: list[tuple[Button, ...]] = []
    for vote in mine:
        state = ctx.t("queues.vote_open" if vote.state == OPEN else "queues.vote_closed")
        lines.append(
            ctx.t(
                "queues.vote_entry",
                code=vote.code,
                question=short_title(vote.question, 80),
                state=state,
                date=f"{vote.created_at.astimezone(TIMEZONE):%Y-%m-%d}",
            )
        )
        label = f"{vote.code} · {short_title(vote.question, 40)}"
        # "r" puts the results and the panel on this message: the one the live worker edits.
        buttons.append((Button(label, VoteAdminPress(vote.id, "r").pack()),))
    lines.append(ctx.t("queues.votes_hint"))
    ctx.show("\n".join(lines), tuple(buttons) + pager(ctx, page, total, MyVotesPress))


async def myvotes_command(ctx: Context) -> None:
    """/myvotes: the trainer's votes, each with its control panel."""
    await show_votes(ctx)


async def on_votes_page(ctx: Context, press: MyVotesPress) -> None:
    """Turn the page of /myvotes."""
    ctx.answer()
    await show_votes(ctx, press.page)


def register(router: Router) -> None:
    """Add /review, /pending and /myvotes with their buttons."""
    router.commands.update(
        {"review": review_command, "pending": pending_command, "myvotes": myvotes_command}
    )
    router.button(QueuePress, on_queue)
    router.button(MyVotesPress, on_votes_page)
