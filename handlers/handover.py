"""Handing an adoption to another officer: only admins do it, and it is audited.

An adoption is reported on and rated by the officer who adopted it; when that officer
leaves, an admin hands it to someone else: ``/handover ADOPTION USER``, or the "Hand over"
button on the adoption's card, which offers the officers registered in that khoroo.
"""

from __future__ import annotations

from handlers.context import Context
from handlers.dispatcher import Router
from handlers.messages import Button
from handlers.permissions import is_admin
from handlers.roles import name_of, resolve_user
from storage.adoptions import Adoptions
from storage.audit import AuditLog
from storage.models import Adoption, User
from storage.users import Users

PREFIX = "ho"  # ho:l:<adoption> lists the khoroo's officers, ho:t:<adoption>:<user> hands over
CANDIDATES = 10


def handover_list_data(adoption_id: int) -> str:
    """Return the data of the card's "Hand over" button."""
    return f"{PREFIX}:l:{adoption_id}"


def handover_to_data(adoption_id: int, user_id: int) -> str:
    """Return the data of a button that hands the adoption to one officer."""
    return f"{PREFIX}:t:{adoption_id}:{user_id}"


def parse_handover(data: str) -> tuple[str, int, int | None] | None:
    """Return (action, adoption id, user id or None) from a handover button, or None."""
    parts = data.split(":")
    if len(parts) not in (3, 4) or parts[0] != PREFIX or not parts[2].isdigit():
        return None
    if parts[1] == "l" and len(parts) == 3:
        return "l", int(parts[2]), None
    if parts[1] == "t" and len(parts) == 4 and parts[3].isdigit():
        return "t", int(parts[2]), int(parts[3])
    return None


async def hand_over(ctx: Context, adoption: Adoption, user: User) -> None:
    """Make the user the adoption's officer, tell everyone concerned, and audit it."""
    previous = adoption.user_id
    if previous == user.id:
        ctx.send(ctx.t("handover.already", user=name_of(user), id=adoption.id))
        return
    await Adoptions(ctx.session).hand_over(adoption, user.id)
    AuditLog(ctx.session).record(
        ctx.user.id, "adoption.handover", f"adoption:{adoption.id}", previous=previous, to=user.id
    )
    title = adoption.practice.title
    ctx.send(ctx.t("handover.done", user=name_of(user), id=adoption.id, title=title))
    catalogue = ctx.services.catalogue
    open_button = Button(
        catalogue.text(user.language, "handover.open"), f"ad:m:{adoption.id}"
    )  # the adoption card's own button
    ctx.send(
        catalogue.text(user.language, "handover.told_new", title=title),
        ((open_button,),),
        chat_id=user.id,
    )
    former = await Users(ctx.session).get(previous) if previous else None
    if former is not None and former.id != ctx.user.id:
        ctx.send(
            catalogue.text(former.language, "handover.told_former", title=title),
            chat_id=former.id,
        )


async def handover_command(ctx: Context) -> None:
    """Handle /handover ADOPTION USER (admins)."""
    if not await is_admin(ctx):
        ctx.send(ctx.t("roles.admins_only"))
        return
    words = ctx.incoming.args.split()
    if len(words) != 2 or not words[0].lstrip("#").isdigit():
        ctx.send(ctx.t("handover.usage"))
        return
    adoption = await Adoptions(ctx.session).get(int(words[0].lstrip("#")))
    if adoption is None:
        ctx.send(ctx.t("handover.unknown", id=words[0]))
        return
    user = await resolve_user(ctx, words[1])
    if user is None:
        ctx.send(ctx.t("roles.unknown_user", user=words[1]))
        return
    await hand_over(ctx, adoption, user)


async def on_button(ctx: Context) -> None:
    """List the khoroo's officers to hand the adoption to, or hand it to the one pressed."""
    parsed = parse_handover(ctx.incoming.callback_data or "")
    if not await is_admin(ctx):
        ctx.answer(ctx.t("roles.admins_only"), alert=True)
        return
    adoption = await Adoptions(ctx.session).get(parsed[1]) if parsed else None
    if parsed is None or adoption is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    action, _, user_id = parsed
    ctx.answer()
    users = Users(ctx.session)
    if action == "t" and user_id is not None:
        user = await users.get(user_id)
        if user is None:
            ctx.send(ctx.t("roles.unknown_user", user=str(user_id)))
            return
        await hand_over(ctx, adoption, user)
        return
    officers = [
        u
        for u in await users.of_khoroo(adoption.district_id, adoption.khoroo_number, CANDIDATES)
        if u.id != adoption.user_id
    ]
    buttons = tuple((Button(name_of(u), handover_to_data(adoption.id, u.id)),) for u in officers)
    ctx.send(ctx.t("handover.pick", id=adoption.id, title=adoption.practice.title), buttons)


def register(router: Router) -> None:
    """Add /handover and its buttons."""
    router.commands["handover"] = handover_command
    router.buttons[PREFIX] = on_button
