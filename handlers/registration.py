"""Registration: language, district, khoroo and position, then the main menu.

The same steps change a registered user's profile: the settings screen runs only the
steps it needs (district and khoroo, or position). The position is what the officer does;
it grants no rights (those come from admins: handlers/roles.py, handlers/invitations.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from handlers import menu
from handlers.callbacks import Callback, MaxBytes
from handlers.commands import refresh_menu
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.i18n import LANGUAGES
from handlers.messages import Button, rows
from handlers.steps import Again, Answer, Form, FormRun, Invalid, Prompt, Step
from storage.models import District
from storage.units import Units, khoroo_number, unit_matcher
from storage.users import POSITIONS, Users

# What registration says, per kind of units (storage/units.py KINDS): districts and
# khoroos, or aimags and soums.
UNIT_TEXTS = {
    "district": {
        "ask": "registration.district",
        "ask_lower": "registration.khoroo",
        "unknown": "error.unknown_district",
        "done": "registration.done",
    },
    "aimag": {
        "ask": "registration.aimag",
        "ask_lower": "registration.soum",
        "unknown": "error.unknown_aimag",
        "done": "registration.done_aimag",
    },
}
SOUMS_PER_ROW = 2
KHOROOS_PER_PAGE = 20
KHOROOS_PER_ROW = 5
PAGE = "page"  # the khoroo step's paging buttons; their argument is the page


class LanguagePress(Callback, prefix="language"):
    """Switch to a language (outside registration: from the profile or /language)."""

    code: Annotated[str, MaxBytes(8)]


class SettingsPress(Callback, prefix="settings"):
    """Change one part of the profile."""

    part: Literal["language", "district", "position"]


async def ask_language(ctx: Context, run: FormRun) -> Prompt:
    """Offer the languages, each labelled in its own language."""
    buttons = [ctx.button(f"language.{code}", FORM.data("language", code)) for code in LANGUAGES]
    return Prompt(ctx.t("language.ask"), (tuple(buttons),))


async def accept_language(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take a language button (or its code typed) and switch to it at once."""
    choice = (answer.choice or answer.text or "").strip().lower()
    if choice not in LANGUAGES:
        raise Invalid("language.button_expected")  # asked in both: the language is not known yet
    ctx.user.language = choice
    return choice


def _kind(districts: Sequence[District]) -> str:
    """Return the kind of the units: aimags only when every one is an aimag."""
    return "aimag" if districts and all(d.kind == "aimag" for d in districts) else "district"


async def ask_district(ctx: Context, run: FormRun) -> Prompt:
    """List the districts as buttons, two per row."""
    districts = await Units(ctx.session).districts()
    buttons = [Button(d.name(ctx.language), FORM.data("district", d.id).pack()) for d in districts]
    return Prompt(ctx.t(UNIT_TEXTS[_kind(districts)]["ask"]), rows(buttons, 2))


async def accept_district(ctx: Context, run: FormRun, answer: Answer) -> int:
    """Take a district button, or a typed name that clearly names one district."""
    districts = await Units(ctx.session).districts()
    if answer.choice is not None:
        chosen = [d for d in districts if str(d.id) == answer.choice]
    else:
        # Typed the loose ways people write it: the importer's matcher (storage/units.py).
        match = unit_matcher(districts).match(answer.require_text())
        chosen = [d for d in districts if match is not None and d.code == match.id]
    if len(chosen) != 1:
        raise Invalid(UNIT_TEXTS[_kind(districts)]["unknown"])
    if run.get("district") != chosen[0].id:
        run.values.pop("khoroo", None)
    return chosen[0].id


async def _chosen_district(ctx: Context, run: FormRun) -> District:
    district_id = run.get("district", ctx.user.district_id)
    district = await Units(ctx.session).district(int(district_id)) if district_id else None
    if district is None:  # the units were replaced meanwhile: choose the district again
        run.values.pop("district", None)
        raise Invalid("error.unknown_district")
    return district


