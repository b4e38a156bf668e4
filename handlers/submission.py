"""Submitting a good practice step by step, and revising a returned one.

Both run the same step table: the answers of a new practice live in the "practice" form,
those of a returned practice being revised in the "revise" form, so one never overwrites
the other. A draft lives in the conversation state until it is confirmed or discarded:
/cancel, other commands, a restart or days of silence keep it.
"""

from __future__ import annotations

from typing import Any, Literal

from handlers import limits, menu, validators
from handlers.callbacks import Callback
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import plain
from handlers.library import practice_changed, similar_practices
from handlers.messages import Button, rows
from handlers.practice_card import (
    card_of,
    draft_card,
    place,
    render_card,
    send_card,
    short_title,
    texts_for,
)
from handlers.steps import Again, Answer, Form, FormRun, Goto, Invalid, Prompt, Step, Stop
from knowledge.clean import clean_name
from storage import fields
from storage.models import Practice, User
from storage.practices import CATEGORIES, SHARED, NewAttachment, Practices, allows
from storage.units import Units

# One table for the bot, `practices import` and `import-all` (storage/fields.py).
LIMITS = fields.PRACTICE
FILE_KINDS = ("photo", "document")
MAX_FILES = limits.MEDIA_GROUP.maximum  # one album
MAX_FILE_MB = limits.MAX_DOWNLOAD_BYTES // (1024 * 1024)
# The fields the preview offers to edit, in card order (each is a step name).
EDITABLE = (
    "title",
    "category",
    "problem",
    "solution",
    "results",
    "resources",
    "partners",
    "contact",
    "files",
)
REQUIRED = ("title", "category", "problem", "solution", "results", "contact")
PRACTICE_KEY = "practice"  # in a revision's answers: the id of the practice revised
OPEN, EDIT = "open", "edit"  # buttons of a step that carry an argument: a look-alike, a field


class SubmitPress(Callback, prefix="submit"):
    """Continue or discard a draft found on return, or start a new practice."""

    action: Literal["go", "drop", "new"]


WARNED_KEY = "results_warned"
WORDED = ("title", "problem", "solution")  # say something in words: not only digits or emoji
# A practice is offered as the one being submitted only if it holds more than two thirds of
# the title's words (a typo-match counting for less): a word or two in common, such as
# «тоглоомын талбай» among a fund's projects, makes a different practice.
SIMILAR_TITLE_COVERAGE = 0.7


def checked_text(name: str, answer: Answer) -> str:
    """Return the typed answer within the step's limits, or refuse it politely."""
    if answer.attachment is not None and answer.attachment.kind in FILE_KINDS:
        raise Invalid("submission.error.file_later")
    if name == "title" and answer.text is not None:
        # A title is shown to everybody: no bidi overrides or invisible characters in it.
        answer = Answer(text=clean_name(answer.text))
    limit = LIMITS[name]
    return validators.text(answer, limit.minimum, limit.maximum, with_letters=name in WORDED)


def current(ctx: Context, run: FormRun, name: str) -> str:
    """Return a line showing the saved answer, when a field is asked again."""
    value = run.get(name)
    if not value:
        return ""
    # Back goes one step back, so keeping the answer has its own button on every step.
    return "\n\n" + ctx.t("submission.current_keep", value=short_title(str(value), 300))


def text_step(name: str, *, optional: bool = False) -> Step:
    """Make a step that takes typed text within the field's limits."""

    async def ask(ctx: Context, run: FormRun) -> Prompt:
        limit = LIMITS[name]
        text = ctx.t(f"submission.ask.{name}", minimum=limit.minimum, maximum=limit.maximum)
        keep = ((ctx.button("submission.keep", run.data(name, "keep")),),)
        shown = keep if run.get(name) else ()
        return Prompt(text + current(ctx, run, name), shown)

    async def accept(ctx: Context, run: FormRun, answer: Answer) -> str:
        if answer.choice == "keep" and run.get(name):
            return str(run.get(name))
        return checked_text(name, answer)

    return Step(name, ask, accept, optional)


