"""Taught answers are accountable: trainers and admins list them, edit or withdraw one.

Every lesson records who taught it and when (handlers/faq.py), who last edited it and who
withdrew it. A withdrawn lesson is no longer served: the loaded knowledge base is rebuilt
without it once the withdrawal is committed, and a restart leaves it out (bot/app.py).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import event

from handlers.callbacks import Callback
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.faq import ANSWER_LENGTH, teach
from handlers.html import Html
from handlers.i18n import format_date
from handlers.messages import Button
from handlers.permissions import is_trainer
from handlers.roles import name_of
from handlers.steps import Answer, Form, FormRun, Invalid, Prompt, Step
from knowledge.faq import FaqBase
from storage.audit import AuditLog
from storage.faq import FaqRecords
from storage.models import FaqLesson
from storage.users import Users

PREFIX = "ft"  # ft:l:<page> list, ft:o:<lesson> open, ft:e:<lesson> edit, ft:w:<lesson> withdraw
PER_PAGE = 8
QUESTION_SHOWN = 60


class TaughtPress(Callback, prefix=PREFIX):
    """A taught-answers button: a page of the list, or open, edit or withdraw a lesson."""

    action: Literal["l", "o", "e", "w"]
    number: int  # the page, or the lesson's id


async def rebuild(ctx: Context) -> None:
    """Rebuild the served knowledge base from the files and the lessons still in force.

    The new base replaces the served one only once the transaction commits, so a rollback
    leaves the bot answering as before.
    """
    faq = FaqBase.load()
    for lesson in await FaqRecords(ctx.session).lessons(include_withdrawn=False):
        teach(faq, lesson)
    services = ctx.services

    def swap(_session: object) -> None:
        services.faq = faq

    event.listen(ctx.session.sync_session, "after_commit", swap, once=True)


async def _who(ctx: Context, user_id: int | None) -> str:
    user = await Users(ctx.session).get(user_id) if user_id is not None else None
    return name_of(user) if user is not None else str(user_id or "—")


def _kind(ctx: Context, lesson: FaqLesson) -> Html:
    """Say what the lesson taught: a new topic's answer, or an example for a topic."""
    if lesson.answer is not None:
        return ctx.t("taught.kind_answer")
    faq = ctx.services.faq
    titles = {e.id: e.title_in(ctx.language) for e in faq.entries()} if faq else {}
    return ctx.t("taught.kind_example", topic=titles.get(lesson.topic_id, lesson.topic_id))


