"""Adopt a shared practice, report how it goes, evaluate it, and talk to its author.

A khoroo adopts a practice once ("We adopt this" on the card); the author hears of it. The
adopting khoroo then reports progress (planning, implementing, done, dropped) and, once
done, evaluates it: a 1-5 rating, what changed, and the figures where there are some.
"Ask the author" relays a question to the practice's submitter and the answers back and
forth; each side sees the other's khoroo, never a user id or a phone number.

Button data (``AdoptionPress``): ``a`` adopt, ``q`` ask the author, ``s`` similar practices
(each with the practice's id), ``r`` reply to a relayed message (its id), ``l`` my khoroo's
adoptions (a page), ``m`` one adoption, ``p`` report progress, ``e`` evaluate (the
adoption's id).
"""

from __future__ import annotations

from typing import Literal

from handlers import library, menu, validators
from handlers.callbacks import Callback
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.handover import handover_list_data
from handlers.html import Html
from handlers.i18n import Catalogue, format_date
from handlers.messages import Button, Keyboard, SendText
from handlers.permissions import is_admin
from handlers.practice_card import (
    SearchOpen,
    place,
    send_card,
    short_title,
    stored_card,
    texts_for,
)
from handlers.steps import Answer, Form, FormRun, Invalid, Prompt, Step
from storage.adoptions import PROGRESS, RATINGS, Adoptions, AuthorMessages
from storage.models import Adoption, Practice, User
from storage.practices import SHARED, Practices
from storage.users import Users

PER_PAGE = 8
MESSAGE_LENGTH = (5, 1000)
CHANGE_LENGTH = (10, 1000)
NOTE_LENGTH = (1, 1000)
FIGURES_LENGTH = (1, 500)
SIMILAR = 5
STATUS_MARKS = {"planning": "🗓", "implementing": "🛠", "done": "✅", "dropped": "✖️"}


class AdoptionPress(Callback, prefix="ad"):
    """A button of a practice card, of a relayed message, or of the khoroo's adoptions."""

    action: Literal["a", "q", "s", "r", "l", "m", "p", "e"]
    number: int  # a practice, a relayed message, a page or an adoption (see the action)


def own_khoroo(user: User, practice: Practice) -> bool:
    """Tell whether the practice comes from the user's own khoroo."""
    return (
        user.district_id is not None
        and practice.district_id == user.district_id
        and practice.khoroo_number == user.khoroo_number
    )


def may_act_for(user: User, adoption: Adoption) -> bool:
    """Tell whether the user reports on and rates the adoption: the officer who adopted it,
    or the one an admin handed it to (moving one's profile to the khoroo is not enough)."""
    return adoption.user_id is not None and adoption.user_id == user.id


def may_see(user: User, adoption: Adoption) -> bool:
    """Tell whether the user may look at the adoption: its officer, or one of its khoroo."""
    return may_act_for(user, adoption) or (user.district_id, user.khoroo_number) == (
        adoption.district_id,
        adoption.khoroo_number,
    )


async def practice_buttons(ctx: Context, practice: Practice) -> list[tuple[Button, ...]]:
    """Return what an officer can do with a shared practice: adopt, ask, see similar ones."""
    user = ctx.user
    rows: list[tuple[Button, ...]] = []
    if not own_khoroo(user, practice) and user.district_id and user.khoroo_number:
        adopted = await Adoptions(ctx.session).of_khoroo(
            practice.id, user.district_id, user.khoroo_number
        )
        if adopted is None:
            rows.append((ctx.button("adoption.adopt", AdoptionPress("a", practice.id)),))
        else:
            rows.append((ctx.button("adoption.open_mine", AdoptionPress("m", adopted.id)),))
    if practice.submitter_id is not None and practice.submitter_id != user.id:
        rows.append((ctx.button("adoption.ask_author", AdoptionPress("q", practice.id)),))
    rows.append((ctx.button("adoption.similar", AdoptionPress("s", practice.id)),))
    return rows


async def send_practice(ctx: Context, practice: Practice, *, back: Button | None = None) -> None:
    """Send a shared practice's card with adoption counts and the officer's buttons."""
    rows = await practice_buttons(ctx, practice)
    if back is not None:
        rows.append((back,))
    send_card(ctx, await stored_card(ctx.session, practice), tuple(rows))


async def shared_practice(ctx: Context, practice_id: int) -> Practice | None:
    """Return the shared practice a button names, or answer that it is gone."""
    practice = await Practices(ctx.session).get(practice_id)
    if practice is None or practice.status not in SHARED:
        ctx.answer(ctx.t("search.gone"), alert=True)
        return None
    return practice