async def ask_category(ctx: Context, run: FormRun) -> Prompt:
    """Show look-alike practices for the title (if any), then the categories as buttons."""
    lines = []
    buttons: list[tuple[Button, ...]] = []
    similar = await similar_practices(
        ctx,
        run.get("title") or "",
        exclude=run.get(PRACTICE_KEY),
        min_coverage=SIMILAR_TITLE_COVERAGE,
    )
    if similar:
        lines.append(ctx.t("submission.similar"))
        t = texts_for(ctx)
        for number, practice in enumerate(similar, start=1):
            lines.append(
                ctx.t(
                    "submission.similar_item",
                    number=number,
                    title=practice.title,
                    place=place_of(t, ctx.language, practice),
                )
            )
        lines.append(ctx.t("submission.similar_hint"))
        buttons.append(
            tuple(
                ctx.button("submission.similar_open", run.data("category", OPEN, p.id), number=i)
                for i, p in enumerate(similar, start=1)
            )
        )
    lines.append(ctx.t("submission.ask.category"))
    labels = [ctx.button(f"category.{c}", run.data("category", c)) for c in CATEGORIES]
    buttons.extend(rows(labels, 2))
    return Prompt("\n\n".join(lines) + current_category(ctx, run), tuple(buttons))


def current_category(ctx: Context, run: FormRun) -> str:
    """Return a line naming the chosen category, when it is asked again."""
    chosen = run.get("category")
    if chosen not in CATEGORIES:
        return ""
    return "\n\n" + ctx.t("submission.current", value=plain(ctx.t(f"category.{chosen}")))


def place_of(t: Any, language: str, practice: Practice) -> str:
    """Return where a practice comes from, as plain text."""
    return plain(place(t, language, practice.district, practice.khoroo_number))


async def accept_category(ctx: Context, run: FormRun, answer: Answer) -> str | Again:
    """Take a category button (or its name typed); a look-alike's button opens its card."""
    if answer.choice == OPEN:
        practice = await Practices(ctx.session).get(answer.number or 0)
        if practice is not None and practice.status in SHARED:
            send_card(ctx, card_of(practice))
        return Again(edit=False)
    if answer.choice in CATEGORIES:
        return answer.choice
    if answer.text:
        typed = answer.text.strip().casefold()
        for category in CATEGORIES:
            label = plain(ctx.t(f"category.{category}")).casefold()
            if typed in (category, label) or (len(typed) >= 4 and typed in label):
                return category
    raise Invalid("submission.error.category")


