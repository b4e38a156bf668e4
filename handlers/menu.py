"""The main menu, help, cancel, and what to say when the bot did not understand."""

from __future__ import annotations

from typing import Annotated

from handlers.callbacks import Callback, MaxBytes
from handlers.context import Context
from handlers.dispatcher import Router
from handlers.messages import Button, Keyboard

# The menu's items in display order; each label is "menu.<item>" in the catalogue.
ITEMS = (("submit", "search"), ("ask", "vote"), ("mine",), ("subscription", "settings"))


class MenuPress(Callback, prefix="menu"):
    """A main-menu item ("home": the menu itself); flows add items to ``router.menu``."""

    item: Annotated[str, MaxBytes(20)]


HOME = MenuPress("home")


def menu_buttons(ctx: Context) -> Keyboard:
    """Build the main menu's buttons."""

    def label(item: str) -> str:
        if item == "subscription":
            return ctx.t("menu.subscribed" if ctx.user.subscribed else "menu.unsubscribed")
        return ctx.t(f"menu.{item}")

    return tuple(
        tuple(Button(label(item), MenuPress(item).pack()) for item in row) for row in ITEMS
    )


async def show_menu(ctx: Context, *, edit: bool = True, after_start: str | None = None) -> None:
    """Show the main menu; a deep-link payload kept through registration runs first."""
    if after_start and await run_start_payload(ctx, after_start):
        return
    if edit:
        ctx.show(ctx.t("menu.title"), menu_buttons(ctx))
    else:
        ctx.send(ctx.t("menu.title"), menu_buttons(ctx))


async def run_start_payload(ctx: Context, payload: str) -> bool:
    """Run the flow a deep link names (``<prefix>_<argument>``); tell whether one did."""
    prefix = payload.partition("_")[0]
    handler = ctx.router.start_payloads.get(prefix)
    if handler is None:
        return False
    ctx.data["start_argument"] = payload.partition("_")[2]
    await handler(ctx)
    return True


async def on_menu(ctx: Context, press: MenuPress) -> None:
    """Open a menu item."""
    item = press.item
    if item == "subscription":
        ctx.user.subscribed = not ctx.user.subscribed
        ctx.answer(
            ctx.t("subscription.enabled" if ctx.user.subscribed else "subscription.disabled")
        )
        ctx.show(ctx.t("menu.title"), menu_buttons(ctx))
        return
    if item == "home":
        ctx.answer()
        await show_menu(ctx)
        return
    handler = ctx.router.menu.get(item)
    if handler is None:
        ctx.answer(ctx.t("menu.coming_soon"), alert=True)
        return
    ctx.answer()
    await handler(ctx)


async def start(ctx: Context) -> None:
    """Greet: the menu (or a deep link's flow) for members; newcomers register, but a vote
    link opens the vote at once."""
    payload = ctx.incoming.args
    if not ctx.user.registered:
        if payload.partition("_")[0] in ctx.router.public_start_payloads:
            await run_start_payload(ctx, payload)
        else:
            await ctx.router.unregistered(ctx)
        return
    if ctx.state.flow is not None:
        ctx.set_flow(None)  # drafts stay in their forms; /start only leaves the flow
    await show_menu(ctx, edit=False, after_start=payload or None)


async def cancel(ctx: Context) -> None:
    """Leave the current flow, keep what was entered, and say so."""
    form = ctx.router.forms.get(ctx.state.flow or "")
    ctx.answer()
    if form is None:
        ctx.send(ctx.t("cancel.nothing"))
    else:
        changing = form.changed_key and ctx.user.registered and form.run(ctx).only
        drafted = form.has_draft(ctx)
        ctx.set_flow(None)
        if changing and form.changed_key:
            ctx.send(ctx.t(form.changed_key))
        elif drafted:
            ctx.send(ctx.t("cancel.kept", flow=ctx.t(form.title_key)))
        else:  # nothing was entered: nothing to keep
            form.discard(ctx)
            ctx.send(ctx.t("cancel.done", flow=ctx.t(form.title_key)))
    if ctx.user.registered:
        await show_menu(ctx, edit=False)


async def not_understood(ctx: Context) -> None:
    """Say politely that the input was not understood, and offer the menu."""
    ctx.send(ctx.t("error.not_understood"), menu_buttons(ctx))


async def menu_command(ctx: Context) -> None:
    """Show the main menu as a new message."""
    await show_menu(ctx, edit=False)


def register(router: Router) -> None:
    """Add the menu and cancel to the router (/help is handlers.help)."""
    router.commands.update({"start": start, "cancel": cancel, "menu": menu_command})
    router.public_commands.update({"start", "help", "cancel"})
    router.button(MenuPress, on_menu)
    router.leaving_buttons.add(MenuPress.prefix)  # the menu leaves a form, keeping its draft
