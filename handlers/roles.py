"""Roles: admins grant and revoke admin, reviewer and trainer; everything is audited.

A user is named by their numeric id, their @username, or by forwarding one of their
messages to the bot. A reviewer reviews one district: the one the admin names (as
registration reads district names), else the grantee's own; every district only when the
admin says so. Jurors are added per contest round in /judging. Every privileged action is
checked when performed, so a forged button press by a non-admin changes nothing.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from typing import Annotated

from handlers.callbacks import Callback, MaxBytes
from handlers.commands import refresh_menu
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import Html, plain
from handlers.i18n import LANGUAGES, Catalogue
from handlers.messages import SendDocument
from handlers.permissions import ADMIN, JUROR, REVIEWER, ROLES, is_admin
from handlers.practice_card import texts_for
from storage import csv_safe
from storage.audit import AuditLog
from storage.contest_judging import CAPITAL, Judging
from storage.models import ContestRound, District, User
from storage.units import Units, unit_matcher
from storage.users import Users

# What an admin writes for "every district"; anything else must name one district.
EVERYWHERE = frozenset({"all", "everywhere", "all districts", "бүх", "бүгд", "бүх дүүрэг"})


class GrantPress(Callback, prefix="roles"):
    """Grant a role to the author of a message an admin forwarded."""

    role: Annotated[str, MaxBytes(16)]
    user: int


async def resolve_user(ctx: Context, word: str) -> User | None:
    """Find a user by numeric id or @username."""
    users = Users(ctx.session)
    if word.lstrip("-").isdigit():
        return await users.get(int(word))
    return await users.by_username(word)


async def resolve_district(ctx: Context, word: str | None) -> District | str | None:
    """Return the district a word names, None for every district, or the word if unknown.

    Names are read as registration reads them: codes, names, aliases (БЗД), Latin
    spellings and small typos.
    """
    if word is None or " ".join(word.casefold().split()) in EVERYWHERE:
        return None
    districts = await Units(ctx.session).districts()
    match = unit_matcher(districts).match(word)
    return next((d for d in districts if match is not None and d.code == match.id), word)


def name_of(user: User) -> str:
    """Return how a user is shown to admins."""
    return (
        f"{user.first_name} (@{user.username})"
        if user.username
        else user.first_name or str(user.id)
    )


def where(ctx: Context, district: District | None, language: str | None = None) -> Html:
    """Say in which district a reviewer reviews (nothing for other roles)."""
    catalogue, language = ctx.services.catalogue, language or ctx.language
    place = district.name(language) if district else catalogue.text(language, "roles.everywhere")
    return catalogue.text(language, "roles.where", district=place)


async def change(
    ctx: Context, role: str, user: User, district: District | None, *, grant: bool
) -> None:
    """Grant or revoke one role, tell both sides, and audit it."""
    users = Users(ctx.session)
    district_id = district.id if district else None
    if grant:
        done = await users.grant(user.id, role, district_id, ctx.user.id)
    else:
        done = await users.revoke(user.id, role, district_id)
    scope = where(ctx, district) if role == REVIEWER else Html("")
    role_name = ctx.t(f"roles.name.{role}")
    key = (
        ("roles.granted" if done else "roles.already")
        if grant
        else ("roles.revoked" if done else "roles.not_held")
    )
    ctx.send(ctx.t(key, user=name_of(user), role=role_name, where=scope))
    if not done:
        return
    AuditLog(ctx.session).record(
        ctx.user.id,
        "role.grant" if grant else "role.revoke",
        f"user:{user.id}",
        role=role,
        district=district.code if district else None,
    )
    await refresh_menu(ctx, user)  # their command menu follows their roles
    catalogue = ctx.services.catalogue
    told_scope = where(ctx, district, user.language) if role == REVIEWER else Html("")
    ctx.send(
        catalogue.text(
            user.language,
            "roles.told_granted" if grant else "roles.told_revoked",
            role=catalogue.text(user.language, f"roles.name.{role}"),
            where=told_scope,
        ),
        chat_id=user.id,
    )


async def grant_command(ctx: Context, *, grant: bool = True) -> None:
    """Handle /grant ROLE USER [DISTRICT] and /revoke ROLE USER [DISTRICT]."""
    if not await is_admin(ctx):
        ctx.send(ctx.t("roles.admins_only"))
        return
    words = ctx.incoming.args.split()
    catalogue = ctx.services.catalogue
    if len(words) > 2 and role_named(" ".join(words[:2]), catalogue) is not None:
        words = [" ".join(words[:2]), *words[2:]]  # a role named in two words: сургагч багш
    if len(words) < 2:
        ctx.send(ctx.t("roles.usage"))
        return
    role = role_named(words[0], catalogue)
    if role is None:
        ctx.send(ctx.t("roles.unknown_role", role=words[0]))
        return
    user = await resolve_user(ctx, words[1])
    if user is None:
        ctx.send(ctx.t("roles.unknown_user", user=words[1]))
        return
    if role == JUROR and grant:
        ctx.send(juror_hint(ctx, user))
        return
    place = " ".join(words[2:]) or None  # a district may be two words: хан уул
    if role != REVIEWER:
        if place is not None:
            ctx.send(ctx.t("invite.no_district", role=ctx.t(f"roles.name.{role}")))
            return
        await change(ctx, role, user, None, grant=grant)
        return
    if place is None and not grant:
        await revoke_reviewer(ctx, user)
        return
    if place is None:
        if user.district is None:
            example = (await Units(ctx.session).districts())[0].code
            ctx.send(ctx.t("roles.no_district", user=name_of(user), id=user.id, code=example))
            return
        await change(ctx, role, user, user.district, grant=True)
        return
    district = await resolve_district(ctx, place)
    if isinstance(district, str):
        codes = ", ".join(d.code for d in await Units(ctx.session).districts())
        ctx.send(ctx.t("roles.unknown_district", codes=codes))
        return
    await change(ctx, role, user, district, grant=grant)


async def revoke_reviewer(ctx: Context, user: User) -> None:
    """Take back every district a user reviews: /revoke reviewer USER means they stop."""
    units = {d.id: d for d in await Units(ctx.session).districts()}
    held = [g for g in await Users(ctx.session).grants(user.id) if g.role == REVIEWER]
    if not held:
        await change(ctx, REVIEWER, user, None, grant=False)
        return
    for grant in held:
        await change(ctx, REVIEWER, user, units.get(grant.district_id or -1), grant=False)


def juror_hint(ctx: Context, user: User) -> Html:
    """Say how to add a juror: a juror scores one round, so the grant is a round's."""
    return ctx.t(
        "roles.juror_per_round",
        user=name_of(user),
        id=user.id,
        button=ctx.t("judging.add_juror"),
    )