async def accept_results(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take the results; without any number, ask once for numbers, then accept as it is."""
    text = checked_text("results", answer)
    if not validators.mentions_number(text) and not run.values.get(WARNED_KEY):
        run.values[WARNED_KEY] = True  # the second answer without numbers is accepted
        raise Invalid("submission.error.no_numbers")
    run.values.pop(WARNED_KEY, None)
    return text


def profile_contact(user: User) -> str:
    """Return the contact the profile suggests: the name and the Telegram username."""
    name = user.first_name or ""
    if user.username:
        name = f"{name} (@{user.username})".strip()
    return name or str(user.id)


async def ask_contact(ctx: Context, run: FormRun) -> Prompt:
    """Suggest the saved or profile contact with a Keep button, or let the user type one."""
    suggested = run.get("contact") or profile_contact(ctx.user)
    limit = LIMITS["contact"]
    return Prompt(
        ctx.t("submission.ask.contact", value=suggested, maximum=limit.maximum),
        ((ctx.button("submission.keep", run.data("contact", "keep")),),),
    )


async def accept_contact(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Keep the suggested contact, or take a typed one."""
    if answer.choice == "keep":
        return str(run.get("contact") or profile_contact(ctx.user))
    return checked_text("contact", answer)


async def ask_files(ctx: Context, run: FormRun) -> Prompt:
    """Ask for photos or documents, saying how many arrived so far."""
    files = run.get("files") or []
    text: str = ctx.t("submission.ask.files", maximum=MAX_FILES, megabytes=MAX_FILE_MB)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if files:
        photos = sum(1 for f in files if f["kind"] == "photo")
        text += "\n\n" + ctx.t(
            "submission.files_received", photos=photos, documents=len(files) - photos
        )
        buttons = (
            (
                ctx.button("submission.files_done", run.data("files", "done")),
                ctx.button("submission.files_clear", run.data("files", "clear")),
            ),
        )
    return Prompt(text, buttons)


async def accept_files(ctx: Context, run: FormRun, answer: Answer) -> list[Any] | Again:
    """Collect photos and documents until Done; refuse other kinds and too large files."""
    files = list(run.get("files") or [])
    if answer.choice == "done":
        return files
    if answer.choice == "clear":
        run.values.pop("files", None)
        return Again()
    attachment = answer.attachment
    if attachment is None:
        raise Invalid("submission.error.files_expected")
    if attachment.kind not in FILE_KINDS or not attachment.file_id:
        raise Invalid("submission.error.file_kind")
    if (attachment.file_size or 0) > limits.MAX_DOWNLOAD_BYTES:
        raise Invalid("submission.error.file_too_large", megabytes=MAX_FILE_MB)
    if len(files) >= MAX_FILES:
        raise Invalid("submission.error.too_many_files", maximum=MAX_FILES)
    files.append(
        {"kind": attachment.kind, "file_id": attachment.file_id, "file_name": attachment.file_name}
    )
    # Kept under the step's own name at once, so files sent one by one are never lost.
    run.values["files"] = files
    return Again(edit=False)


async def ask_preview(ctx: Context, run: FormRun) -> Prompt:
    """Show the whole card with Confirm, Edit <field> and Discard."""
    # A revision's discard drops the edits only: the practice itself stays.
    discard = "discard_edits" if run.get(PRACTICE_KEY) else "discard"
    if run.view.get("discard"):
        return Prompt(
            ctx.t(f"submission.{discard}_question"),
            (
                (
                    ctx.button("submission.discard_yes", run.data("preview", "drop")),
                    ctx.button("submission.discard_no", run.data("preview", "keep")),
                ),
            ),
        )
    district = await Units(ctx.session).district(ctx.user.district_id or 0)
    card = draft_card(run.values, district, ctx.user.khoroo_number)
    parts: list[str] = [ctx.t("submission.preview")]
    returned = await Practices(ctx.session).last_return(int(run.get(PRACTICE_KEY) or 0))
    if returned is not None and returned.comment:  # what to fix, in sight while fixing it
        parts.append(ctx.t("review.told_comment", comment=returned.comment))
    text = "\n\n".join([*parts, render_card(texts_for(ctx), ctx.language, card)])
    edits = [
        ctx.button(f"submission.edit.{name}", run.data("preview", EDIT, name)) for name in EDITABLE
    ]
    buttons = (
        (ctx.button("submission.confirm", run.data("preview", "ok")),),
        *rows(edits, 3),
        (ctx.button(f"submission.{discard}", run.data("preview", "discard")),),
    )
    return Prompt(text, buttons)


async def accept_preview(ctx: Context, run: FormRun, answer: Answer) -> Any:
    """Confirm, go to one field and come back, or discard (after asking once)."""
    choice = answer.choice or ""
    if choice == "ok":
        missing = [name for name in REQUIRED if not run.get(name)]
        if missing:
            return Goto(missing[0], resume="preview")
        return True
    if choice == EDIT and answer.argument in EDITABLE:
        return Goto(answer.argument, resume="preview")
    if choice == "discard":
        return Again({"discard": True})
    if choice == "keep":
        return Again()
    if choice == "drop":
        ctx.router.forms[run.form].discard(ctx)
        ctx.send(ctx.t("submission.discarded"))
        await menu.show_menu(ctx, edit=False)
        return Stop()
    raise Invalid("error.button_expected")


STEPS = (
    text_step("title"),
    Step("category", ask_category, accept_category),
    text_step("problem"),
    text_step("solution"),
    Step("results", text_step("results").ask, accept_results),
    text_step("resources", optional=True),
    text_step("partners", optional=True),
    Step("contact", ask_contact, accept_contact),
    Step("files", ask_files, accept_files, optional=True),
    Step("preview", ask_preview, accept_preview),
)


async def finish(ctx: Context, run: FormRun) -> None:
    """Store the practice as submitted and send it to the district's reviewers."""
    from handlers import review  # review imports this module's forms for "edit & resubmit"

    values = run.values
    repository = Practices(ctx.session)
    if run.form == REVISION.name:
        practice = await repository.get(int(values.get(PRACTICE_KEY) or 0))
        if practice is None or practice.submitter_id != ctx.user.id:
            ctx.send(ctx.t("submission.cannot_revise"))
            await menu.show_menu(ctx, edit=False)
            return
        if not allows("resubmit", practice.status):
            ctx.send(ctx.t("submission.cannot_revise"))
            await menu.show_menu(ctx, edit=False)
            return
    else:
        practice = Practice(
            submitter_id=ctx.user.id,
            district_id=ctx.user.district_id,
            khoroo_number=ctx.user.khoroo_number,
            year=ctx.services.clock().year,
        )
    practice.title = values["title"]
    practice.category = values["category"]
    practice.problem = values["problem"]
    practice.solution = values["solution"]
    practice.results = values["results"]
    practice.resources = values.get("resources")
    practice.partners = values.get("partners")
    practice.contact = values.get("contact")
    await repository.submit(practice, ctx.services.clock())
    await repository.set_attachments(
        practice,
        (
            NewAttachment(f["kind"], f["file_id"], f.get("file_name"))
            for f in values.get("files") or ()
        ),
    )
    await ctx.session.flush()
    practice_changed(ctx, practice)
    ctx.send(ctx.t("submission.submitted", title=practice.title))
    await review.notify_reviewers(ctx, practice)
    await menu.show_menu(ctx, edit=False)


FORM = Form("practice", "flow.submission", STEPS, finish)
REVISION = Form("revise", "flow.revision", STEPS, finish)


def values_of(practice: Practice) -> dict[str, Any]:
    """Return a stored practice's fields as a form's answers."""
    return {
        PRACTICE_KEY: practice.id,
        "title": practice.title,
        "category": practice.category if practice.category in CATEGORIES else "other",
        "problem": practice.problem,
        "solution": practice.solution,
        "results": practice.results,
        "resources": practice.resources,
        "partners": practice.partners,
        "contact": practice.contact,
        "files": [
            {"kind": a.kind, "file_id": a.file_id, "file_name": a.file_name}
            for a in practice.attachments
        ],
    }


async def revise(ctx: Context, practice: Practice) -> None:
    """Open a returned practice in the revision form, at its preview (or its edits so far)."""
    await REVISION.open(ctx, values_of(practice), "preview", edit=False)


async def start(ctx: Context) -> None:
    """Offer to continue or discard a draft, or start a new practice."""
    draft = FORM.run(ctx)
    if draft.values:
        title = draft.get("title") or plain(ctx.t("submission.untitled"))
        ctx.show(
            ctx.t("submission.draft_found", title=title),
            (
                (ctx.button("submission.continue", SubmitPress("go")),),
                (ctx.button("submission.discard", SubmitPress("drop")),),
                (ctx.button("nav.menu", menu.HOME),),
            ),
        )
        return
    await begin_new(ctx)


async def begin_new(ctx: Context) -> None:
    """Explain the steps briefly and ask the first question."""
    district = await Units(ctx.session).district(ctx.user.district_id or 0)
    where = place(texts_for(ctx), ctx.language, district, ctx.user.khoroo_number)
    ctx.show(ctx.t("submission.intro", place=where))
    await FORM.begin(ctx, fresh=True, edit=False)


async def on_submit(ctx: Context, press: SubmitPress) -> None:
    """Handle Continue / Discard of a draft found on return."""
    action = press.action
    ctx.answer()
    if action == "go":
        await FORM.begin(ctx)
    elif action == "drop":
        FORM.discard(ctx)
        ctx.send(ctx.t("submission.discarded"))
        await begin_new(ctx)
    else:
        await start(ctx)


async def submit_command(ctx: Context) -> None:
    """Start or continue a submission from the command menu."""
    await start(ctx)


def register(router: Router) -> None:
    """Add submission and revision to the router."""
    router.form(FORM)
    router.form(REVISION)
    router.menu["submit"] = start
    router.commands["submit"] = submit_command
    router.button(SubmitPress, on_submit)
