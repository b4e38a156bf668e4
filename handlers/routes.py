"""Which flow answers what: every flow module adds its commands, buttons and forms here."""

from __future__ import annotations

from handlers import (
    adoption,
    announcements,
    commands,
    contest,
    contest_admin,
    conversation,
    faq,
    faq_taught,
    handover,
    invitations,
    jury,
    menu,
    nudges,
    peer_ranking,
    practices,
    queues,
    registration,
    review,
    roles,
    room_questions,
    search,
    submission,
    training_templates,
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
    commands,  # after menu: it takes over /help and wraps /start
    registration,
    submission,
    review,
    queues,
    practices,
    roles,
    invitations,
    search,
    adoption,
    handover,
    votes,
    trainings,
    room_questions,
    vote_admin,
    training_templates,
    nudges,
    contest,
    jury,
    contest_admin,
    peer_ranking,
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


def command_menu(catalogue: Catalogue, language: str) -> list[tuple[str, str]]:
    """Return everyone's (command, description) pairs for Telegram's default command menu."""
    return commands.default_menu(catalogue, language)
