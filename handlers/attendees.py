"""What a training says to everyone checked in: its notices, and the votes it takes in.

Notices go through the outbox, so the sender paces a room of two thousand at Telegram's
limits and a crash in between leaves the rest to send, not lost; each attendee reads them
in their own language, with their buttons.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Literal

from handlers.callbacks import Callback
from handlers.context import Context
from handlers.html import Html
from handlers.i18n import LANGUAGES
from handlers.messages import Button, Keyboard, keyboard_to_json
from storage.announcements import Announcements
from storage.models import Training, VoteSession
from storage.trainings import Trainings

TRAINING_NOTICE: Final = "training"  # the outbox kind of a training's notices to attendees


class TrainingVotePress(Callback, prefix="trv"):
    """A training vote's button: the trainer reveals results; attendees open or count it."""

    vote: int
    action: Literal["reveal", "ballot", "count"]


async def tell_attendees(
    ctx: Context, training: Training, notice: Callable[[str], tuple[Html, Keyboard]]
) -> int:
    """Send everyone checked in (not the trainer) a notice in their language; return how many."""
    attendees = [user.id for _attendance, user in await Trainings(ctx.session).attendees(training)]
    catalogue = ctx.services.catalogue
    texts: dict[str, str] = {}
    buttons: dict[str, Any] = {}
    for language in LANGUAGES:
        body, keyboard = notice(language)
        texts[language] = catalogue.text(
            language, "trainings.notice", title=training.title, body=body
        )
        buttons[language] = keyboard_to_json(keyboard)
    announcement = await Announcements(ctx.session).to_users(
        TRAINING_NOTICE,
        texts,
        [user_id for user_id in attendees if user_id != ctx.user.id],
        ctx.services.clock(),
        buttons=buttons,
        author_id=ctx.user.id,
    )
    if announcement is None:
        return 0
    ctx.after_commit(ctx.services.outbox_ready)
    return announcement.recipients


def ballot_button(ctx: Context, vote: VoteSession, language: str) -> Button:
    """Return the button that opens a training vote's ballot (checked in: one tap votes)."""
    label = ctx.services.catalogue.text(language, "trainings.vote_now")
    return Button(label, TrainingVotePress(vote.id, "ballot").pack())


def vote_offer(ctx: Context, vote: VoteSession, language: str) -> tuple[Html, Keyboard]:
    """Return a participant's invitation to a training's vote, in their language."""
    catalogue = ctx.services.catalogue
    buttons = (
        (
            ballot_button(ctx, vote, language),
            Button(
                catalogue.text(language, "trainings.vote_count"),
                TrainingVotePress(vote.id, "count").pack(),
            ),
        ),
    )
    return catalogue.text(language, "trainings.vote_invite", question=vote.question), buttons


async def take_vote(ctx: Context, training: Training, vote: VoteSession) -> None:
    """Make a new vote the training's: results hidden until revealed, offered to the room.

    Every way a trainer opens a vote during their training (its own button, /newvote, a
    clone, the question bank) comes here, so group-think is guarded the same everywhere,
    and the trainer is told how many it goes to.
    """
    await Trainings(ctx.session).link_vote(training, vote)
    await offer_vote(ctx, training, vote)


async def offer_vote(ctx: Context, training: Training, vote: VoteSession) -> None:
    """Offer a training's vote to the room, results hidden until revealed; tell the trainer."""
    vote.live = False
    told = await tell_attendees(ctx, training, lambda language: vote_offer(ctx, vote, language))
    ctx.send(ctx.t("trainings.vote_sent", question=vote.question, n=told))
