"""What a handler gets for one event: the user, their state, the session, and a reply list."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from handlers import html
from handlers.callbacks import Callback
from handlers.i18n import Catalogue
from handlers.messages import (
    AnswerButton,
    Button,
    EditText,
    Incoming,
    Keyboard,
    Kind,
    Reply,
    SendText,
)
from knowledge.faq import FaqBase
from storage.contest_judging import Closing
from storage.library import PracticeLibrary
from storage.models import Announcement, ConversationState, User, utcnow

if TYPE_CHECKING:
    from handlers.dispatcher import Router


class LiveResultsFeed(Protocol):
    """Where a committed change of a vote is reported (bot.live_results.LiveResults)."""

    def changed(self, vote_id: int) -> None:
        """Note that a vote's ballots or state changed."""


class ContestDesk(Protocol):
    """The contest's notices the admin screens queue (bot.contest_notices): one port for them."""

    async def remind_jurors(
        self,
        session: AsyncSession,
        catalogue: Catalogue,
        round_id: int,
        now: datetime,
        actor_id: int | None = None,
    ) -> Announcement | None:
        """Queue a reminder to the round's jurors who have not finished."""

    async def close_round(
        self,
        session: AsyncSession,
        catalogue: Catalogue,
        round_id: int,
        now: datetime,
        actor_id: int | None = None,
    ) -> Closing:
        """Close a round and queue its announcements."""

    async def publish_results(
        self,
        session: AsyncSession,
        catalogue: Catalogue,
        year: int,
        now: datetime,
        actor_id: int | None = None,
    ) -> Announcement:
        """Queue the year's results to everyone."""


@dataclass
class Services:
    """Long-lived things every handler may use; built once by the composition root.

    Every service is required: a missing one fails when the app is built, not when a
    button needs it.
    """

    catalogue: Catalogue
    faq: FaqBase
    library: PracticeLibrary
    live_results: LiveResultsFeed
    projector_url: str  # the public base address of the vote projector pages
    contest: ContestDesk  # the contest's closing, reminders and published results
    admin_ids: frozenset[int] = frozenset()
    bot_username: str = ""
    clock: Callable[[], datetime] = utcnow
    # Tell this process's sender that the outbox has new deliveries, so it looks now rather
    # than after its idle pause (another process's sender finds them on its next look).
    outbox_ready: Callable[[], None] = lambda: None


@dataclass
class Context:
    """One event being handled inside one database transaction."""

    incoming: Incoming
    session: AsyncSession
    services: Services
    user: User
    state: ConversationState
    router: Router
    replies: list[Reply] = field(default_factory=list)
    answered: bool = False
    press: Callback | None = None  # a button press's record, parsed by the dispatcher
    # What must happen only once this event's transaction has committed (the dispatcher runs
    # it then; a rollback or a retry drops it): in-memory indexes, live results, the FAQ.
    effects: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # JSON columns are not change-tracked in depth: work on a copy, write it back once
        # if it changed (a deep copy, so changes nested anywhere are seen).
        self._saved: dict[str, Any] = copy.deepcopy(self.state.data or {})
        self.data: dict[str, Any] = copy.deepcopy(self._saved)

    @property
    def language(self) -> str:
        """Return the user's language."""
        return self.user.language

    @property
    def is_admin(self) -> bool:
        """Tell whether the user is an admin by configuration."""
        return self.user.id in self.services.admin_ids

    def t(self, key: str, /, **values: Any) -> html.Html:
        """Render a catalogue text in the user's language."""
        return self.services.catalogue.text(self.language, key, **values)

    def button(self, key: str, press: Callback, /, **values: Any) -> Button:
        """Make a button whose label comes from the catalogue and whose data is the record."""
        return Button(label=self.t(key, **values), data=press.pack())

    def send(self, text: str, buttons: Keyboard = (), *, chat_id: int | None = None) -> None:
        """Send text, split into several messages if it is too long; buttons go on the last."""
        parts = html.split(text)
        for part in parts[:-1]:
            self.replies.append(SendText(part, chat_id=chat_id))
        self.replies.append(SendText(parts[-1], buttons, chat_id=chat_id))

    def show(self, text: str, buttons: Keyboard = ()) -> None:
        """Edit the message whose button was pressed, or send a new one for typed input."""
        message_id = self.incoming.message_id
        if self.incoming.kind is Kind.BUTTON and message_id is not None:
            text = html.truncate(text)
            if not self._shows(text, buttons):
                self.replies.append(EditText(message_id, text, buttons))
        else:
            self.send(text, buttons)

    def _shows(self, text: str, buttons: Keyboard) -> bool:
        """Tell whether the pressed message already shows this text and these buttons."""
        incoming = self.incoming
        if incoming.message_text is None:
            return False
        wanted = tuple((html.plain(b.label), b.data or b.url or "") for row in buttons for b in row)
        return (
            html.plain(text).strip() == incoming.message_text.strip()
            and wanted == incoming.message_buttons
        )

    def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """Answer the pressed button once, optionally with a short notice."""
        if self.answered:
            return
        if self.incoming.callback_id is None:
            if self.press is not None and text:  # a label typed, not pressed: say it aloud
                self.answered = True
                self.send(text)
            return
        if text is not None:
            text = html.plain(text)[:200]
        self.replies.append(AnswerButton(self.incoming.callback_id, text, alert))
        self.answered = True

    def after_commit(self, effect: Callable[[], None]) -> None:
        """Run an effect once the transaction commits; never if it rolls back or is retried."""
        self.effects.append(effect)

    def save_state(self) -> None:
        """Write the working data back when it changed (the version column then moves on)."""
        if self.data != self._saved:
            self.state.data = copy.deepcopy(self.data)
            flag_modified(self.state, "data")

    def set_flow(self, flow: str | None, step: str | None = None) -> None:
        """Move the user to a flow and step (None: no active flow)."""
        self.state.flow = flow
        self.state.step = step