async def show_list(ctx: Context, page: int = 1, *, edit: bool = True) -> None:
    """List the taught lessons, the newest first, a page at a time."""
    records = FaqRecords(ctx.session)
    total = await records.count_lessons()
    if not total:
        ctx.send(ctx.t("taught.empty"))
        return
    pages = -(-total // PER_PAGE)
    page = min(max(page, 1), pages)
    lessons = await records.taught(limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    rows: list[tuple[Button, ...]] = []
    for lesson in lessons:
        mark = "✖️ " if lesson.withdrawn_at is not None else ""
        question = lesson.question[:QUESTION_SHOWN]
        rows.append((Button(f"{mark}#{lesson.id} {question}", TaughtPress("o", lesson.id).pack()),))
    paging = []
    if page > 1:
        paging.append(ctx.button("nav.previous", TaughtPress("l", page - 1)))
    if pages > 1:
        paging.append(ctx.button("nav.page", TaughtPress("l", page), page=page, pages=pages))
    if page < pages:
        paging.append(ctx.button("nav.next", TaughtPress("l", page + 1)))
    if paging:
        rows.append(tuple(paging))
    (ctx.show if edit else ctx.send)(ctx.t("taught.title", n=total), tuple(rows))


async def show_lesson(ctx: Context, lesson: FaqLesson, *, edit: bool = True) -> None:
    """Show one lesson: what it taught, who taught, edited or withdrew it, and when."""
    language = ctx.language
    lines = [
        ctx.t("taught.card", id=lesson.id, kind=_kind(ctx, lesson), question=lesson.question),
    ]
    if lesson.answer is not None:
        lines.append(ctx.t("taught.answer", answer=lesson.answer))
    lines.append(
        ctx.t(
            "taught.by",
            user=await _who(ctx, lesson.created_by),
            date=format_date(lesson.created_at, language, with_time=True),
        )
    )
    if lesson.edited_at is not None:
        lines.append(
            ctx.t(
                "taught.edited",
                user=await _who(ctx, lesson.edited_by),
                date=format_date(lesson.edited_at, language, with_time=True),
            )
        )
    rows: list[tuple[Button, ...]] = []
    if lesson.withdrawn_at is not None:
        lines.append(
            ctx.t(
                "taught.withdrawn",
                user=await _who(ctx, lesson.withdrawn_by),
                date=format_date(lesson.withdrawn_at, language, with_time=True),
            )
        )
    else:
        if lesson.answer is not None:
            rows.append((ctx.button("taught.edit", TaughtPress("e", lesson.id)),))
        rows.append((ctx.button("taught.withdraw", TaughtPress("w", lesson.id)),))
    rows.append((ctx.button("taught.back", TaughtPress("l", 1)),))
    (ctx.show if edit else ctx.send)(Html("\n".join(lines)), tuple(rows))


async def taught_command(ctx: Context) -> None:
    """/taught: trainers and admins see what the bot was taught, and by whom."""
    if not await is_trainer(ctx):
        ctx.send(ctx.t("faq.trainers_only"))
        return
    await show_list(ctx, edit=False)


async def on_button(ctx: Context, press: TaughtPress) -> None:
    """Page the list, open a lesson, start editing it, or withdraw it (trainers and admins)."""
    if not await is_trainer(ctx):
        ctx.answer(ctx.t("faq.trainers_only"), alert=True)
        return
    action, number = press.action, press.number
    if action == "l":
        ctx.answer()
        await show_list(ctx, number)
        return
    records = FaqRecords(ctx.session)
    lesson = await records.lesson(number)
    if lesson is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    if action == "o":
        ctx.answer()
        await show_lesson(ctx, lesson)
    elif lesson.withdrawn_at is not None:
        ctx.answer(ctx.t("taught.already_withdrawn"), alert=True)
        await show_lesson(ctx, lesson)
    elif action == "w":
        records.withdraw(lesson, ctx.user.id, ctx.services.clock())
        AuditLog(ctx.session).record(
            ctx.user.id, "faq.withdraw", f"lesson:{lesson.id}", topic=lesson.topic_id
        )
        await rebuild(ctx)
        ctx.answer(ctx.t("taught.withdrawn_notice"))
        await show_lesson(ctx, lesson)
    elif lesson.answer is None:
        ctx.answer(ctx.t("taught.nothing_to_edit"), alert=True)
    else:
        ctx.answer()
        await EDIT.open(ctx, {"lesson": lesson.id}, "answer", edit=False)


async def _editable(ctx: Context, run: FormRun) -> FaqLesson:
    lesson = await FaqRecords(ctx.session).lesson(int(run.get("lesson", 0)))
    if lesson is None or lesson.answer is None or lesson.withdrawn_at is not None:
        raise Invalid("taught.gone")
    return lesson


async def ask_answer(ctx: Context, run: FormRun) -> Prompt:
    """Show the answer as it is and ask for the new one."""
    try:
        lesson = await _editable(ctx, run)
    except Invalid:
        return Prompt(ctx.t("taught.gone"))
    return Prompt(ctx.t("taught.ask_answer", question=lesson.question, answer=lesson.answer or ""))


async def accept_answer(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take the new answer, within the lengths a taught answer has."""
    text = answer.require_text()
    shortest, longest = ANSWER_LENGTH
    if len(text) < shortest:
        raise Invalid("faq.answer_too_short", min=shortest)
    if len(text) > longest:
        raise Invalid("faq.answer_too_long", max=longest)
    return text


async def finish_edit(ctx: Context, run: FormRun) -> None:
    """Save the new answer, audit it, and serve it from now on."""
    if not await is_trainer(ctx):  # the role may have been revoked meanwhile
        ctx.send(ctx.t("faq.trainers_only"))
        return
    try:
        lesson = await _editable(ctx, run)
    except Invalid:
        ctx.send(ctx.t("taught.gone"))
        return
    FaqRecords(ctx.session).edit(lesson, str(run.get("answer")), ctx.user.id, ctx.services.clock())
    AuditLog(ctx.session).record(
        ctx.user.id, "faq.edit", f"lesson:{lesson.id}", topic=lesson.topic_id
    )
    await rebuild(ctx)
    ctx.send(ctx.t("taught.edited_notice"))
    await show_lesson(ctx, lesson, edit=False)


EDIT = Form("ftedit", "taught.flow", (Step("answer", ask_answer, accept_answer),), finish_edit)


def register(router: Router) -> None:
    """Add /taught, its buttons and the edit form."""
    router.form(EDIT)
    router.commands["taught"] = taught_command
    router.button(TaughtPress, on_button)