async def adopt(ctx: Context, practice: Practice) -> None:
    """Record that the user's khoroo adopts the practice, and tell the author."""
    user = ctx.user
    if user.district_id is None or user.khoroo_number is None:
        ctx.answer(ctx.t("adoption.need_khoroo"), alert=True)
        return
    if own_khoroo(user, practice):
        ctx.answer(ctx.t("adoption.own"), alert=True)
        return
    adoptions = Adoptions(ctx.session)
    existing = await adoptions.of_khoroo(practice.id, user.district_id, user.khoroo_number)
    made = None if existing else await adoptions.adopt(practice, user, ctx.services.clock())
    if made is None:
        ctx.answer(ctx.t("adoption.already"), alert=True)
        return
    ctx.answer()
    text = ctx.t("adoption.done", title=practice.title)
    author = await Users(ctx.session).get(practice.submitter_id or 0)
    if author is not None and author.id != user.id:
        t = texts_for(ctx, author.language)
        where = place(t, author.language, user.district, user.khoroo_number)
        ctx.send(t("adoption.told", title=practice.title, place=where), chat_id=author.id)
        text = Html(f"{text}\n{ctx.t('adoption.author_told')}")
    buttons = (
        (ctx.button("adoption.report", AdoptionPress("p", made.id)),),
        (ctx.button("adoption.mine", AdoptionPress("l", 1)),),
    )
    ctx.send(text, buttons)


async def show_similar(ctx: Context, practice: Practice) -> None:
    """List shared practices like this one."""
    found = await library.similar_practices(
        ctx, f"{practice.title} {practice.problem}", limit=SIMILAR, exclude=practice.id
    )
    if not found:
        ctx.answer(ctx.t("adoption.no_similar"), alert=True)
        return
    ctx.answer()
    rows: list[tuple[Button, ...]] = [
        (Button(short_title(p.title), SearchOpen(p.id).pack()),) for p in found
    ]
    rows.append(
        (ctx.button("nav.back", SearchOpen(practice.id)), ctx.button("nav.menu", menu.HOME))
    )
    ctx.send(ctx.t("adoption.similar_title", title=practice.title), tuple(rows))


# -- My adoptions --


