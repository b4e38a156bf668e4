"""The core's front door: one transaction per event, routed to the right flow.

It also holds the one policy for what a user types (the README's "Free text"): in a form
step text answers the step; a command leaves the form, keeps its draft and says how to come
back; /start with a draft offers to continue it; greetings, thanks and noise get a short
answer and the menu (never forwarded), except while a training's question is open, when a
participant's text answers it; on a search results screen text is a new search; elsewhere
it is a vote code or a question.

Every event is applied at most once (Telegram's update id is claimed in the same
transaction as its effects), and one user's events are applied one at a time, in order:
within a process a per-user lock queues them, and across processes the conversation
state's version makes a concurrent writer retry against the fresh state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from handlers.callbacks import Callback
from handlers.context import Context, Services
from handlers.flood import FloodGuard, Verdict
from handlers.messages import (
    AnswerButton,
    AnswerInline,
    EditText,
    Incoming,
    Kind,
    Reply,
    SendPhoto,
    SendText,
)
from handlers.steps import CANCEL, Form, StepPress, label_key
from storage.conversations import Conversations, ProcessedUpdates
from storage.database import Database

log = logging.getLogger(__name__)

Handler = Callable[[Context], Awaitable[None]]
# A button handler gets the parsed record of the press (the router checks its type).
ButtonHandler = Callable[[Context, Any], Awaitable[None]]
P = TypeVar("P", bound=Callback)
# A free-text handler tries the text and tells whether it took it (a vote code, a question).
TextHandler = Callable[[Context], Awaitable[bool]]
# Something said about a form's draft (kept after a command, offered again after /start).
DraftHandler = Callable[[Context, Form], Awaitable[None]]
ATTEMPTS = 5
# ``ctx.data[SCREEN]``: the screen the user is looking at when it gives typed text a meaning
# (search results: a new search). Every event leaves it; showing the screen sets it again.
SCREEN = "screen"
# The buttons of the last screen sent to the user (label keys and their data), so a label
# typed instead of pressed («батлах», «хаах», «тийм») is the press.
KEYS = "keys"
MAX_KEYS = 40


@dataclass
class Router:
    """Where events go: commands, button records, forms, menu items and fallbacks."""

    cancel: Handler
    unregistered: Handler
    unknown: Handler
    commands: dict[str, Handler] = field(default_factory=dict)
    buttons: dict[type[Callback], ButtonHandler] = field(default_factory=dict)
    forms: dict[str, Form] = field(default_factory=dict)
    menu: dict[str, Handler] = field(default_factory=dict)
    start_payloads: dict[str, Handler] = field(default_factory=dict)
    texts: list[TextHandler] = field(default_factory=list)  # tried in order
    # What a participant types while the room's question is open answers it ("Тийм", "12"
    # included), unless a screen gives the text another meaning (the FAQ's "ask" prompt).
    room_answer: TextHandler | None = None
    # What newcomers may use before they register (a vote in a training room must not wait
    # for a profile): commands, flows (forms and button prefixes), deep-link payloads, and
    # text handlers tried before anything else takes their text.
    public_commands: set[str] = field(default_factory=set)
    public_flows: set[str] = field(default_factory=set)
    public_start_payloads: set[str] = field(default_factory=set)
    public_texts: list[TextHandler] = field(default_factory=list)
    inline: Handler | None = None
    poll_answer: Handler | None = None
    # The free-text policy's parts, each given by the flow that owns it: what text means on a
    # screen, greetings and noise, questions, and what is said about a draft.
    screens: dict[str, TextHandler] = field(default_factory=dict)
    small_talk: TextHandler | None = None
    # A menu item's name typed instead of pressed: the handler to run, leaving a form as a
    # command does (a title or a vote code is never "Туршлага хайх").
    typed_command: Callable[[Context], Handler | None] | None = None
    question: TextHandler | None = None
    draft_kept: DraftHandler | None = None
    draft_offer: DraftHandler | None = None
    # Button prefixes that leave the form in progress, as a command does (the main menu).
    leaving_buttons: set[str] = field(default_factory=set)

    def form(self, form: Form) -> Form:
        """Register a form; its name is also its button prefix."""
        self.forms[form.name] = form
        return form

    def button(self, record: type[P], handler: Callable[[Context, P], Awaitable[None]]) -> None:
        """Send presses carrying this record to the handler, parsed."""
        self.buttons[record] = handler


class _UserLocks:
    """Per-user asyncio locks, dropped when nobody waits on them."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def __call__(
        self, user_id: int, work: Callable[[], Awaitable[list[Reply]]]
    ) -> list[Reply]:
        lock, users = self._locks.get(user_id, (asyncio.Lock(), 0))
        self._locks[user_id] = (lock, users + 1)
        try:
            async with lock:
                return await work()
        finally:
            lock, users = self._locks[user_id]
            if users == 1:
                del self._locks[user_id]
            else:
                self._locks[user_id] = (lock, users - 1)


