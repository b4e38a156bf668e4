"""Invitation links: an admin's deep link grants a role to whoever opens it.

``/invite ROLE [DISTRICT] [USES] [DAYS]`` makes ``https://t.me/<bot>?start=inv_<token>``:
one use and seven days unless told otherwise. The token is random and only its hash is
stored; an expired, used-up or revoked link grants nothing. ``/invites`` lists the links
still open, each with a Revoke button. Making, using and revoking a link are audited.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from handlers import menu
from handlers.callbacks import Callback
from handlers.commands import refresh_menu
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import Html
from handlers.i18n import format_date
from handlers.messages import Button, Keyboard
from handlers.permissions import DISTRICT_ROLES, JUROR, ROLES, is_admin
from handlers.roles import name_of, resolve_district, where
from storage.audit import AuditLog
from storage.invitations import Invitations, state_of
from storage.models import District, Invitation
from storage.units import Units
from storage.users import Users

PREFIX = "inv"  # button data: inv:x:<invitation id> revokes; also the deep link's prefix
DEFAULT_USES, MAX_USES = 1, 500
DEFAULT_DAYS, MAX_DAYS = 7, 90


class InvitePress(Callback, prefix=PREFIX):
    """Revoke an invitation (an admin's button on /invites)."""

    action: Literal["x"]
    invitation: int


def link(ctx: Context, token: str) -> str:
    """Return the deep link that opens an invitation."""
    return f"https://t.me/{ctx.services.bot_username or 'bot'}?start={PREFIX}_{token}"


def describe(ctx: Context, invitation: Invitation) -> Html:
    """Say what an invitation grants, how often it was used and until when it holds."""
    return ctx.t(
        "invite.line",
        id=invitation.id,
        role=ctx.t(f"roles.name.{invitation.role}"),
        where=scope(ctx, invitation.role, invitation.district),
        used=invitation.used,
        uses=invitation.uses,
        until=format_date(invitation.expires_at, ctx.language, with_time=True),
    )


def scope(ctx: Context, role: str, district: District | None, language: str | None = None) -> Html:
    """Say where a district role holds (nothing for roles that hold everywhere)."""
    return where(ctx, district, language) if role in DISTRICT_ROLES else Html("")


def revoke_button(ctx: Context, invitation: Invitation) -> Keyboard:
    """Return the Revoke button of one invitation."""
    return (
        (
            Button(
                ctx.t("invite.revoke_button", id=invitation.id),
                InvitePress("x", invitation.id).pack(),
            ),
        ),
    )


def _parse(words: list[str]) -> tuple[str, str | None, int, int] | None:
    """Split /invite's words into role, district word, uses and days; None if malformed."""
    if not words:
        return None
    role, rest = words[0].lower(), words[1:]
    district = rest.pop(0) if rest and not rest[0].isdigit() else None
    if len(rest) > 2 or not all(word.isdigit() for word in rest):
        return None
    uses = int(rest[0]) if rest else DEFAULT_USES
    days = int(rest[1]) if len(rest) > 1 else DEFAULT_DAYS
    return role, district, uses, days


async def invite_command(ctx: Context) -> None:
    """Handle /invite ROLE [DISTRICT] [USES] [DAYS]: make a link and show it to the admin."""
    if not await is_admin(ctx):
        ctx.send(ctx.t("roles.admins_only"))
        return
    parsed = _parse(ctx.incoming.args.split())
    if parsed is None:
        ctx.send(ctx.t("invite.usage", max_uses=MAX_USES, max_days=MAX_DAYS))
        return
    role, district_word, uses, days = parsed
    if role not in ROLES:
        ctx.send(ctx.t("roles.unknown_role", role=role))
        return
    if district_word is not None and role not in DISTRICT_ROLES:
        ctx.send(ctx.t("invite.no_district", role=ctx.t(f"roles.name.{role}")))
        return
    if role == JUROR:  # a juror scores one round: added there, not by a link
        ctx.send(ctx.t("invite.juror_per_round", button=ctx.t("judging.add_juror")))
        return
    if district_word is None and role in DISTRICT_ROLES:
        # A link that opens every district must be asked for, never the default.
        ctx.send(ctx.t("invite.needs_district", role=role))
        return
    if not (1 <= uses <= MAX_USES and 1 <= days <= MAX_DAYS):
        ctx.send(ctx.t("invite.bounds", max_uses=MAX_USES, max_days=MAX_DAYS))
        return
    district = await resolve_district(ctx, district_word)
    if isinstance(district, str):
        codes = ", ".join(d.code for d in await Units(ctx.session).districts())
        ctx.send(ctx.t("roles.unknown_district", codes=codes))
        return
    invitation, token = await Invitations(ctx.session).create(
        role=role,
        district_id=district.id if district else None,
        uses=uses,
        expires_at=ctx.services.clock() + timedelta(days=days),
        created_by=ctx.user.id,
    )
    AuditLog(ctx.session).record(
        ctx.user.id,
        "invite.create",
        f"invite:{invitation.id}",
        role=role,
        district=district.code if district else None,
        uses=uses,
        days=days,
    )
    ctx.send(
        ctx.t("invite.created", link=link(ctx, token), details=describe(ctx, invitation)),
        revoke_button(ctx, invitation),
    )


async def invites_command(ctx: Context) -> None:
    """List the invitations that can still be used, each with its Revoke button."""
    if not await is_admin(ctx):
        ctx.send(ctx.t("roles.admins_only"))
        return
    active = await Invitations(ctx.session).active(ctx.services.clock())
    if not active:
        ctx.send(ctx.t("invite.none"))
        return
    lines = [ctx.t("invite.list_title")] + [describe(ctx, i) for i in active]
    buttons = tuple(row for invitation in active for row in revoke_button(ctx, invitation))
    ctx.send("\n".join(lines), buttons)


async def on_button(ctx: Context, press: InvitePress) -> None:
    """Revoke an invitation (admins only; checked here, the button proves nothing)."""
    if not await is_admin(ctx):
        ctx.answer(ctx.t("roles.admins_only"), alert=True)
        return
    invitations = Invitations(ctx.session)
    invitation = await invitations.get(press.invitation)
    if invitation is None:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    if not invitations.revoke(invitation, ctx.user.id, ctx.services.clock()):
        ctx.answer(ctx.t("invite.already_revoked"))
        return
    AuditLog(ctx.session).record(ctx.user.id, "invite.revoke", f"invite:{invitation.id}")
    ctx.answer(ctx.t("invite.revoked_notice"))
    ctx.send(ctx.t("invite.revoked", details=describe(ctx, invitation)))


async def redeem(ctx: Context) -> None:
    """Open an invitation link (/start inv_<token>): grant its role if it is still valid."""
    token = str(ctx.data.pop("start_argument", ""))
    now = ctx.services.clock()
    invitations = Invitations(ctx.session)
    invitation = await invitations.by_token(token) if token else None
    state = state_of(invitation, now) if invitation is not None else "unknown"
    if invitation is None or state != "active":
        ctx.send(ctx.t(f"invite.not_valid.{state}"))
        await menu.show_menu(ctx, edit=False)
        return
    users = Users(ctx.session)
    role, district = invitation.role, invitation.district
    held = any(
        g.role == role and g.district_id == invitation.district_id
        for g in await users.grants(ctx.user.id)
    )
    if held:  # opening it again takes no use from the others invited
        ctx.send(
            ctx.t(
                "roles.told_granted",
                role=ctx.t(f"roles.name.{role}"),
                where=scope(ctx, role, district),
            )
        )
        await menu.show_menu(ctx, edit=False)
        return
    if not await invitations.use(invitation, now):  # someone took the last use just now
        ctx.send(ctx.t("invite.not_valid.used_up"))
        await menu.show_menu(ctx, edit=False)
        return
    await users.grant(ctx.user.id, role, invitation.district_id, invitation.created_by)
    AuditLog(ctx.session).record(
        ctx.user.id,
        "invite.redeem",
        f"invite:{invitation.id}",
        role=role,
        district=district.code if district else None,
    )
    ctx.send(
        ctx.t(
            "roles.told_granted", role=ctx.t(f"roles.name.{role}"), where=scope(ctx, role, district)
        )
    )
    await _tell_creator(ctx, invitation)
    await refresh_menu(ctx, ctx.user)  # their command menu now lists the role's commands
    await menu.show_menu(ctx, edit=False)


async def _tell_creator(ctx: Context, invitation: Invitation) -> None:
    """Tell the admin who made the link who used it."""
    creator = await Users(ctx.session).get(invitation.created_by or 0)
    if creator is None or creator.id == ctx.user.id:
        return
    catalogue, language = ctx.services.catalogue, creator.language
    ctx.send(
        catalogue.text(
            language,
            "invite.used",
            user=name_of(ctx.user),
            id=invitation.id,
            role=catalogue.text(language, f"roles.name.{invitation.role}"),
            where=scope(ctx, invitation.role, invitation.district, language),
        ),
        chat_id=creator.id,
    )


def register(router: Router) -> None:
    """Add /invite, /invites, the Revoke button and the invitation deep link."""
    router.commands.update({"invite": invite_command, "invites": invites_command})
    router.button(InvitePress, on_button)
    router.start_payloads[PREFIX] = redeem