async def show_adoptions(ctx: Context, page: int = 1, *, edit: bool = True) -> None:
    """List the adoptions of the user's khoroo, a page at a time."""
    user = ctx.user
    rows: list[tuple[Button, ...]] = []
    if user.district_id is None or user.khoroo_number is None:
        total = 0
    else:
        repository = Adoptions(ctx.session)
        total = await repository.count_of_khoroo(user.district_id, user.khoroo_number)
        pages = max(1, -(-total // PER_PAGE))
        page = min(max(page, 1), pages)
        for item in await repository.of_khoroo_all(
            user.district_id, user.khoroo_number, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
        ):
            label = f"{STATUS_MARKS[item.status]} {short_title(item.practice.title)}"
            rows.append((Button(label, AdoptionPress("m", item.id).pack()),))
        if pages > 1:
            paging = []
            if page > 1:
                paging.append(ctx.button("nav.previous", AdoptionPress("l", page - 1)))
            paging.append(ctx.button("nav.page", AdoptionPress("l", page), page=page, pages=pages))
            if page < pages:
                paging.append(ctx.button("nav.next", AdoptionPress("l", page + 1)))
            rows.append(tuple(paging))
    if total:
        text = ctx.t("adoption.list_title", n=total) + "\n" + ctx.t("adoption.legend")
    else:
        text = ctx.t("adoption.list_empty")
        rows.append((ctx.button("menu.search", menu.MenuPress("search")),))
    rows.append((ctx.button("nav.menu", menu.HOME),))
    (ctx.show if edit else ctx.send)(text, tuple(rows))


async def show_adoption(ctx: Context, adoption: Adoption, *, edit: bool = True) -> None:
    """Show one adoption: its progress, reports and evaluation, and what to do next."""
    language = ctx.language
    reports = await Adoptions(ctx.session).reports(adoption.id)
    lines = [
        ctx.t("adoption.card.title", title=adoption.practice.title),
        ctx.t(
            "adoption.card.since",
            date=format_date(adoption.created_at, language),
            status=ctx.t(f"adoption.status.{adoption.status}"),
        ),
    ]
    for report in reports[-5:]:
        lines.append(
            ctx.t(
                "adoption.card.report_note" if report.note else "adoption.card.report",
                date=format_date(report.created_at, language),
                status=ctx.t(f"adoption.status.{report.status}"),
                note=report.note or "",
            )
        )
    if adoption.rating is not None:
        lines.append(ctx.t("adoption.card.rating", stars=stars(adoption.rating)))
        lines.append(ctx.t("adoption.card.change", text=adoption.change or ""))
        if adoption.figures:
            lines.append(ctx.t("adoption.card.figures", text=adoption.figures))
    holder = await Users(ctx.session).get(adoption.user_id) if adoption.user_id else None
    lines.append(
        ctx.t(
            "adoption.card.holder",
            id=adoption.id,
            user=holder.first_name if holder else ctx.t("adoption.nobody"),
        )
    )
    rows: list[tuple[Button, ...]] = []
    if may_act_for(ctx.user, adoption):
        rows.append((ctx.button("adoption.report", AdoptionPress("p", adoption.id)),))
        if adoption.status == "done":
            key = "adoption.evaluate_again" if adoption.rating else "adoption.evaluate"
            rows.append((ctx.button(key, AdoptionPress("e", adoption.id)),))
    if await is_admin(ctx):
        rows.append((ctx.button("handover.button", handover_list_data(adoption.id)),))
    rows.append((ctx.button("adoption.open_practice", SearchOpen(adoption.practice_id)),))
    rows.append((ctx.button("adoption.mine", AdoptionPress("l", 1)),))
    (ctx.show if edit else ctx.send)(Html("\n".join(lines)), tuple(rows))


async def adoptions_menu(ctx: Context) -> None:
    """Open "My adoptions" from a menu button."""
    await show_adoptions(ctx)


async def adoptions_command(ctx: Context) -> None:
    """Open "My adoptions" as a new message."""
    await show_adoptions(ctx, edit=False)


async def own_adoption(ctx: Context, adoption_id: int, *, acting: bool = True) -> Adoption | None:
    """Return the adoption a button names if the user may act on it (or, not acting, look
    at it: its khoroo's officers and admins may), else answer why not."""
    adoption = await Adoptions(ctx.session).get(adoption_id)
    if adoption is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return None
    allowed = may_act_for(ctx.user, adoption) or (
        not acting and (may_see(ctx.user, adoption) or await is_admin(ctx))
    )
    if not allowed:
        ctx.answer(
            ctx.t("adoption.not_yours" if acting else "adoption.not_your_khoroo"), alert=True
        )
        return None
    return adoption


async def on_adoption(ctx: Context, press: AdoptionPress) -> None:
    """Handle the card's and the adoptions' buttons."""
    action, argument = press.action, press.number
    if action in ("a", "q", "s"):
        practice = await shared_practice(ctx, argument)
        if practice is None:
            return
        if action == "a":
            await adopt(ctx, practice)
        elif action == "s":
            await show_similar(ctx, practice)
        elif practice.submitter_id is None or practice.submitter_id == ctx.user.id:
            ctx.answer(ctx.t("relay.no_author"), alert=True)
        else:
            ctx.answer()
            await RELAY.open(ctx, {"practice": practice.id}, "message", edit=False)
    elif action == "r":
        await start_reply(ctx, argument)
    elif action == "l":
        ctx.answer()
        await show_adoptions(ctx, argument)
    else:
        adoption = await own_adoption(ctx, argument, acting=action != "m")
        if adoption is None:
            return
        if action == "m":
            ctx.answer()
            await show_adoption(ctx, adoption)
        elif action == "p":
            ctx.answer()
            await PROGRESS_FORM.open(ctx, {"adoption": adoption.id}, "status", edit=False)
        elif adoption.status != "done":
            ctx.answer(ctx.t("adoption.evaluate_when_done"), alert=True)
        else:
            ctx.answer()
            await EVALUATION.open(ctx, {"adoption": adoption.id}, "rating", edit=False)


# -- progress: a status and an optional note --


async def run_adoption(ctx: Context, run: FormRun) -> Adoption | None:
    """Return the adoption a form is about, if the user may still act for it."""
    adoption = await Adoptions(ctx.session).get(int(run.get("adoption") or 0))
    return adoption if adoption is not None and may_act_for(ctx.user, adoption) else None


async def ask_status(ctx: Context, run: FormRun) -> Prompt:
    """Ask where the adoption stands."""
    adoption = await run_adoption(ctx, run)
    title = adoption.practice.title if adoption else ""
    buttons = tuple(
        (ctx.button(f"adoption.status.{status}", run.data("status", status)),)
        for status in PROGRESS
    )
    return Prompt(ctx.t("adoption.ask.status", title=title), buttons)


async def accept_status(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take one of the progress buttons."""
    if answer.choice not in PROGRESS:
        raise Invalid("error.button_expected")
    return answer.choice


async def ask_note(ctx: Context, run: FormRun) -> Prompt:
    """Ask for a short note on what was done."""
    return Prompt(ctx.t("adoption.ask.note", maximum=NOTE_LENGTH[1]))


async def accept_note(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take a note of reasonable length."""
    return validators.text(answer, *NOTE_LENGTH)


async def finish_progress(ctx: Context, run: FormRun) -> None:
    """Record the report; once done, offer the evaluation."""
    adoption = await run_adoption(ctx, run)
    if adoption is None:
        ctx.send(ctx.t("adoption.not_yours"))
        return
    status = str(run.get("status"))
    await Adoptions(ctx.session).report(adoption, status, run.get("note"), ctx.services.clock())
    rows: list[tuple[Button, ...]] = []
    if status == "done":
        rows.append((ctx.button("adoption.evaluate", AdoptionPress("e", adoption.id)),))
    rows.append((ctx.button("adoption.mine", AdoptionPress("l", 1)),))
    key = "adoption.reported_done" if status == "done" else "adoption.reported"
    ctx.send(ctx.t(key, status=ctx.t(f"adoption.status.{status}")), tuple(rows))


PROGRESS_FORM = Form(
    "progress",
    "flow.progress",
    [Step("status", ask_status, accept_status), Step("note", ask_note, accept_note, True)],
    finish_progress,
)


# -- evaluation: a rating, what changed, and the figures --


def stars(rating: int) -> str:
    """Write a rating the same way on every button and card: "4 ⭐"."""
    return f"{rating} ⭐"


async def ask_rating(ctx: Context, run: FormRun) -> Prompt:
    """Ask for a 1-5 rating."""
    adoption = await run_adoption(ctx, run)
    title = adoption.practice.title if adoption else ""
    row = tuple(Button(stars(r), run.data("rating", r).pack()) for r in RATINGS)
    return Prompt(ctx.t("adoption.ask.rating", title=title), (row,))


async def accept_rating(ctx: Context, run: FormRun, answer: Answer) -> int:
    """Take a rating from 1 to 5, pressed or typed."""
    raw = answer.choice if answer.choice is not None else answer.require_text()
    return validators.number(raw, min(RATINGS), max(RATINGS))


async def ask_change(ctx: Context, run: FormRun) -> Prompt:
    """Ask what changed."""
    minimum, maximum = CHANGE_LENGTH
    return Prompt(ctx.t("adoption.ask.change", minimum=minimum, maximum=maximum))


async def accept_change(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take a description of what changed."""
    return validators.text(answer, *CHANGE_LENGTH, with_letters=True)


async def ask_figures(ctx: Context, run: FormRun) -> Prompt:
    """Ask for the change in numbers, where there are some."""
    return Prompt(ctx.t("adoption.ask.figures", maximum=FIGURES_LENGTH[1]))


async def accept_figures(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take the figures."""
    return validators.text(answer, *FIGURES_LENGTH)


def figures_missing(run: FormRun) -> bool:
    """Tell whether to ask for figures: not when the change already names some ("30 хувиар")."""
    return not validators.mentions_number(str(run.get("change") or ""))


async def finish_evaluation(ctx: Context, run: FormRun) -> None:
    """Record the evaluation and tell the author how it went."""
    adoption = await run_adoption(ctx, run)
    if adoption is None or adoption.status != "done":
        ctx.send(ctx.t("adoption.evaluate_when_done"))
        return
    rating = int(run.get("rating") or 0)
    await Adoptions(ctx.session).evaluate(
        adoption, rating, str(run.get("change")), run.get("figures"), ctx.services.clock()
    )
    ctx.send(ctx.t("adoption.evaluated"), ((ctx.button("adoption.mine", AdoptionPress("l", 1)),),))
    practice = adoption.practice
    if practice.submitter_id is not None and practice.submitter_id != ctx.user.id:
        author = await Users(ctx.session).get(practice.submitter_id)
        if author is not None:
            t = texts_for(ctx, author.language)
            where = place(t, author.language, adoption.district, adoption.khoroo_number)
            ctx.send(
                t(
                    "adoption.told_evaluation",
                    title=practice.title,
                    place=where,
                    stars=stars(rating),
                    text=str(run.get("change")),
                ),
                chat_id=author.id,
            )


EVALUATION = Form(
    "evaluation",
    "flow.evaluation",
    [
        Step("rating", ask_rating, accept_rating),
        Step("change", ask_change, accept_change),
        Step("figures", ask_figures, accept_figures, True, needed=figures_missing),
    ],
    finish_evaluation,
)


# -- "Ask the author": a question relayed to the submitter, and replies both ways --


async def start_reply(ctx: Context, message_id: int) -> None:
    """Start a reply to a relayed message the user received."""
    message = await AuthorMessages(ctx.session).get(message_id)
    if message is None or message.recipient_id != ctx.user.id:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    ctx.answer()
    values = {"practice": message.practice_id, "reply_to": message.id}
    await RELAY.open(ctx, values, "message", edit=False)


async def ask_message(ctx: Context, run: FormRun) -> Prompt:
    """Ask for the question, or for the reply."""
    practice = await Practices(ctx.session).get(int(run.get("practice") or 0))
    title = practice.title if practice else ""
    key = "relay.ask_reply" if run.get("reply_to") else "relay.ask_question"
    return Prompt(ctx.t(key, title=title, minimum=MESSAGE_LENGTH[0], maximum=MESSAGE_LENGTH[1]))


async def accept_message(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take a message of reasonable length."""
    return validators.text(answer, *MESSAGE_LENGTH, with_letters=True)


async def finish_message(ctx: Context, run: FormRun) -> None:
    """Relay the message to the other side, with a button to answer back."""
    practice = await Practices(ctx.session).get(int(run.get("practice") or 0))
    relays = AuthorMessages(ctx.session)
    reply_to = await relays.get(int(run.get("reply_to") or 0)) if run.get("reply_to") else None
    if reply_to is not None and reply_to.recipient_id != ctx.user.id:
        reply_to = None
    if practice is None or (reply_to is None and practice.submitter_id is None):
        ctx.send(ctx.t("relay.no_author"))
        return
    recipient_id = reply_to.sender_id if reply_to else practice.submitter_id
    recipient = await Users(ctx.session).get(int(recipient_id or 0))
    if recipient is None or recipient.id == ctx.user.id:
        ctx.send(ctx.t("relay.no_author"))
        return
    text = str(run.get("message"))
    message = await relays.add(
        practice.id, ctx.user.id, recipient.id, text, reply_to.id if reply_to else None
    )
    t = texts_for(ctx, recipient.language)
    if ctx.user.id == practice.submitter_id:
        heading = t("relay.from_author", title=practice.title)
    else:
        where = place(t, recipient.language, ctx.user.district, ctx.user.khoroo_number)
        heading = t("relay.from_officer", title=practice.title, place=where)
    ctx.send(
        Html(f"{heading}\n\n{t('relay.body', text=text)}"),
        ((Button(t("relay.reply"), AdoptionPress("r", message.id).pack()),),),
        chat_id=recipient.id,
    )
    ctx.send(ctx.t("relay.sent"))


RELAY = Form("relay", "flow.relay", [Step("message", ask_message, accept_message)], finish_message)


# -- reminders: built here so the words stay with the flow; bot/reminders.py sends them --


def reminder(catalogue: Catalogue, user: User, adoption: Adoption, kind: str) -> SendText:
    """Return the reminder to report on ("report") or evaluate ("evaluate") an adoption."""
    language = user.language

    def t(key: str, /, **values: object) -> Html:
        return catalogue.text(language, key, **values)

    since = format_date(adoption.created_at, language)
    text = t(f"adoption.remind.{kind}", title=adoption.practice.title, date=since)
    action = "adoption.evaluate" if kind == "evaluate" and adoption.status == "done" else None
    buttons: Keyboard = (
        ((Button(t(action), AdoptionPress("e", adoption.id).pack()),),)
        if action
        else ((Button(t("adoption.report"), AdoptionPress("p", adoption.id).pack()),),)
    )
    return SendText(text, buttons, chat_id=user.id)


def register(router: Router) -> None:
    """Add adoption, progress, evaluation and the author relay to the router."""
    for form in (PROGRESS_FORM, EVALUATION, RELAY):
        router.form(form)
    router.button(AdoptionPress, on_adoption)
    router.menu["adoptions"] = adoptions_menu
    router.commands["adoptions"] = adoptions_command
