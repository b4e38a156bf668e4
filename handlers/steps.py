"""Step tables: a conversation written as data, run by one small engine.

A form is a list of steps. Each step asks its question (text and buttons) and accepts an
answer (typed text, a pressed button's value, or an attachment), or refuses it with a
polite message naming what is wrong; the answers collected so far live in the user's
conversation state, so a restart, a cancel or days of silence lose nothing.
Button data is ``<form>:<step>:<value>``, so a button from an old message is recognised.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from handlers.context import Context
from handlers.messages import Attachment, Button, Keyboard, Kind

BACK, SKIP, CANCEL = "<", ">", "x"


class Invalid(Exception):
    """The answer does not fit the step; carries the catalogue key of the explanation."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Answer:
    """What the user gave to a step: one of text, a button value, or an attachment."""

    text: str | None = None
    choice: str | None = None
    attachment: Attachment | None = None

    def require_text(self) -> str:
        """Return the typed text, or refuse a button or an attachment."""
        if self.text is None:
            raise Invalid("error.text_expected")
        return self.text.strip()


@dataclass(frozen=True)
class Again:
    """Keep the step and show its question again with a different view (e.g. another page)."""

    view: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Prompt:
    """A step's question: HTML text and the step's own buttons (navigation is added)."""

    text: str
    buttons: Keyboard = ()


Ask = Callable[[Context, "FormRun"], Awaitable[Prompt]]
Accept = Callable[[Context, "FormRun", Answer], Awaitable[Any]]
Finish = Callable[[Context, "FormRun"], Awaitable[None]]


@dataclass(frozen=True)
class Step:
    """One question of a form."""

    name: str
    ask: Ask
    accept: Accept
    optional: bool = False


@dataclass
class FormRun:
    """The answers of one form in progress, and which steps this run covers."""

    values: dict[str, Any]
    only: tuple[str, ...] | None = None
    view: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        """Return an answer given so far."""
        return self.values.get(name, default)


class Form:
    """A conversation defined by its step table."""

    def __init__(self, name: str, title_key: str, steps: Sequence[Step], finish: Finish) -> None:
        self.name = name
        self.title_key = title_key
        self.steps = tuple(steps)
        self.finish = finish
        self._index = {step.name: i for i, step in enumerate(self.steps)}

    def data(self, step: str, value: object) -> str:
        """Return the button data for a value of a step."""
        return f"{self.name}:{step}:{value}"

    def run(self, ctx: Context) -> FormRun:
        """Return the form's saved answers (empty when it was never started)."""
        saved = ctx.data.get("forms", {}).get(self.name, {})
        only = saved.get("only")
        return FormRun(dict(saved.get("values", {})), tuple(only) if only else None)

    def has_draft(self, ctx: Context) -> bool:
        """Tell whether some answers are saved."""
        return bool(self.run(ctx).values)

    def discard(self, ctx: Context) -> None:
        """Forget the saved answers."""
        forms = dict(ctx.data.get("forms", {}))
        forms.pop(self.name, None)
        ctx.data["forms"] = forms
        if ctx.state.flow == self.name:
            ctx.set_flow(None)

    async def begin(
        self, ctx: Context, *, only: Sequence[str] | None = None, fresh: bool = False
    ) -> None:
        """Start the form, or resume it at the first unanswered step."""
        run = FormRun({}, tuple(only) if only else None) if fresh or only else self.run(ctx)
        steps = self._steps(run)
        first = next((s for s in steps if s.name not in run.values), steps[0])
        await self._enter(ctx, run, first)

    async def handle(self, ctx: Context) -> None:
        """Apply the user's input to the current step."""
        run = self.run(ctx)
        step = self.steps[self._index.get(ctx.state.step or "", 0)]
        incoming = ctx.incoming
        if incoming.kind is Kind.BUTTON:
            form, _, rest = (incoming.callback_data or "").partition(":")
            step_name, _, value = rest.partition(":")
            if form != self.name or step_name != step.name:
                ctx.answer(ctx.t("error.outdated_button"))
                await self._enter(ctx, run, step, edit=False)
                return
            ctx.answer()
            if value == BACK:
                await self._enter(ctx, run, self._previous(run, step) or step)
                return
            if value == SKIP and step.optional:
                run.values[step.name] = None
                await self._advance(ctx, run, step)
                return
            answer = Answer(choice=value)
        elif incoming.kind is Kind.ATTACHMENT:
            answer = Answer(attachment=incoming.attachment)
        else:
            answer = Answer(text=incoming.text)
        try:
            result = await step.accept(ctx, run, answer)
        except Invalid as refusal:
            ctx.send(ctx.t(refusal.key, **refusal.values))
            await self._enter(ctx, run, step, edit=False)
            return
        if isinstance(result, Again):
            run.view = result.view
            await self._enter(ctx, run, step)
            return
        run.values[step.name] = result
        await self._advance(ctx, run, step)

    def _steps(self, run: FormRun) -> tuple[Step, ...]:
        if run.only is None:
            return self.steps
        return tuple(s for s in self.steps if s.name in run.only)

    def _previous(self, run: FormRun, step: Step) -> Step | None:
        steps = self._steps(run)
        index = steps.index(step)
        return steps[index - 1] if index > 0 else None

    async def _advance(self, ctx: Context, run: FormRun, step: Step) -> None:
        steps = self._steps(run)
        index = steps.index(step)
        if index + 1 < len(steps):
            run.view = {}
            await self._enter(ctx, run, steps[index + 1], edit=False)
            return
        self.discard(ctx)
        await self.finish(ctx, run)

    async def _enter(self, ctx: Context, run: FormRun, step: Step, *, edit: bool = True) -> None:
        self._save(ctx, run)
        ctx.set_flow(self.name, step.name)
        prompt = await step.ask(ctx, run)
        navigation: list[Button] = []
        if self._previous(run, step) is not None:
            navigation.append(ctx.button("nav.back", self.data(step.name, BACK)))
        if step.optional:
            navigation.append(ctx.button("nav.skip", self.data(step.name, SKIP)))
        navigation.append(ctx.button("nav.cancel", self.data(step.name, CANCEL)))
        buttons = (*prompt.buttons, tuple(navigation))
        if edit:
            ctx.show(prompt.text, buttons)
        else:
            ctx.send(prompt.text, buttons)

    def _save(self, ctx: Context, run: FormRun) -> None:
        forms = dict(ctx.data.get("forms", {}))
        forms[self.name] = {"values": run.values, "only": list(run.only) if run.only else None}
        ctx.data["forms"] = forms
