"""Help that tells everything: every command a user may use, grouped by role, in their language.

The same groups set Telegram's command menu: the default scope lists everyone's commands,
and a user who holds a role gets a menu of their own (a chat scope), set whenever a role is
granted or revoked, and at /start for admins by configuration (they are never granted).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers.context import Context
from handlers.dispatcher import Router
from handlers.html import plain
from handlers.i18n import Catalogue
from handlers.menu import HOME
from handlers.messages import SetCommands
from handlers.permissions import ADMIN, JUROR, REVIEWER, TRAINER
from storage.models import User
from storage.users import Users

EVERYONE = "everyone"
# Who may use which command, in the order help and the menu show them; descriptions are
# "commands.<name>". Admins may do what reviewers and trainers do, so they get those too.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        EVERYONE,
        (
            "start",
            "menu",
            "submit",
            "search",
            "mine",
            "adoptions",
            "faq",
            "vote",
            "checkin",
            "evaluate",
            "contest",
            "rank",
            "profile",
            "language",
            "cancel",
            "help",
        ),
    ),
    (REVIEWER, ("review",)),
    (TRAINER, ("newvote", "myvotes", "pollhere", "training", "questions", "taught", "bank")),
    (JUROR, ("jury",)),
    (
        ADMIN,
        (
            "pending",
            "roles",
            "grant",
            "revoke",
            "invite",
            "invites",
            "announce",
            "announcements",
            "stages",
            "judging",
            "handover",
            "audit",
        ),
    ),
)


def groups_of(roles: set[str]) -> list[str]:
    """Return the help groups of a user holding these roles (admins cover reviewers, trainers)."""
    held = set(roles)
    if ADMIN in held:
        held |= {REVIEWER, TRAINER}
    return [
        group for group, commands in GROUPS if commands and (group == EVERYONE or group in held)
    ]


async def roles_held(ctx: Context, user: User | None = None) -> set[str]:
    """Return the roles a user holds by grant, and admin by configuration."""
    user = user or ctx.user
    roles = await Users(ctx.session).roles_of(user.id)
    if user.id in ctx.services.admin_ids:
        roles.add(ADMIN)
    return roles


def commands_for(catalogue: Catalogue, language: str, roles: set[str]) -> list[tuple[str, str]]:
    """Return the (command, description) pairs of a user's menu, in their language."""
    chosen = set(groups_of(roles))
    return [
        (name, plain(catalogue.text(language, f"commands.{name}")))
        for group, names in GROUPS
        if group in chosen
        for name in names
    ]


def default_menu(catalogue: Catalogue, language: str) -> list[tuple[str, str]]:
    """Return everyone's menu: what Telegram shows users without a role."""
    return commands_for(catalogue, language, set())


def set_menu(ctx: Context, user: User, roles: set[str]) -> None:
    """Set the user's own command menu for the roles they hold now.

    No language code: the chat scope is this user's alone, and the bot's language is their
    choice in the profile, which Telegram does not know.
    """
    commands = commands_for(ctx.services.catalogue, user.language, roles)
    ctx.replies.append(SetCommands(user.id, tuple(commands)))


async def refresh_menu(ctx: Context, user: User) -> None:
    """Set the user's command menu after their roles changed."""
    set_menu(ctx, user, await roles_held(ctx, user))


async def show_help(ctx: Context) -> None:
    """/help: every command the user may use, grouped by role, with what the bot does."""
    catalogue = ctx.services.catalogue
    roles = await roles_held(ctx) if ctx.user.registered else set()
    sections: list[str] = [ctx.t("help.intro")]
    for group in groups_of(roles):
        names = dict(GROUPS)[group]
        lines = [ctx.t(f"help.group.{group}")]
        lines += [
            ctx.t("help.line", command=name, text=catalogue.text(ctx.language, f"commands.{name}"))
            for name in names
        ]
        sections.append("\n".join(lines))
    if not ctx.user.registered:
        sections.append(ctx.t("help.register_first"))
    buttons = ((ctx.button("nav.menu", HOME),),) if ctx.user.registered else ()
    ctx.send("\n\n".join(sections), buttons)


def with_admin_menu(
    start: Callable[[Context], Awaitable[None]],
) -> Callable[[Context], Awaitable[None]]:
    """Wrap /start so admins by configuration get their menu (nothing else grants it them)."""

    async def start_and_set(ctx: Context) -> None:
        await start(ctx)
        if ctx.is_admin:
            set_menu(ctx, ctx.user, await roles_held(ctx))

    start_and_set.__doc__ = start.__doc__
    return start_and_set


def register(router: Router) -> None:
    """Take over /help, and give admins by configuration their menu at /start."""
    router.commands["help"] = show_help
    router.commands["start"] = with_admin_menu(router.commands["start"])