async def revoke_command(ctx: Context) -> None:
    """Handle /revoke."""
    await grant_command(ctx, grant=False)


async def grant_reviewer_command(ctx: Context) -> None:
    """Keep /grant_reviewer USER DISTRICT working: it is /grant reviewer USER DISTRICT."""
    ctx.incoming = replace(ctx.incoming, args=f"reviewer {ctx.incoming.args}")
    await grant_command(ctx)


def listed(user: User | None, user_id: int) -> str:
    """Return how /roles shows a holder: name, @username and id, so namesakes differ."""
    if user is None:
        return str(user_id)
    handle = f" @{user.username}" if user.username else ""
    return f"{user.first_name or '—'}{handle} · {user.id}"


def role_named(word: str, catalogue: Catalogue) -> str | None:
    """Return the role a word names (its code, or its name in any language), if any."""
    folded = " ".join(word.casefold().split())
    for role in ROLES:
        names = {role} | {
            plain(catalogue.text(language, f"roles.name.{role}")).casefold()
            for language in LANGUAGES
        }
        # "хянагч" names "туршлага хянагч", "сургагч" names "сургагч багш", as officers say it.
        if folded in names or any(folded in name.split() for name in names):
            return role
    return None


def matches(user: User | None, user_id: int, fragment: str) -> bool:
    """Tell whether a name, @username or id fragment fits the user."""
    fragment = fragment.casefold().lstrip("@")
    names = [str(user_id)]
    if user is not None:
        names += [user.first_name.casefold(), (user.username or "").casefold()]
    return any(fragment in name for name in names)


async def roles_command(ctx: Context) -> None:
    """List who holds which role, with ids and @usernames; filter by role, district or name.

    /roles reviewer, /roles bayangol, /roles Бат, /roles @bat.
    """
    if not await is_admin(ctx):
        ctx.send(ctx.t("roles.admins_only"))
        return
    users = Users(ctx.session)
    word = " ".join(ctx.incoming.args.split())
    role = role_named(word, ctx.services.catalogue) if word else None
    district = await resolve_district(ctx, word) if word and role is None else None
    units = {d.id: d for d in await Units(ctx.session).districts()}
    rows: list[tuple[str, District | None, User | None, int]] = [
        ("config", None, await users.get(admin_id), admin_id)
        for admin_id in sorted(ctx.services.admin_ids)
    ]
    for grant in await users.all_grants():
        place = units.get(grant.district_id or -1)
        rows.append((grant.role, place, await users.get(grant.user_id), grant.user_id))

    def kept(row: tuple[str, District | None, User | None, int]) -> bool:
        held, place, user, user_id = row
        if not word:
            return True
        if role is not None:
            return held == role or (held == "config" and role == ADMIN)
        # A word may name both a district (typos allowed) and someone: show both.
        if isinstance(district, District) and held == REVIEWER and place in (None, district):
            return True
        return matches(user, user_id, word)

    lines = []
    for held, place, user, user_id in filter(kept, rows):
        if held == "config":
            lines.append(ctx.t("roles.list_config", user=listed(user, user_id)))
            continue
        if held == REVIEWER:
            scope = where(ctx, place)
        elif held == JUROR:
            scope = await rounds_of(ctx, user_id)
        else:
            scope = Html("")
        lines.append(
            ctx.t(
                "roles.list_entry",
                user=listed(user, user_id),
                role=ctx.t(f"roles.name.{held}"),
                where=Html(scope),
            )
        )
    if not lines:
        ctx.send(ctx.t("queues.roles_none", word=word))
        return
    title = ctx.t("queues.roles_filtered", word=word) if word else ctx.t("roles.list_title")
    ctx.send("\n".join([title, *lines, ctx.t("queues.roles_hint")]))


