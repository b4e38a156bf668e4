"""Announcements: an admin composes one step by step, previews it, and schedules or cancels it.

The text is Telegram HTML, so admins can write <b>bold</b>, <i>italic</i> and links. It is
checked here, at composing time, against the subset Telegram accepts, because one bad tag
makes Telegram refuse the message for every recipient; the admin is told what is wrong.
A lone "<" or "&" (as in "Q&A" or "5 < 6") is not a mistake: it is escaped for them.
Every answer and every button press is checked for admin rights on the server.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from handlers import html, limits, validators
from handlers.callbacks import Callback
from handlers.contest import admin_step, local_year, require_admin, when
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.messages import Button, SendDocument, SendPhoto, SendText, rows
from handlers.places import read_places
from handlers.registration import KHOROOS_PER_ROW
from handlers.steps import Again, Answer, Form, FormRun, Goto, Invalid, Prompt, Step
from storage.announcements import AUDIENCES, TARGETED_ROLES, Announcements
from storage.audit import AuditLog
from storage.contest import Contest
from storage.models import Announcement
from storage.units import Units
from storage.users import POSITIONS

MEDIA_KINDS = ("photo", "document")
# The audience step's buttons: a kind of audience (its argument), back to the kinds, a
# district, a khoroo or a role toggled, a district opened (no argument: back), and done.
KIND, KINDS, DISTRICT, KHOROO, ROLE, OPEN, DONE = "kind", "kinds", "d", "n", "r", "o", "ok"
EDIT = "edit"  # the preview's buttons to change one answer (the step is the argument)


class AnnouncementPress(Callback, prefix="ann"):
    """Show the scheduled announcements, or cancel one (asked, then confirmed or kept)."""

    action: Literal["list", "cancel", "confirm", "keep"]
    announcement: int | None = None


# Telegram's HTML subset: tag -> the attribute it requires (None: none required).
TAGS: dict[str, str | None] = {
    "b": None,
    "strong": None,
    "i": None,
    "em": None,
    "u": None,
    "ins": None,
    "s": None,
    "strike": None,
    "del": None,
    "span": "class",
    "tg-spoiler": None,
    "a": "href",
    "code": None,
    "pre": None,
    "blockquote": None,
    "tg-emoji": "emoji-id",
}
ENTITIES = ("lt", "gt", "amp", "quot")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*(/?)>")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]*);")
_ATTRIBUTE = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")


# The "roles" audience: officers by the position they gave, or people by a granted role.
ROLES = (*POSITIONS, *TARGETED_ROLES)


def target_name(ctx: Context, target: str) -> str:
    """Return how a position or a granted role reads in the audience picker."""
    if target in POSITIONS:
        return ctx.t(f"position.{target}")
    return ctx.t(f"roles.audience.{target}")


# -- the HTML check -------------------------------------------------------------------------


def check_html(text: str) -> str:
    """Return the text as valid Telegram HTML, or raise Invalid saying what to fix."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "<":
            tag = _TAG.match(text, pos)
            if tag is None:
                if re.match(r"</?[a-zA-Z]", text[pos:]):
                    raise Invalid("announce.html_broken", near=text[pos : pos + 20])
                out.append("&lt;")  # "5 < 6": not a tag
                pos += 1
                continue
            closing, name, attributes, self_closing = tag.groups()
            name = name.lower()
            if name not in TAGS:
                raise Invalid("announce.html_unknown_tag", tag=name)
            if closing:
                if not stack:
                    raise Invalid("announce.html_unexpected_end", tag=name)
                if stack[-1] != name:
                    raise Invalid("announce.html_mismatch", expected=stack[-1], found=name)
                stack.pop()
            elif self_closing:
                raise Invalid("announce.html_unclosed", tag=name)
            else:
                _check_attributes(name, attributes)
                stack.append(name)
            out.append(tag.group(0))
            pos = tag.end()
            continue
        if char == "&":
            entity = _ENTITY.match(text, pos)
            if entity is None:
                out.append("&amp;")  # "Q&A": not an entity
                pos += 1
                continue
            body = entity.group(1)
            if not body.startswith("#") and body.lower() not in ENTITIES:
                raise Invalid("announce.html_entity", entity=entity.group(0))
            out.append(entity.group(0))
            pos = entity.end()
            continue
        if char == ">":
            out.append("&gt;")
            pos += 1
            continue
        out.append(char)
        pos += 1
    if stack:
        raise Invalid("announce.html_unclosed", tag=stack[-1])
    return "".join(out)