async def ask_khoroo(ctx: Context, run: FormRun) -> Prompt:
    """Show the district's khoroos as numbered buttons, a page at a time."""
    district = await _chosen_district(ctx, run)
    count = len(district.khoroos)
    pages = max(1, -(-count // KHOROOS_PER_PAGE))
    page = min(max(int(run.view.get("page", 1)), 1), pages)
    first = (page - 1) * KHOROOS_PER_PAGE + 1
    numbers = range(first, min(first + KHOROOS_PER_PAGE, count + 1))
    if _named(district):
        buttons = rows(
            [
                Button(k.name(ctx.language) or str(k.number), FORM.data("khoroo", k.number).pack())
                for k in district.khoroos[first - 1 : first - 1 + KHOROOS_PER_PAGE]
            ],
            SOUMS_PER_ROW,
        )
    else:
        buttons = rows(
            [ctx.button("unit.khoroo_short", FORM.data("khoroo", n), number=n) for n in numbers],
            KHOROOS_PER_ROW,
        )
    if pages > 1:
        paging = []
        if page > 1:
            paging.append(ctx.button("nav.previous", FORM.data("khoroo", PAGE, page - 1)))
        paging.append(
            ctx.button("nav.page", FORM.data("khoroo", PAGE, page), page=page, pages=pages)
        )
        if page < pages:
            paging.append(ctx.button("nav.next", FORM.data("khoroo", PAGE, page + 1)))
        buttons = (*buttons, tuple(paging))
    ask = UNIT_TEXTS[district.kind if district.kind in UNIT_TEXTS else "district"]["ask_lower"]
    return Prompt(ctx.t(ask, district=district.name(ctx.language)), buttons)


def _named(district: District) -> bool:
    """Tell whether the district's units are named soums rather than numbered khoroos."""
    return any(k.name_mn for k in district.khoroos)


async def accept_khoroo(ctx: Context, run: FormRun, answer: Answer) -> int | Again:
    """Take a khoroo number from a button or typed; a page button turns the page."""
    district = await _chosen_district(ctx, run)
    if answer.choice == PAGE:
        return Again({"page": answer.number or 1})
    raw = answer.choice if answer.choice is not None else answer.require_text()
    number = khoroo_number(district, raw)
    if number is None and _named(district):
        raise Invalid("error.unknown_soum", district=district.name(ctx.language))
    if number is None:
        last = len(district.khoroos)
        # «сайн уу» has no number to be out of range: ask for one instead.
        key = "error.khoroo_range" if any(ch.isdigit() for ch in raw) else "error.khoroo_number"
        raise Invalid(key, district=district.name(ctx.language), last=last)
    return number


async def ask_position(ctx: Context, run: FormRun) -> Prompt:
    """Offer the positions."""
    buttons = [ctx.button(f"position.{p}", FORM.data("position", p)) for p in POSITIONS]
    return Prompt(ctx.t("registration.position"), rows(buttons, 1))


async def accept_position(ctx: Context, run: FormRun, answer: Answer) -> str:
    """Take a position button."""
    if answer.choice not in POSITIONS:
        raise Invalid("error.button_expected")
    return answer.choice


async def finish(ctx: Context, run: FormRun) -> None:
    """Save the profile and show where to go next."""
    user, values = ctx.user, run.values
    user.language = values.get("language", user.language)
    user.district_id = values.get("district", user.district_id)
    user.khoroo_number = values.get("khoroo", user.khoroo_number)
    user.position = values.get("position", user.position)
    if run.only is not None and user.registered:
        ctx.send(ctx.t("settings.saved"))
        await show_settings(ctx, edit=False)
        return
    user.registered = True
    district = await Units(ctx.session).district(user.district_id) if user.district_id else None
    done = UNIT_TEXTS["aimag" if district and district.kind == "aimag" else "district"]["done"]
    ctx.send(ctx.t(done, **await profile_values(ctx)))
    pending = ctx.data.pop("pending_start", None)
    await menu.show_menu(ctx, edit=False, after_start=pending)


async def profile_values(ctx: Context) -> dict[str, Any]:
    """Return the user's district, khoroo and position as display texts."""
    user = ctx.user
    district = await Units(ctx.session).district(user.district_id) if user.district_id else None
    not_set = ctx.t("settings.not_set")
    khoroo = next(
        (k for k in (district.khoroos if district else ()) if k.number == user.khoroo_number),
        None,
    )
    return {
        "district": district.name(ctx.language) if district else not_set,
        "khoroo": (khoroo.name(ctx.language) if khoroo else None) or user.khoroo_number or not_set,
        "position": position_name(ctx, user.position),
    }


def position_name(ctx: Context, position: str | None) -> str:
    """Return how a position reads; "trainer" was offered before positions replaced roles."""
    if position in POSITIONS or position == "trainer":
        return ctx.t(f"position.{position}")
    return ctx.t("settings.not_set")


async def granted_roles(ctx: Context) -> str:
    """Return the roles admins granted the user, as the profile shows them."""
    roles = sorted(await Users(ctx.session).roles_of(ctx.user.id))
    if ctx.is_admin and "admin" not in roles:
        roles.insert(0, "admin")
    names = [ctx.t(f"roles.name.{role}") for role in roles]
    return ", ".join(names) if names else ctx.t("settings.no_roles")


FORM = Form(
    "registration",
    "flow.registration",
    (
        Step("language", ask_language, accept_language),
        Step("district", ask_district, accept_district),
        Step("khoroo", ask_khoroo, accept_khoroo),
        Step("position", ask_position, accept_position),
    ),
    finish,
    changed_key="cancel.profile",
)


async def require(ctx: Context) -> None:
    """Greet a new user, or bring back one who left registration, at the step they were at."""
    if ctx.incoming.command == "start" and ctx.incoming.args:
        ctx.data["pending_start"] = ctx.incoming.args
    if FORM.has_draft(ctx):
        ctx.send(ctx.t("registration.resumed"))
    else:
        ctx.send(ctx.t("registration.welcome", name=ctx.user.first_name or "👋"))
    if ctx.incoming.callback_id:
        ctx.answer(ctx.t("registration.required"))
    await FORM.begin(ctx)


async def show_settings(ctx: Context, *, edit: bool = True) -> None:
    """Show the profile with buttons to change each part."""
    user = ctx.user
    text = ctx.t(
        "settings.title",
        language=ctx.t(f"language.{user.language}"),
        subscribed=ctx.t("settings.enabled" if user.subscribed else "settings.disabled"),
        roles=await granted_roles(ctx),
        **await profile_values(ctx),
    )
    buttons = (
        (ctx.button("settings.language", SettingsPress("language")),),
        (ctx.button("settings.district", SettingsPress("district")),),
        (ctx.button("settings.position", SettingsPress("position")),),
        (ctx.button("nav.menu", menu.HOME),),
    )
    if edit:
        ctx.show(text, buttons)
    else:
        ctx.send(text, buttons)


async def show_languages(ctx: Context) -> None:
    """Offer the languages; the choice applies at once."""
    buttons = tuple(ctx.button(f"language.{code}", LanguagePress(code)) for code in LANGUAGES)
    ctx.show(ctx.t("language.ask"), (buttons,))


async def on_language(ctx: Context, press: LanguagePress) -> None:
    """Switch the language and show the menu in it."""
    code = press.code
    if code not in LANGUAGES:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    ctx.user.language = code
    ctx.answer(ctx.t("language.changed"))
    await refresh_menu(ctx, ctx.user)  # the command menu speaks the new language too
    await menu.show_menu(ctx)


async def on_settings(ctx: Context, press: SettingsPress) -> None:
    """Change one part of the profile with the registration's own steps."""
    part = press.part
    ctx.answer()
    if part == "language":
        await show_languages(ctx)
    elif part == "district":
        await FORM.begin(ctx, only=("district", "khoroo"))
    elif part == "position":
        await FORM.begin(ctx, only=("position",))
    else:
        await show_settings(ctx)


async def settings_command(ctx: Context) -> None:
    """Show the profile as a new message."""
    await show_settings(ctx, edit=False)


async def language_command(ctx: Context) -> None:
    """Offer the languages as a new message."""
    ctx.send(
        ctx.t("language.ask"),
        (tuple(ctx.button(f"language.{code}", LanguagePress(code)) for code in LANGUAGES),),
    )


def register(router: Router) -> None:
    """Add registration, the profile and the language choice to the router."""
    router.form(FORM)
    router.public_flows.add(FORM.name)
    router.unregistered = require
    router.commands.update({"profile": settings_command, "language": language_command})
    router.button(SettingsPress, on_settings)
    router.button(LanguagePress, on_language)
    router.menu["settings"] = show_settings