class Dispatcher:
    """Apply events to the database and return what to send."""

    def __init__(
        self,
        database: Database,
        services: Services,
        router: Router,
        flood: FloodGuard | None = None,
    ) -> None:
        self.database = database
        self.services = services
        self.router = router
        self.flood = flood or FloodGuard()
        self._locks = _UserLocks()

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Handle one event; a repeated update id returns no replies."""
        if incoming.kind in (Kind.TEXT, Kind.COMMAND, Kind.BUTTON, Kind.ATTACHMENT):
            verdict = self.flood.check(incoming.user_id)
            if verdict is not Verdict.ALLOW:
                # Answered without touching the database: a flood must not slow anyone else.
                return self._refusal(incoming, warn=verdict is Verdict.WARN)
        return await self._locks(incoming.user_id, lambda: self._handle(incoming))

    def _refusal(self, incoming: Incoming, *, warn: bool) -> list[Reply]:
        catalogue = self.services.catalogue
        text = catalogue.text(catalogue.language(incoming.language_code), "error.slow_down")
        if incoming.callback_id is not None:
            return [AnswerButton(incoming.callback_id, text if warn else None)]
        return [SendText(text, chat_id=incoming.chat_id)] if warn else []

    async def _handle(self, incoming: Incoming) -> list[Reply]:
        for attempt in range(ATTEMPTS):
            try:
                return await self._apply(incoming)
            except StaleDataError:
                # Another process changed this user's state first: apply to the fresh state.
                log.info("state conflict, retrying", extra={"update_id": incoming.update_id})
                if attempt + 1 == ATTEMPTS:
                    break
            except DBAPIError as error:
                if not error.connection_invalidated or attempt + 1 == ATTEMPTS:
                    log.exception("handler failed", extra={"update_id": incoming.update_id})
                    break
                # A pooled connection was dead (the server restarted): nothing was applied,
                # and the pool now opens fresh ones.
                log.warning(
                    "database connection lost, retrying", extra={"update_id": incoming.update_id}
                )
            except Exception:
                log.exception(
                    "handler failed", extra={"update_id": incoming.update_id, "kind": incoming.kind}
                )
                break
        return self._apology(incoming)

    async def _apply(self, incoming: Incoming) -> list[Reply]:
        async with self.database.transaction() as session:
            if incoming.update_id is None:
                await Conversations(session).lock(incoming.user_id)
            elif not await ProcessedUpdates(session).claim(
                incoming.update_id, user_id=incoming.user_id
            ):
                return []
            user, state = await Conversations(session).open(
                incoming.user_id,
                first_name=incoming.first_name,
                username=incoming.username,
                language=self.services.catalogue.language(incoming.language_code),
            )
            if user.blocked and incoming.kind is not Kind.INLINE_QUERY:
                user.blocked = False
            ctx = Context(incoming, session, self.services, user, state, self.router)
            if incoming.kind is Kind.BUTTON:
                ctx.press = Callback.parse(incoming.callback_data)
            await self._route(ctx)
            ctx.answer()
            if incoming.chat_type == "private":
                _remember_buttons(ctx)
            ctx.save_state()
        # Committed: only now may memory and other users see what this event changed.
        for effect in ctx.effects:
            try:
                effect()
            except Exception:
                log.exception("after-commit effect failed", extra={"update_id": incoming.update_id})
        return ctx.replies

    def _apology(self, incoming: Incoming) -> list[Reply]:
        catalogue = self.services.catalogue
        text = catalogue.text(catalogue.language(incoming.language_code), "error.generic")
        if incoming.callback_id is not None:
            return [AnswerButton(incoming.callback_id, text, alert=True)]
        if incoming.query_id is not None:
            return [AnswerInline(incoming.query_id, ())]
        return [SendText(text, chat_id=incoming.chat_id)]

    async def _route(self, ctx: Context) -> None:
        incoming, router = ctx.incoming, self.router
        if incoming.kind is Kind.INLINE_QUERY:
            if router.inline is not None:
                await router.inline(ctx)
            return
        if incoming.kind is Kind.POLL_ANSWER:
            if router.poll_answer is not None:
                await router.poll_answer(ctx)
            return
        if incoming.chat_type != "private" and incoming.kind in (Kind.TEXT, Kind.ATTACHMENT):
            return  # the bot listens to groups only for commands and its own buttons
        if (
            incoming.kind is Kind.COMMAND
            and incoming.command in router.public_commands
            and not ctx.user.registered
        ):
            await router.commands[incoming.command](ctx)
            return
        if not ctx.user.registered:
            # A vote's or a training's code comes before registering, even at its steps.
            if incoming.kind is Kind.TEXT:
                for take in router.public_texts:
                    if await take(ctx):
                        return
            if not _is_public(ctx):
                await router.unregistered(ctx)
                return
        screen = ctx.data.pop(SCREEN, None)
        if incoming.kind is Kind.COMMAND:
            await self._route_command(ctx)
        elif incoming.kind is Kind.BUTTON:
            await self._route_button(ctx)
        elif ctx.state.flow in router.forms:
            typed = router.typed_command(ctx) if router.typed_command is not None else None
            if typed is not None:
                await self._leaving_form(ctx, typed)
            else:
                await router.forms[ctx.state.flow].handle(ctx)
        else:
            await self._route_text(ctx, screen)

    async def _route_command(self, ctx: Context) -> None:
        # A command leaves the form it interrupts (its next text must not become an answer),
        # keeps the draft and says how to come back; /cancel says so itself.
        router, command = self.router, ctx.incoming.command or ""
        handler = router.commands.get(command, router.unknown)
        if not ctx.user.registered or command == "cancel":
            await handler(ctx)
            return
        if command == "start" and not ctx.incoming.args.strip():
            draft = _draft(ctx)
            if draft is not None and router.draft_offer is not None:
                ctx.set_flow(None)
                await router.draft_offer(ctx, draft)
                return
        await self._leaving_form(ctx, handler)

    async def _leaving_form(self, ctx: Context, handler: Handler) -> None:
        """Run a handler that leaves the form in progress; say the draft is kept, if any."""
        form = self.router.forms.get(ctx.state.flow or "")
        if form is None:
            await handler(ctx)
            return
        ctx.set_flow(None)
        start = len(ctx.replies)
        await handler(ctx)
        if ctx.state.flow != form.name and form.has_draft(ctx) and self.router.draft_kept:
            # Said before what the handler shows, so its screen stays the last message.
            shown = ctx.replies[start:]
            del ctx.replies[start:]
            await self.router.draft_kept(ctx, form)
            ctx.replies.extend(shown)

    async def _route_text(self, ctx: Context, screen: str | None) -> None:
        # The room's open question first (a short "Тийм" is an answer there), unless a
        # screen gives text its meaning; then small talk: a greeting is never a search, a
        # vote code or a question.
        router = self.router
        if screen is None and router.room_answer is not None and await router.room_answer(ctx):
            return
        if await self._typed_press(ctx):
            return
        if router.small_talk is not None and await router.small_talk(ctx):
            return
        on_screen = router.screens.get(screen or "")
        if on_screen is not None and await on_screen(ctx):
            return
        for take in router.texts:
            if await take(ctx):
                return
        if router.question is not None and await router.question(ctx):
            return
        await router.unknown(ctx)

    async def _typed_press(self, ctx: Context) -> bool:
        """Press the one button of the last screen whose label the text repeats, if any."""
        typed = label_key(ctx.incoming.text)
        found = {data for key, data in ctx.data.get(KEYS, ()) if typed and key == typed}
        if len(found) != 1:
            return False
        press = Callback.parse(found.pop())
        if press is None:
            return False
        ctx.press = press
        await self._route_button(ctx)
        return True

    async def _route_button(self, ctx: Context) -> None:
        # The one place a malformed, forged or stale press is answered: nothing else runs.
        press = ctx.press
        if isinstance(press, StepPress):
            form = self.router.forms.get(press.prefix)
            if form is not None:
                if press.value == CANCEL:
                    await self.router.cancel(ctx)
                elif ctx.state.flow != form.name:
                    ctx.answer(ctx.t("error.outdated_button"))
                else:
                    await form.handle(ctx)
                return
        handler = self.router.buttons.get(type(press)) if press is not None else None
        if handler is None:
            ctx.answer(ctx.t("error.outdated_button"))
            return
        if press is not None and press.prefix in self.router.leaving_buttons:
            # The menu from an older message, pressed during a form: like a command.
            await self._leaving_form(ctx, lambda ctx: handler(ctx, press))
            return
        await handler(ctx, press)


def _remember_buttons(ctx: Context) -> None:
    """Keep the buttons of the last screen sent to this chat, for labels typed later.

    A message without buttons after it (a QR code, a notice) leaves that screen in sight,
    so it leaves its buttons too.
    """
    screens = [
        reply
        for reply in ctx.replies
        if isinstance(reply, SendText | EditText | SendPhoto)
        and reply.chat_id is None
        and any(button.data is not None for row in reply.buttons for button in row)
    ]
    if not screens:
        return
    buttons = [b for row in screens[-1].buttons for b in row if b.data is not None]
    keys = []
    for button in buttons[:MAX_KEYS]:
        # «📨 Тийм, илгээх» is also «тийм»: the words before a comma say the choice.
        for key in {label_key(button.label), label_key(button.label.split(",")[0])}:
            keys.append([key, button.data])
    ctx.data[KEYS] = keys


def _draft(ctx: Context) -> Form | None:
    """Return the form with a draft to offer: the one in progress, else the one used last."""
    forms = ctx.router.forms
    names = [ctx.state.flow or "", *reversed(ctx.data.get("forms", {}))]
    return next(
        (forms[name] for name in names if name in forms and forms[name].has_draft(ctx)), None
    )


def _is_public(ctx: Context) -> bool:
    """Tell whether a newcomer's event belongs to a flow open before registering."""
    flows = ctx.router.public_flows
    if ctx.incoming.kind is Kind.BUTTON:
        return ctx.press is not None and ctx.press.prefix in flows
    return ctx.incoming.kind in (Kind.TEXT, Kind.ATTACHMENT) and ctx.state.flow in flows
