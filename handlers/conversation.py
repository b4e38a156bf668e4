"""The free-text policy's own answers: drafts kept and offered again, and small talk.

The dispatcher decides where typed text goes (see its docstring and the README); this module
says what the user sees when a command interrupts a form, when /start finds a draft, and when
the text is a greeting, thanks or one-word noise rather than a question.
"""

from __future__ import annotations

from typing import Annotated, Literal

from handlers import menu
from handlers.callbacks import Callback, MaxBytes
from handlers.context import Context
from handlers.dispatcher import Handler, Router
from handlers.i18n import LANGUAGES
from handlers.messages import Kind
from handlers.steps import Form
from knowledge.text import fold

# Greetings, thanks and acknowledgements as officers type them: Mongolian in Cyrillic, the
# same typed in Latin letters, and English. Compared folded, so spelling variants meet.
SMALL_TALK: dict[str, tuple[str, ...]] = {
    "greeting": (
        "сайн уу",
        "сайн байна уу",
        "сайн байцгаана уу",
        "сайн уу байна",
        "мэнд",
        "мэндээ",
        "өглөөний мэнд",
        "оройн мэнд",
        "sain uu",
        "sain bn uu",
        "sn uu",
        "snuu",
        "hi",
        "hello",
        "hey",
        "good morning",
        "good afternoon",
        "good evening",
    ),
    "thanks": (
        "баярлалаа",
        "баярлалаа их",
        "их баярлалаа",
        "маш их баярлалаа",
        "гоё",
        "bayarlalaa",
        "ih bayarlalaa",
        "bayrllaa",
        "bayarllaa",
        "thanks",
        "thank you",
        "thx",
        "ty",
    ),
    "ack": (
        "ок",
        "за",
        "зүгээр",
        "тийм",
        "үгүй",
        "ok",
        "okay",
        "za",
        "yes",
        "no",
        "bye",
        "баяртай",
        "bayartai",
    ),
}
_FOLDED = {fold(phrase): kind for kind, phrases in SMALL_TALK.items() for phrase in phrases}


def small_talk_kind(text: str) -> str | None:
    """Return "greeting", "thanks", "ack" or "noise" for small talk; None for anything else."""
    folded = fold(text)
    if folded in _FOLDED:
        return _FOLDED[folded]
    if not any(ch.isalpha() for ch in text):
        return "noise"  # digits, emoji, punctuation: nothing to answer or forward
    return None


# Words that name the main menu itself, typed instead of pressed.
MENU_WORDS = frozenset(fold(w) for w in ("цэс", "үндсэн цэс", "menu", "main menu", "tses"))


def typed_menu_item(ctx: Context, text: str) -> str | None:
    """Return the main-menu item whose label (in any language) the text repeats, or "home"."""
    folded = fold(text)
    if not folded:
        return None
    if folded in MENU_WORDS:
        return "home"
    catalogue = ctx.services.catalogue
    for row in menu.ITEMS:
        for item in row:
            if item == "subscription" or item not in ctx.router.menu:
                continue
            if any(folded == fold(catalogue.text(code, f"menu.{item}")) for code in LANGUAGES):
                return item
    return None


async def _home(ctx: Context) -> None:
    """Show the main menu as a new message."""
    await menu.show_menu(ctx, edit=False)


def typed_command(ctx: Context) -> Handler | None:
    """Return what a typed menu item's name runs, as if its button were pressed."""
    if ctx.incoming.kind is not Kind.TEXT or not ctx.user.registered:
        return None
    item = typed_menu_item(ctx, ctx.incoming.text)
    if item is None:
        return None
    return _home if item == "home" else ctx.router.menu[item]


async def small_talk(ctx: Context) -> bool:
    """Answer a greeting, thanks or noise briefly with the menu; never forward it.

    A menu item's name typed instead of pressed ("туршлага илгээх") opens that item.
    """
    if ctx.incoming.kind is not Kind.TEXT or ctx.incoming.forwarded_from is not None:
        return False  # a forwarded message is about its sender (an admin grants them a role)
    typed = typed_command(ctx)
    if typed is not None:
        await typed(ctx)
        return True
    kind = small_talk_kind(ctx.incoming.text)
    if kind is None:
        return False
    ctx.send(
        ctx.t(f"conversation.small_talk.{kind}", name=ctx.user.first_name), menu.menu_buttons(ctx)
    )
    return True


class DraftPress(Callback, prefix="draft"):
    """What to do with a form's draft: continue it, discard it, or go to the menu."""

    action: Literal["go", "over", "menu"]
    form: Annotated[str, MaxBytes(12)]


async def draft_kept(ctx: Context, form: Form) -> None:
    """Say the draft of the form left is kept, and how to come back to it."""
    ctx.send(
        ctx.t("conversation.draft_kept", flow=ctx.t(form.title_key)),
        ((ctx.button("conversation.continue", DraftPress("go", form.name)),),),
    )


async def draft_offer(ctx: Context, form: Form) -> None:
    """Offer to continue a draft, start over, or go to the menu (on /start).

    Other drafts the user left get a button each, so none is out of reach.
    """
    others = [
        other
        for name in reversed(ctx.data.get("forms", {}))
        if (other := ctx.router.forms.get(name)) is not None
        and other is not form
        and other.has_draft(ctx)
    ]
    ctx.send(
        ctx.t("conversation.draft_offer", flow=ctx.t(form.title_key)),
        (
            (ctx.button("conversation.continue", DraftPress("go", form.name)),),
            *(
                (
                    ctx.button(
                        "conversation.continue_other",
                        DraftPress("go", other.name),
                        flow=ctx.t(other.title_key),
                    ),
                )
                for other in others
            ),
            (ctx.button("conversation.start_over", DraftPress("over", form.name)),),
            (ctx.button("nav.menu", DraftPress("menu", form.name)),),
        ),
    )


async def on_draft(ctx: Context, press: DraftPress) -> None:
    """Continue, discard or keep a draft, as pressed."""
    form = ctx.router.forms.get(press.form)
    if form is None or not form.has_draft(ctx):
        ctx.answer(ctx.t("conversation.draft_gone"))
        await menu.show_menu(ctx, edit=False)
        return
    if press.action == "go":
        ctx.answer()
        await form.begin(ctx, edit=False)
        return
    if press.action == "over":
        form.discard(ctx)
        ctx.answer(ctx.t("conversation.draft_discarded"))
    else:
        ctx.answer()
    await menu.show_menu(ctx, edit=False)


def register(router: Router) -> None:
    """Give the dispatcher's free-text policy its answers about drafts and small talk."""
    router.small_talk = small_talk
    router.typed_command = typed_command
    router.draft_kept = draft_kept
    router.draft_offer = draft_offer
    router.button(DraftPress, on_draft)
