"""Reviewing submitted practices: approve, return with a comment, reject; admins select.

Reviewers are users an admin granted the "reviewer" role for a district (or for all of
them). The right is checked again on every press: a button reaching someone else, or
forged callback data, changes nothing. Button data is ``ReviewPress``.
"""

from __future__ import annotations

from typing import Literal

from handlers import library, menu, validators
from handlers.callbacks import Callback
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import plain
from handlers.messages import Button, Keyboard
from handlers.permissions import ADMIN, is_admin, is_reviewer, own_practice
from handlers.practice_card import MinePress, Texts, card_of, send_card, texts_for
from handlers.steps import Answer, Form, FormRun, Prompt, Step
from storage.audit import AuditLog
from storage.models import Practice
from storage.practices import Practices, Reviewers, allows
from storage.users import Users

Code = Literal["a", "r", "x", "s"]
CODES: dict[Code, str] = {"a": "approve", "r": "return", "x": "reject", "s": "select"}
CODE_OF = {decision: code for code, decision in CODES.items()}


class ReviewPress(Callback, prefix="rv"):
    """A reviewer's decision on a practice."""

    code: Code
    practice: int


# Decisions the author must be given a reason for.
NEEDS_COMMENT = ("return", "reject")
COMMENT_LIMIT = (5, 1000)


def decision_data(decision: str, practice_id: int) -> str:
    """Return the button data of a decision on a practice."""
    return ReviewPress(CODE_OF[decision], practice_id).pack()


async def may_decide(ctx: Context, practice: Practice, decision: str) -> bool:
    """Tell whether the user may take this decision on this practice.

    Nobody decides on their own khoroo's practice (or one they submitted), admins included:
    another reviewer of the district or an admin does.
    """
    if own_practice(ctx.user, practice):
        return False
    if await is_admin(ctx):
        return True
    if decision == "select":  # the capital level is the admins'
        return False
    return await is_reviewer(ctx, practice.district_id)


def refusal(ctx: Context, practice: Practice) -> str:
    """Return the catalogue key saying why the user may not decide on the practice."""
    return "review.own_khoroo" if own_practice(ctx.user, practice) else "review.not_allowed"


def decision_buttons(t: Texts, practice: Practice, *, admin: bool) -> Keyboard:
    """Return the decisions a reviewer can take on the practice as it stands."""
    if allows("approve", practice.status):  # return and reject are open then too
        return (
            (
                Button(t("review.approve"), decision_data("approve", practice.id)),
                Button(t("review.return"), decision_data("return", practice.id)),
            ),
            (Button(t("review.reject"), decision_data("reject", practice.id)),),
        )
    if allows("select", practice.status) and admin:
        return ((Button(t("review.select"), decision_data("select", practice.id)),),)
    return ()


async def notify_reviewers(ctx: Context, practice: Practice) -> None:
    """Send a submitted practice to every reviewer of its district and to the admins."""
    admins = set(ctx.services.admin_ids) | {
        g.user_id for g in await Users(ctx.session).all_grants() if g.role == ADMIN
    }
    ids = set(await Reviewers(ctx.session).of_district(practice.district_id)) | admins
    reviewers = await Reviewers(ctx.session).existing_users(ids)
    card = card_of(practice)
    returned = await Practices(ctx.session).last_return(practice.id)
    for reviewer in reviewers:
        t = texts_for(ctx, reviewer.language)
        own = own_practice(reviewer, practice)  # told, but offered no decision
        if own:
            notice = t("review.incoming_own")
        elif returned is not None:  # a resubmission: what was asked, to check it was done
            notice = t("review.incoming_again", comment=returned.comment or "—")
        else:
            notice = t("review.incoming")
        ctx.send(notice, chat_id=reviewer.id)
        send_card(
            ctx,
            card,
            () if own else decision_buttons(t, practice, admin=reviewer.id in admins),
            chat_id=reviewer.id,
            language=reviewer.language,
        )


async def on_review(ctx: Context, press: ReviewPress) -> None:
    """Apply a decision button, after checking the presser's right and the status."""
    decision = CODES[press.code]
    practice = await Practices(ctx.session).get(press.practice)
    if practice is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    if not await may_decide(ctx, practice, decision):
        ctx.answer(ctx.t(refusal(ctx, practice)), alert=True)
        return
    if not allows(decision, practice.status):
        ctx.answer(
            ctx.t("review.already", status=plain(ctx.t(f"status.{practice.status}"))), alert=True
        )
        return
    ctx.answer()
    if decision in NEEDS_COMMENT:
        await COMMENT.open(
            ctx, {"practice": practice.id, "decision": decision}, "comment", edit=False
        )
        return
    await decide(ctx, practice, decision, None)


async def decide(ctx: Context, practice: Practice, decision: str, comment: str | None) -> None:
    """Record the decision, tell the author, and update the search index."""
    await Practices(ctx.session).decide(practice, ctx.user.id, decision, comment)
    AuditLog(ctx.session).record(ctx.user.id, f"practice.{decision}", f"practice:{practice.id}")
    library.practice_changed(ctx, practice)
    ctx.send(
        ctx.t(f"review.done.{decision}", title=practice.title),
        decision_buttons(ctx.t, practice, admin=await is_admin(ctx)),
    )
    await tell_author(ctx, practice, decision, comment)


async def tell_author(ctx: Context, practice: Practice, decision: str, comment: str | None) -> None:
    """Tell the author the decision in their language, with a button to open the practice."""
    if practice.submitter_id is None:
        return
    author = await Users(ctx.session).get(practice.submitter_id)
    if author is None:
        return
    t = texts_for(ctx, author.language)
    text: str = t(f"review.told.{decision}", title=practice.title)
    if comment:
        text += "\n\n" + t("review.told_comment", comment=comment)
    button = Button(t("review.open"), MinePress("o", practice.id).pack())
    ctx.send(text, ((button,),), chat_id=author.id)


async def ask_comment(ctx: Context, run: FormRun) -> Prompt:
    """Ask the reviewer for the comment the author will read."""
    practice = await Practices(ctx.session).get(int(run.get("practice") or 0))
    title = practice.title if practice else ""
    return Prompt(ctx.t(f"review.ask_comment.{run.get('decision')}", title=title))


async def accept_comment(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take a comment of reasonable length."""
    return validators.text(answer, *COMMENT_LIMIT, with_letters=True)


async def finish_comment(ctx: Context, run: FormRun) -> None:
    """Apply the decision with the comment, checking again that it is still possible."""
    decision = str(run.get("decision"))
    practice = await Practices(ctx.session).get(int(run.get("practice") or 0))
    if practice is None or decision not in NEEDS_COMMENT:
        ctx.send(ctx.t("error.outdated_button"))
    elif not await may_decide(ctx, practice, decision):
        ctx.send(ctx.t(refusal(ctx, practice)))
    elif not allows(decision, practice.status):
        ctx.send(ctx.t("review.already", status=plain(ctx.t(f"status.{practice.status}"))))
    else:
        await decide(ctx, practice, decision, str(run.get("comment")))
    await menu.show_menu(ctx, edit=False)


COMMENT = Form(
    "review", "flow.review", (Step("comment", ask_comment, accept_comment),), finish_comment
)


def register(router: Router) -> None:
    """Add the review buttons and the comment form."""
    router.form(COMMENT)
    router.button(ReviewPress, on_review)
