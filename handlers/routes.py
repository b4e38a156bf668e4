"""Which flow answers what: every flow module adds its commands, buttons and forms here."""

from __future__ import annotations

from handlers import (
    adoption,
    announcements,
    contest,
    conversation,
    faq,
    faq_taught,
    handover,
    invitations,
    jury,
    menu,
    practices,
    registration,
    review,
    roles,
    search,
    submission,
    trainings,
    vote_admin,
    votes,
)
from handlers.dispatcher import Router
from handlers.i18n import Catalogue

# Free text goes to the flows' text handlers in this order (the dispatcher's policy decides
# when: small talk and the FAQ's questions come after all of them).
FLOWS = (
    menu,
    conversation,
    registration,
    submission,
    review,
    practices,
    roles,
    invitations,
    search,
    adoption,
    handover,
    votes,
    trainings,
    vote_admin,
    contest,
    jury,
    announcements,
    faq_taught,
    faq,
)


def build_router() -> Router:
    """Build the router with every flow registered."""
    router = Router(
        cancel=menu.cancel, unregistered=registration.require, unknown=menu.not_understood
    )
    for flow in FLOWS:
        flow.register(router)
    return router


# The commands shown in Telegram's menu, in order; descriptions are "commands.<name>".
MENU_COMMANDS = (
    "start",
    "menu",
    "submit",
    "search",
    "mine",
    "adoptions",
    "help",
    "faq",
    "vote",
    "newvote",
    "training",
    "checkin",
    "contest",
    "cancel",
    "profile",
    "language",
)


def command_menu(catalogue: Catalogue, language: str) -> list[tuple[str, str]]:
    """Return (command, description) pairs for Telegram's command menu in one language."""
    return [(name, catalogue.text(language, f"commands.{name}")) for name in MENU_COMMANDS]
