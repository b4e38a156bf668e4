""" "My practices": the user's drafts and practices with their status, and opening a card.

Button data (``MinePress``): ``p`` a page of the list, ``o`` open a card, ``e`` edit and
resubmit a returned practice, ``rv`` continue a revision.
"""

from __future__ import annotations

from handlers import adoption, menu, review, submission
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import plain
from handlers.messages import Button, Keyboard
from handlers.permissions import is_admin, is_reviewer
from handlers.practice_card import MinePress, send_card, short_title, stored_card
from storage.models import Practice
from storage.practices import SHARED, Practices, allows

PER_PAGE = 8


STATUS_MARKS = {
    "draft": "📝",
    "submitted": "⏳",
    "returned": "↩️",
    "approved": "✅",
    "selected": "⭐",
    "rejected": "✖️",
}


async def show_mine(ctx: Context, page: int = 1, *, edit: bool = True) -> None:
    """List the drafts in progress and the user's practices, a page at a time."""
    repository = Practices(ctx.session)
    total = await repository.count_of_submitter(ctx.user.id)
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    practices = await repository.of_submitter(
        ctx.user.id, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    rows: list[tuple[Button, ...]] = []
    draft = submission.FORM.run(ctx)
    if draft.values:
        title = draft.get("title") or plain(ctx.t("submission.untitled"))
        rows.append(
            (ctx.button("mine.draft", submission.SubmitPress("go"), title=short_title(title)),)
        )
    revision = submission.REVISION.run(ctx)
    if revision.values:
        title = revision.get("title") or ""
        rows.append((ctx.button("mine.revision", MinePress("rv"), title=short_title(title)),))
    revised = revision.get(submission.PRACTICE_KEY) if revision.values else None
    for practice in practices:
        if practice.id == revised:  # the line above stands for it: one practice, one line
            continue
        label = f"{STATUS_MARKS.get(practice.status, '')} {short_title(practice.title)}"
        rows.append((Button(label, MinePress("o", practice.id).pack()),))
    if pages > 1:
        paging = []
        if page > 1:
            paging.append(ctx.button("nav.previous", MinePress("p", page - 1)))
        paging.append(ctx.button("nav.page", MinePress("p", page), page=page, pages=pages))
        if page < pages:
            paging.append(ctx.button("nav.next", MinePress("p", page + 1)))
        rows.append(tuple(paging))
    rows.append(
        (
            ctx.button("adoption.mine", adoption.AdoptionPress("l", 1)),
            ctx.button("nav.menu", menu.HOME),
        )
    )
    if not rows[:-1]:
        text: str = ctx.t("mine.empty")
        rows.insert(0, (ctx.button("menu.submit", submission.SubmitPress("new")),))
    else:
        drafts = int(bool(draft.values))  # a revision edits a practice already counted
        text = ctx.t("mine.title", n=total + drafts) + "\n" + ctx.t("mine.legend")
    if edit:
        ctx.show(text, tuple(rows))
    else:
        ctx.send(text, tuple(rows))


async def may_see(ctx: Context, practice: Practice) -> bool:
    """Tell whether the user may open the card: shared, theirs, or theirs to review."""
    if practice.status in SHARED or practice.submitter_id == ctx.user.id:
        return True
    return await is_reviewer(ctx, practice.district_id)  # admins review every district


async def card_buttons(ctx: Context, practice: Practice) -> Keyboard:
    """Return what the user can do with the practice: edit, decide, or go back."""
    rows: list[tuple[Button, ...]] = []
    if practice.submitter_id == ctx.user.id and allows("resubmit", practice.status):
        rows.append((ctx.button("mine.edit", MinePress("e", practice.id)),))
    admin = await is_admin(ctx)
    if await review.may_decide(ctx, practice, "approve"):  # never on one's own khoroo's
        rows.extend(review.decision_buttons(ctx.t, practice, admin=admin))
    rows.append((ctx.button("mine.back", MinePress("p", 1)),))
    return tuple(rows)


async def open_card(ctx: Context, practice: Practice) -> None:
    """Send a practice's card with the buttons this user may use."""
    send_card(ctx, await stored_card(ctx.session, practice), await card_buttons(ctx, practice))


async def on_mine(ctx: Context, press: MinePress) -> None:
    """Handle the list's buttons."""
    action = press.action
    if action == "p":
        ctx.answer()
        await show_mine(ctx, press.number or 1)
        return
    if action == "rv":
        ctx.answer()
        if submission.REVISION.has_draft(ctx):
            await submission.REVISION.begin(ctx)
        else:
            await show_mine(ctx)
        return
    practice = await Practices(ctx.session).get(press.number) if press.number else None
    if practice is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    if not await may_see(ctx, practice):
        ctx.answer(ctx.t("mine.not_yours"), alert=True)
        return
    if action == "o":
        ctx.answer()
        await open_card(ctx, practice)
        return
    if practice.submitter_id != ctx.user.id or not allows("resubmit", practice.status):
        ctx.answer(ctx.t("submission.cannot_revise"), alert=True)
        return
    ctx.answer()
    await submission.revise(ctx, practice)


async def mine_menu(ctx: Context) -> None:
    """Open "My practices" from the main menu."""
    await show_mine(ctx)


async def mine_command(ctx: Context) -> None:
    """Open "My practices" as a new message."""
    await show_mine(ctx, edit=False)


def register(router: Router) -> None:
    """Add "My practices" to the router."""
    router.menu["mine"] = mine_menu
    router.commands["mine"] = mine_command
    router.button(MinePress, on_mine)