def round_name(ctx: Context, contest_round: ContestRound, language: str | None = None) -> Html:
    """Name a round: the district's round, or the capital round (/roles and /judging)."""
    t = texts_for(ctx, language)
    if contest_round.level == CAPITAL or contest_round.district is None:
        return t("judging.capital", year=str(contest_round.year))
    return t(
        "judging.district",
        year=str(contest_round.year),
        district=contest_round.district.name(language or ctx.language),
    )


async def rounds_of(ctx: Context, user_id: int) -> Html:
    """Say which open rounds a juror scores, or that they have none yet."""
    rounds = await Judging(ctx.session).open_rounds_of(user_id)
    if not rounds:
        return ctx.t("roles.no_round")
    names = "; ".join(round_name(ctx, contest_round) for contest_round in rounds)
    return ctx.t("roles.where", district=Html(names))


async def on_forwarded(ctx: Context) -> bool:
    """Offer an admin the roles for the author of a message they forwarded."""
    source = ctx.incoming.forwarded_from
    if source is None or not await is_admin(ctx):
        return False
    user = await Users(ctx.session).get(source)
    if user is None:
        ctx.send(ctx.t("roles.unknown_user", user=str(source)))
        return True
    buttons = tuple(
        (ctx.button(f"roles.grant_button.{role}", GrantPress(role, user.id)),)
        for role in ROLES
        if role != JUROR  # jurors are added per round in /judging
    )
    ctx.send(ctx.t("roles.forwarded", user=name_of(user), id=user.id), buttons)
    return True


async def on_button(ctx: Context, press: GrantPress) -> None:
    """Grant a role picked for a forwarded user (reviewers: of the user's own district)."""
    if not await is_admin(ctx):
        ctx.answer(ctx.t("roles.admins_only"), alert=True)
        return
    if press.role not in ROLES:
        ctx.answer(ctx.t("error.outdated_button"))
        return
    user = await Users(ctx.session).get(press.user)
    if user is None:
        ctx.answer(ctx.t("roles.unknown_user", user=str(press.user)), alert=True)
        return
    ctx.answer()
    if press.role == JUROR:  # a button sent before jurors were added per round
        ctx.send(juror_hint(ctx, user))
        return
    if press.role == REVIEWER and user.district is None:
        example = (await Units(ctx.session).districts())[0].code
        ctx.send(ctx.t("roles.no_district", user=name_of(user), id=user.id, code=example))
        return
    district = user.district if press.role == REVIEWER else None
    await change(ctx, press.role, user, district, grant=True)


async def audit_command(ctx: Context) -> None:
    """Send admins the audit log as a CSV file."""
    if not await is_admin(ctx):
        ctx.send(ctx.t("roles.admins_only"))
        return
    entries = await AuditLog(ctx.session).entries()
    if not entries:
        ctx.send(ctx.t("roles.audit_empty"))
        return
    buffer = io.StringIO()
    writer = csv_safe.Writer(buffer)
    writer.writerow(["time", "actor", "action", "target", "details"])
    for entry in entries:
        writer.writerow(
            [
                entry.created_at.isoformat(timespec="seconds"),
                entry.actor_id,
                entry.action,
                entry.target,
                json.dumps(entry.details, ensure_ascii=False, sort_keys=True),
            ]
        )
    ctx.replies.append(
        SendDocument(
            buffer.getvalue().encode("utf-8-sig"),  # the BOM makes Excel read Cyrillic right
            filename="audit.csv",
            caption=ctx.t("roles.audit_caption", n=len(entries)),
        )
    )


def register(router: Router) -> None:
    """Add /grant, /revoke, /roles, /audit and the forwarded-message role picker."""
    router.commands.update(
        {
            "grant": grant_command,
            "revoke": revoke_command,
            "grant_reviewer": grant_reviewer_command,
            "roles": roles_command,
            "audit": audit_command,
        }
    )
    router.button(GrantPress, on_button)
    router.texts.insert(0, on_forwarded)