def _check_attributes(name: str, attributes: str) -> None:
    required = TAGS[name]
    if required is None:
        return
    found = {key.lower(): value.strip("\"'") for key, value in _ATTRIBUTE.findall(attributes)}
    if not found.get(required):
        raise Invalid("announce.html_attribute", tag=name, attribute=required)
    if name == "span" and found.get("class") != "tg-spoiler":
        raise Invalid("announce.html_attribute", tag=name, attribute='class="tg-spoiler"')


# -- the compose form -----------------------------------------------------------------------


async def ask_text(ctx: Context, run: FormRun) -> Prompt:
    """Ask for the text, explaining the formatting."""
    return Prompt(ctx.t("announce.ask_text", limit=limits.MESSAGE_TEXT.maximum))


async def accept_text(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take the text as checked HTML within Telegram's limit."""
    text = check_html(answer.require_text())
    if not html.plain(text).strip():
        raise Invalid("error.text_expected")
    validators.length(text, 1, limits.MESSAGE_TEXT.maximum, measure=html.visible_length)
    length = html.visible_length(text)
    if run.get("media") and length > limits.CAPTION.maximum:
        raise Invalid("announce.caption_too_long", limit=limits.CAPTION.maximum, length=length)
    return text


async def ask_media(ctx: Context, run: FormRun) -> Prompt:
    """Offer to attach a photo or a document."""
    return Prompt(ctx.t("announce.ask_media", limit=limits.CAPTION.maximum))


async def accept_media(ctx: Context, run: FormRun, answer: Answer) -> dict[str, str]:
    """Take a photo or a document (by Telegram file id); the text must then fit a caption."""
    attachment = answer.attachment
    if attachment is None or attachment.kind not in MEDIA_KINDS or not attachment.file_id:
        raise Invalid("announce.media_expected")
    length = html.visible_length(run.get("text") or "")
    if length > limits.CAPTION.maximum:
        raise Invalid("announce.caption_too_long", limit=limits.CAPTION.maximum, length=length)
    return {"kind": attachment.kind, "file_id": attachment.file_id}


async def ask_audience(ctx: Context, run: FormRun) -> Prompt:
    """Offer the audiences, or the picker of the one being chosen."""
    pick: dict[str, Any] = run.get("pick") or {}
    kind = pick.get("kind")
    done = ctx.button("announce.pick_done", FORM.data("audience", DONE))
    other = ctx.button("announce.pick_other", FORM.data("audience", KINDS))
    if kind == "districts":
        chosen = set(pick.get("ids", []))
        districts = await Units(ctx.session).districts()
        buttons = [
            _toggle(ctx, d.name(ctx.language), d.id in chosen, DISTRICT, d.id) for d in districts
        ]
        names = [d.name(ctx.language) for d in districts if d.id in chosen]
        text = ctx.t("announce.pick_districts", chosen=_listed(ctx, names))
        return Prompt(text, (*rows(buttons, 2), (other, done)))
    if kind == "khoroos":
        return await _ask_khoroos(ctx, pick, other, done)
    if kind == "roles":
        chosen = set(pick.get("roles", []))
        buttons = [_toggle(ctx, target_name(ctx, r), r in chosen, ROLE, r) for r in ROLES]
        names = [target_name(ctx, r) for r in ROLES if r in chosen]
        text = ctx.t("announce.pick_roles", chosen=_listed(ctx, names))
        return Prompt(text, (*rows(buttons, 1), (other, done)))
    kinds = tuple(
        (ctx.button(f"announce.audience.{a}", FORM.data("audience", KIND, a)),) for a in AUDIENCES
    )
    return Prompt(ctx.t("announce.ask_audience"), kinds)


async def _ask_khoroos(ctx: Context, pick: dict[str, Any], other: Button, done: Button) -> Prompt:
    units = Units(ctx.session)
    chosen = {(int(d), int(n)) for d, n in pick.get("khoroos", [])}
    districts = await units.districts()
    names = {d.id: d.name(ctx.language) for d in districts}
    listed = _listed(
        ctx,
        [ctx.t("announce.khoroo", district=names.get(d, "?"), number=n) for d, n in sorted(chosen)],
    )
    opened = pick.get("open")
    district = await units.district(int(opened)) if opened else None
    if district is None:
        buttons = [
            Button(d.name(ctx.language), FORM.data("audience", OPEN, d.id).pack())
            for d in districts
        ]
        text = ctx.t("announce.pick_khoroo_district", chosen=listed)
        return Prompt(text, (*rows(buttons, 2), (other, done)))
    numbers = [
        _toggle(ctx, str(k.number), (district.id, k.number) in chosen, KHOROO, k.number)
        for k in district.khoroos
    ]
    back = ctx.button("announce.pick_districts_back", FORM.data("audience", OPEN))
    text = ctx.t("announce.pick_khoroos", district=district.name(ctx.language), chosen=listed)
    return Prompt(text, (*rows(numbers, KHOROOS_PER_ROW), (back, done)))


def _toggle(ctx: Context, label: str, on: bool, value: str, argument: object) -> Button:
    return Button(f"✅ {label}" if on else label, FORM.data("audience", value, argument).pack())


def _listed(ctx: Context, names: list[str]) -> str:
    return ", ".join(names) if names else ctx.t("announce.none_chosen")


async def accept_audience(ctx: Context, run: FormRun, answer: Answer) -> dict[str, Any] | Again:
    """Take an audience, or change the selection being made in a picker."""
    pick: dict[str, Any] = dict(run.get("pick") or {})
    if answer.text is not None and pick.get("kind") == "khoroos":
        # «Баянзүрх 5, 12» typed instead of tapped, as the vote's targets take it.
        pick["khoroos"] = await _typed_khoroos(ctx, answer.text, pick)
        run.values["pick"] = pick
        return Again()
    if answer.choice is None:
        raise Invalid("error.button_expected")
    code, argument, number = answer.choice, answer.argument, answer.number
    if code == KIND:
        if argument == "all":
            run.values.pop("pick", None)
            return {"kind": "all"}
        if argument == "not_submitted":
            run.values.pop("pick", None)
            return {"kind": "not_submitted", "year": await contest_year(ctx)}
        pick = {"kind": argument} if argument in AUDIENCES else {}
    elif code == KINDS:
        pick = {}
    elif code == DISTRICT and number is not None:
        pick["ids"] = _flip(pick.get("ids", []), number)
    elif code == OPEN:
        pick["open"] = number
    elif code == KHOROO and number is not None and pick.get("open"):
        pick["khoroos"] = _flip(pick.get("khoroos", []), [int(pick["open"]), number])
    elif code == ROLE and argument in ROLES:
        pick["roles"] = _flip(pick.get("roles", []), argument)
    elif code == DONE:
        audience = _audience(pick)
        if audience is None:
            raise Invalid("announce.pick_something")
        run.values.pop("pick", None)
        return audience
    else:
        raise Invalid("error.button_expected")
    run.values["pick"] = pick
    return Again()


async def _typed_khoroos(ctx: Context, text: str, pick: dict[str, Any]) -> list[Any]:
    """Add the khoroos a typed line names (a district alone: all of its khoroos)."""
    units = Units(ctx.session)
    added = list(pick.get("khoroos", []))
    opened = int(pick["open"]) if pick.get("open") else None
    for district_id, number in await read_places(ctx, text, default=opened):
        if number is not None:
            numbers = [number]
        else:
            district = await units.district(int(district_id or 0))
            numbers = [k.number for k in district.khoroos] if district else []
        added += [[district_id, n] for n in numbers if [district_id, n] not in added]
    return added


def _flip(values: list[Any], value: Any) -> list[Any]:
    return [v for v in values if v != value] if value in values else [*values, value]


def _audience(pick: dict[str, Any]) -> dict[str, Any] | None:
    kind = pick.get("kind")
    if kind == "districts" and pick.get("ids"):
        return {"kind": kind, "ids": sorted(pick["ids"])}
    if kind == "khoroos" and pick.get("khoroos"):
        return {"kind": kind, "khoroos": sorted(pick["khoroos"])}
    if kind == "roles" and pick.get("roles"):
        return {"kind": kind, "roles": [r for r in ROLES if r in pick["roles"]]}
    return None


async def contest_year(ctx: Context) -> int:
    """Return the contest year whose submissions count (the calendar's, else this year)."""
    now = ctx.services.clock()
    return await Contest(ctx.session).year(now) or local_year(now)


async def ask_when(ctx: Context, run: FormRun) -> Prompt:
    """Offer to send now, or take a date and time."""
    now_button = ctx.button("announce.now", FORM.data("when", "now"))
    return Prompt(ctx.t("announce.ask_when"), ((now_button,),))


async def accept_when(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take "now" or a future date with a time, in Ulaanbaatar time."""
    if answer.choice == "now":
        return "now"
    moment = validators.moment(answer.require_text(), with_time=True)
    if moment <= ctx.services.clock():
        raise Invalid("announce.when_past")
    return moment.isoformat()


async def ask_preview(ctx: Context, run: FormRun) -> Prompt:
    """Show the message exactly as recipients will get it, then who and when, to confirm."""
    text = run.get("text") or ""
    media = run.get("media") or None
    if media and media["kind"] == "photo":
        ctx.replies.append(SendPhoto(media["file_id"], caption=text))
    elif media:
        ctx.replies.append(SendDocument(media["file_id"], caption=text))
    else:
        ctx.replies.append(SendText(text))
    audience = run.get("audience") or {"kind": "all"}
    count = await Announcements(ctx.session).count_recipients(audience)
    moment = run.get("when") or "now"
    summary = ctx.t(
        "announce.preview",
        audience=await describe_audience(ctx, audience),
        n=count,
        when=ctx.t("announce.when_now")
        if moment == "now"
        else when(datetime.fromisoformat(moment), ctx.language),
    )
    data = FORM.data
    buttons = (
        (ctx.button("announce.confirm", data("preview", "ok")),),
        (
            ctx.button("announce.edit_text", data("preview", EDIT, "text")),
            ctx.button("announce.edit_media", data("preview", EDIT, "media")),
        ),
        (
            ctx.button("announce.edit_audience", data("preview", EDIT, "audience")),
            ctx.button("announce.edit_when", data("preview", EDIT, "when")),
        ),
    )
    return Prompt(summary, buttons)


async def accept_preview(ctx: Context, run: FormRun, answer: Answer) -> bool | Goto:
    """Confirm, or go back to change one answer."""
    choice = answer.choice or ""
    if choice == "ok":
        moment = run.get("when") or "now"
        if moment != "now" and datetime.fromisoformat(moment) <= ctx.services.clock():
            raise Invalid("announce.when_past")
        return True
    step = answer.argument if choice == EDIT else None
    if step in ("text", "media", "audience", "when"):
        if step == "audience":
            run.values.pop("pick", None)
        return Goto(step, resume="preview")
    raise Invalid("error.button_expected")


async def finish(ctx: Context, run: FormRun) -> None:
    """Queue the announcement; the confirmed message becomes its progress report."""
    if not await require_admin(ctx):
        return
    values = run.values
    media = values.get("media") or {}
    moment = values.get("when") or "now"
    now = ctx.services.clock()
    scheduled_at = now if moment == "now" else datetime.fromisoformat(moment)
    announcement = await Announcements(ctx.session).add(
        Announcement(
            kind="admin",
            text=values["text"],
            media_kind=media.get("kind"),
            media_file_id=media.get("file_id"),
            audience=values.get("audience") or {"kind": "all"},
            scheduled_at=scheduled_at,
            author_id=ctx.user.id,
            progress_chat_id=ctx.incoming.chat_id,
            progress_message_id=ctx.incoming.message_id,
        )
    )
    AuditLog(ctx.session).record(
        ctx.user.id, "announcement.queue", f"announcement:{announcement.id}", when=moment
    )
    if moment == "now":
        ctx.after_commit(ctx.services.outbox_ready)
        text = ctx.t("announce.queued", id=announcement.id)
    else:
        text = ctx.t(
            "announce.scheduled", id=announcement.id, when=when(scheduled_at, ctx.language)
        )
    ctx.show(text, ((ctx.button("announce.list", AnnouncementPress("list")),),))


FORM = Form(
    "announce",
    "flow.announce",
    (
        Step("text", ask_text, admin_step(accept_text)),
        Step("media", ask_media, admin_step(accept_media), optional=True),
        Step("audience", ask_audience, admin_step(accept_audience)),
        Step("when", ask_when, admin_step(accept_when)),
        Step("preview", ask_preview, admin_step(accept_preview)),
    ),
    finish,
)


async def describe_audience(ctx: Context, audience: dict[str, Any]) -> str:
    """Say in words who an audience is."""
    kind = audience.get("kind", "all")
    if kind == "districts":
        units = Units(ctx.session)
        names = []
        for district_id in audience.get("ids", []):
            district = await units.district(int(district_id))
            if district is not None:
                names.append(district.name(ctx.language))
        return ctx.t("announce.audience_districts", names=", ".join(names))
    if kind == "khoroos":
        districts = {d.id: d.name(ctx.language) for d in await Units(ctx.session).districts()}
        names = [
            ctx.t("announce.khoroo", district=districts.get(int(d), "?"), number=n)
            for d, n in audience.get("khoroos", [])
        ]
        return ctx.t("announce.audience_khoroos", names=", ".join(names))
    if kind == "roles":
        names = [target_name(ctx, r) for r in audience.get("roles", []) if r in ROLES]
        return ctx.t("announce.audience_roles", names=", ".join(names))
    if kind == "not_submitted":
        return ctx.t("announce.audience_not_submitted", year=str(audience.get("year", "")))
    if kind == "users":  # the contest's notices to jurors and authors
        return ctx.t("contest_notice.audience_users", n=len(audience.get("ids", [])))
    if kind == "officers":  # the contest's notices to a round's khoroos
        named = {d.id: d.name(ctx.language) for d in await Units(ctx.session).districts()}
        listed = ", ".join(named.get(int(d), "?") for d in audience.get("districts", []))
        return ctx.t("contest_notice.audience_officers", names=listed)
    return ctx.t("announce.audience.all")


# -- commands and buttons -------------------------------------------------------------------


async def announce_command(ctx: Context) -> None:
    """Start composing an announcement (admins only); a draft resumes where it was left."""
    if not await require_admin(ctx):
        return
    await FORM.begin(ctx, edit=False)


async def announcements_command(ctx: Context) -> None:
    """List the scheduled announcements with Cancel buttons (admins only)."""
    if not await require_admin(ctx):
        return
    await show_scheduled(ctx, edit=False)


async def show_scheduled(ctx: Context, *, edit: bool = True) -> None:
    """Show what is scheduled or being sent."""
    scheduled = await Announcements(ctx.session).scheduled()
    lines = [ctx.t("announce.list_title")]
    buttons = []
    for announcement in scheduled:
        lines.append(
            ctx.t(
                "announce.list_line",
                id=announcement.id,
                state=ctx.t(f"announce.state.{announcement.state}"),
                when=when(announcement.scheduled_at, ctx.language),
                audience=await describe_audience(ctx, announcement.audience),
                text=html.truncate(html.plain(announcement.text), 60),
            )
        )
        cancel = AnnouncementPress("cancel", announcement.id)
        buttons.append((ctx.button("announce.cancel", cancel, id=announcement.id),))
    if not scheduled:
        lines.append(ctx.t("announce.list_empty"))
    text = "\n\n".join(lines)
    if edit:
        ctx.show(text, tuple(buttons))
    else:
        ctx.send(text, tuple(buttons))


async def on_button(ctx: Context, press: AnnouncementPress) -> None:
    """List or cancel announcements; the admin check is made on every press."""
    if not await require_admin(ctx):
        return
    number = press.announcement or 0
    if press.action == "list":
        ctx.answer()
        await show_scheduled(ctx, edit=False)
    elif press.action == "keep":
        ctx.answer()
        await show_scheduled(ctx)
    elif press.action == "cancel":  # one tap must not cancel: ask first
        ctx.answer()
        yes = ctx.button("announce.cancel_yes", AnnouncementPress("confirm", number))
        no = ctx.button("announce.cancel_no", AnnouncementPress("keep", number))
        ctx.show(ctx.t("announce.cancel_ask", id=number), ((yes, no),))
    else:
        cancelled = await Announcements(ctx.session).cancel(number, ctx.services.clock())
        if cancelled:
            AuditLog(ctx.session).record(
                ctx.user.id, "announcement.cancel", f"announcement:{number}"
            )
        ctx.answer(ctx.t("announce.cancelled" if cancelled else "announce.not_cancellable"))
        await show_scheduled(ctx)


def register(router: Router) -> None:
    """Add /announce, /announcements and their buttons to the router."""
    router.form(FORM)
    router.commands.update({"announce": announce_command, "announcements": announcements_command})
    router.button(AnnouncementPress, on_button)
