"""Handing an adoption to another officer: only admins do it, and it is audited.

An adoption is reported on and rated by the officer who adopted it; when that officer
leaves, an admin hands it to someone else: ``/handover ADOPTION USER``, or the "Hand over"
button on the adoption's card, which offers the officers registered in that khoroo.
"""

from __future__ import annotations

from typing import Literal

from handlers.callbacks import Callback
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


class HandoverPress(Callback, prefix=PREFIX):
    """List the khoroo's officers to hand an adoption to ("l"), or hand it to one ("t")."""

    action: Literal["l", "t"]
    adoption: int
    user: int | None = None


def handover_list_data(adoption_id: int) -> HandoverPress:
    """Return the card's "Hand over" button."""
    return HandoverPress("l", adoption_id)


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


async def on_button(ctx: Context, press: HandoverPress) -> None:
    """List the khoroo's officers to hand the adoption to, or hand it to the one pressed."""
    if not await is_admin(ctx):
        ctx.answer(ctx.t("roles.admins_only"), alert=True)
        return
    adoption = await Adoptions(ctx.session).get(press.adoption)
    if adoption is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    action, user_id = press.action, press.user
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
    buttons = tuple(
        (Button(name_of(u), HandoverPress("t", adoption.id, u.id).pack()),) for u in officers
    )
    ctx.send(ctx.t("handover.pick", id=adoption.id, title=adoption.practice.title), buttons)


def register(router: Router) -> None:
    """Add /handover and its buttons."""
    router.commands["handover"] = handover_command
    router.button(HandoverPress, on_button)
