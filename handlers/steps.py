"""Step tables: a conversation written as data, run by one small engine.

A form is a list of steps. Each step asks its question (text and buttons) and accepts an
answer (typed text, a pressed button's value, or an attachment), or refuses it with a
polite message naming what is wrong; the answers collected so far live in the user's
conversation state, so a restart, a cancel or days of silence lose nothing.
Button data is a ``StepPress`` record, ``<form>:<step>:<value>[:<argument>]`` (each form
declares its own, with its name as the prefix), so a button from an old message is
recognised.
A step may also jump to another step and come back afterwards (``Goto``), which is how a
preview offers to edit a single answer; several forms may share one step table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from handlers import html, limits
from handlers.callbacks import Callback, MaxBytes, parse_int
from handlers.context import Context
from handlers.i18n import LANGUAGES
from handlers.messages import Attachment, Keyboard, Kind
from knowledge.text import fold

BACK, SKIP, CANCEL = "<", ">", "x"


class StepPress(Callback):
    """A step's button: the step it answers, the value, and an optional argument (an id).

    Each form declares its own record of this family, its name being the prefix; a form's
    name of up to 12 bytes leaves room for every field at its longest.
    """

    step: Annotated[str, MaxBytes(10)]
    value: Annotated[str, MaxBytes(20)]
    argument: Annotated[str, MaxBytes(19)] | None = None


def _step_record(form: str) -> type[StepPress]:
    """Declare the step record of a form (the codec checks the name is free and short)."""
    return type(f"StepPress[{form}]", (StepPress,), {"__module__": __name__}, prefix=form)


class Invalid(Exception):
    """The answer does not fit the step; carries the catalogue key of the explanation."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def label_key(text: str) -> str:
    """Reduce a label or typed text to folded words: "☝️ Нэг сонголт" and "neg songolt" meet."""
    return fold(html.plain(text))


MIN_PARTIAL_LABEL = 5
"""Fewest letters of a label typed in part that may stand for it (not «5», «хог»)."""

NAVIGATION = {"nav.back": BACK, "nav.skip": SKIP, "nav.cancel": CANCEL}


def _typed_navigation(ctx: Context, text: str) -> str | None:
    """Return the back, skip or cancel value whose label, in either language, the text is."""
    typed = label_key(text)
    catalogue = ctx.services.catalogue
    for key, value in NAVIGATION.items():
        if typed and any(label_key(catalogue.text(lang, key)) == typed for lang in LANGUAGES):
            return value
    return None


@dataclass(frozen=True)
class Answer:
    """What the user gave to a step: one of text, a button value, or an attachment."""

    text: str | None = None
    choice: str | None = None
    argument: str | None = None  # a pressed button's argument, if it has one
    attachment: Attachment | None = None

    @property
    def number(self) -> int | None:
        """Return the pressed button's argument as a whole number, if it is one."""
        return parse_int(self.argument)

    def require_text(self) -> str:
        """Return the typed text, or refuse a button or an attachment."""
        if self.text is None:
            raise Invalid("error.text_expected")
        return self.text.strip()


@dataclass(frozen=True)
class Again:
    """Keep the step and show its question again with a different view (e.g. another page)."""

    view: dict[str, Any] = field(default_factory=dict)
    edit: bool = True  # False: ask in a new message (e.g. after sending something else)


@dataclass(frozen=True)
class Goto:
    """Go to another step; with ``resume``, come back to that step once it is answered."""

    step: str
    resume: str | None = None


@dataclass(frozen=True)
class Stop:
    """The step finished the conversation itself (e.g. discarded the draft): do nothing more."""


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
    # False when earlier answers already cover the question (the step is then passed over).
    needed: Callable[[FormRun], bool] | None = None


@dataclass
class FormRun:
    """The answers of one form in progress, and which steps this run covers."""

    values: dict[str, Any]
    only: tuple[str, ...] | None = None
    view: dict[str, Any] = field(default_factory=dict)
    form: str = ""
    resume: str | None = None
    at: str | None = None  # the step last asked, where a resumed form continues

    def get(self, name: str, default: Any = None) -> Any:
        """Return an answer given so far."""
        return self.values.get(name, default)

    def data(self, step: str, value: object, argument: object = None) -> StepPress:
        """Return the press of a value (and argument) of a step of the running form."""
        record = Callback.record(self.form)
        assert record is not None and issubclass(record, StepPress), self.form
        return record(step, str(value), None if argument is None else str(argument))


class Form:
    """A conversation defined by its step table."""

    def __init__(
        self,
        name: str,
        title_key: str,
        steps: Sequence[Step],
        finish: Finish,
        *,
        changed_key: str | None = None,
    ) -> None:
        self.name = name
        self.title_key = title_key
        # Said when a registered user cancels a change of some answers (e.g. the profile).
        self.changed_key = changed_key
        self.steps = tuple(steps)
        self.finish = finish
        self._index = {step.name: i for i, step in enumerate(self.steps)}
        self.record = _step_record(name)

    def data(self, step: str, value: object, argument: object = None) -> StepPress:
        """Return the press of a value (and argument) of a step."""
        return self.record(step, str(value), None if argument is None else str(argument))

    def run(self, ctx: Context) -> FormRun:
        """Return the form's saved answers (empty when it was never started)."""
        saved = ctx.data.get("forms", {}).get(self.name, {})
        only = saved.get("only")
        return FormRun(
            dict(saved.get("values", {})),
            tuple(only) if only else None,
            form=self.name,
            resume=saved.get("resume"),
            at=saved.get("at"),
        )

    def has_draft(self, ctx: Context) -> bool:
        """Tell whether some of the user's answers to the steps are saved.

        Values the form was opened with (the training it belongs to) are not a draft.
        """
        values = self.run(ctx).values
        return any(name in values for name in self._index)

    def discard(self, ctx: Context) -> None:
        """Forget the saved answers."""
        forms = dict(ctx.data.get("forms", {}))
        forms.pop(self.name, None)
        ctx.data["forms"] = forms
        if ctx.state.flow == self.name:
            ctx.set_flow(None)

    async def begin(
        self,
        ctx: Context,
        *,
        only: Sequence[str] | None = None,
        fresh: bool = False,
        edit: bool = True,
    ) -> None:
        """Start the form, or resume it at the step last asked (or the first unanswered)."""
        if fresh or only:
            run = FormRun({}, tuple(only) if only else None, form=self.name)
        else:
            run = self.run(ctx)
        steps = self._steps(run)
        first = next((s for s in steps if s.name == run.at), None) or next(
            (s for s in steps if s.name not in run.values), steps[0]
        )
        await self._enter(ctx, run, first, edit=edit)

    async def open(
        self, ctx: Context, values: dict[str, Any], step: str, *, edit: bool = True
    ) -> None:
        """Start the form with the given answers, at the given step (e.g. a preview).

        A draft opened with the same context (the question it answers, the practice it
        edits) is resumed instead: pressing «Хариулах» again must not wipe a half-written answer.
        """
        context = {name: value for name, value in values.items() if name not in self._index}
        saved = self.run(ctx)
        if (
            context
            and self.has_draft(ctx)
            and all(saved.values.get(name) == value for name, value in context.items())
        ):
            await self.begin(ctx, edit=edit)
            return
        run = FormRun(dict(values), form=self.name)
        await self._enter(ctx, run, self.steps[self._index[step]], edit=edit)

    async def handle(self, ctx: Context) -> None:
        """Apply the user's input to the current step."""
        run = self.run(ctx)
        step = self.steps[self._index.get(ctx.state.step or "", 0)]
        incoming = ctx.incoming
        if incoming.kind is Kind.BUTTON:
            press = ctx.press
            if (
                not isinstance(press, StepPress)
                or press.prefix != self.name
                or press.step != step.name
            ):
                ctx.answer(ctx.t("error.outdated_button"))
                await self._enter(ctx, run, step, edit=False)
                return
            ctx.answer()
            if await self._navigate(ctx, run, step, press.value):
                return
            answer = Answer(choice=press.value, argument=press.argument)
        elif incoming.kind is Kind.ATTACHMENT:
            answer = Answer(attachment=incoming.attachment)
        else:
            # «Алгасах», «буцах», «цуцлах» typed at a step that takes any text are the
            # buttons under it, not an answer to store.
            moved = _typed_navigation(ctx, incoming.text or "")
            if moved == SKIP and not step.optional:
                ctx.send(ctx.t("nav.cannot_skip"))
                await self._enter(ctx, run, step, edit=False)
                return
            if moved is not None and await self._navigate(ctx, run, step, moved, edit=False):
                return
            # So is the whole label of one of the step's own buttons («Хэвээр үлдээх»).
            answer = Answer(text=incoming.text)
            answer = await self._typed_button(ctx, run, step, answer, partial=False) or answer
        try:
            result = await step.accept(ctx, run, answer)
        except Invalid as refusal:
            # A button's label typed instead of pressed ("Нэг сонголт", "Гараар хаана").
            typed = await self._typed_button(ctx, run, step, answer)
            if typed is None:
                ctx.send(ctx.t(refusal.key, **refusal.values))
                await self._enter(ctx, run, step, edit=False)
                return
            try:
                result = await step.accept(ctx, run, typed)
            except Invalid as again:
                ctx.send(ctx.t(again.key, **again.values))
                await self._enter(ctx, run, step, edit=False)
                return
        if isinstance(result, Stop):
            return
        if isinstance(result, Again):
            run.view = result.view
            await self._enter(ctx, run, step, edit=result.edit)
            return
        if isinstance(result, Goto):
            run.resume = result.resume
            await self._enter(ctx, run, self.steps[self._index[result.step]], edit=False)
            return
        run.values[step.name] = result
        await self._advance(ctx, run, step)

    async def _navigate(
        self, ctx: Context, run: FormRun, step: Step, value: str, *, edit: bool = True
    ) -> bool:
        """Apply a back, skip or cancel press; tell whether the value was one."""
        if value == BACK:
            if run.resume is not None:  # leaving a single-answer edit: back where it began
                target = self.steps[self._index[run.resume]]
                run.resume = None
                await self._enter(ctx, run, target, edit=edit)
                return True
            await self._enter(ctx, run, self._previous(run, step) or step, edit=edit)
            return True
        if value == SKIP and step.optional:
            run.values[step.name] = None
            await self._advance(ctx, run, step)
            return True
        if value == CANCEL:
            await ctx.router.cancel(ctx)
            return True
        return False

    def _navigation(self, run: FormRun, step: Step) -> list[tuple[str, str]]:
        """Return the catalogue keys and values of the back, skip and cancel buttons shown."""
        shown = {
            BACK: run.resume is not None or self._previous(run, step) is not None,
            SKIP: step.optional,
            CANCEL: True,
        }
        return [(key, value) for key, value in NAVIGATION.items() if shown[value]]

    async def _typed_button(
        self, ctx: Context, run: FormRun, step: Step, answer: Answer, *, partial: bool = True
    ) -> Answer | None:
        """Return the press whose button label the text repeats, if exactly one does.

        With ``partial``, a label's words typed in part count too when they pick one button:
        «засаг дарга», «nariin bichgiin darga» (the «Хорооны …» before them left out).
        """
        typed = label_key(answer.text or "")
        if not typed:
            return None
        prompt = await step.ask(ctx, run)
        presses = [
            (label_key(button.label), press)
            for row in prompt.buttons
            for button in row
            if isinstance(press := Callback.parse(button.data or ""), StepPress)
            and press.prefix == self.name
            and press.step == step.name
        ]
        found = [press for label, press in presses if label == typed]
        if not found and partial and sum(ch.isalpha() for ch in typed) >= MIN_PARTIAL_LABEL:
            words = set(typed.split())
            found = [press for label, press in presses if words <= set(label.split())]
        if len(found) != 1:
            return None
        return Answer(choice=found[0].value, argument=found[0].argument)

    def _steps(self, run: FormRun) -> tuple[Step, ...]:
        if run.only is None:
            return self.steps
        return tuple(s for s in self.steps if s.name in run.only)

    def _previous(self, run: FormRun, step: Step) -> Step | None:
        steps = self._steps(run)
        index = steps.index(step)
        return steps[index - 1] if index > 0 else None

    async def _advance(self, ctx: Context, run: FormRun, step: Step) -> None:
        if run.resume is not None:
            target = self.steps[self._index[run.resume]]
            run.resume, run.view = None, {}
            await self._enter(ctx, run, target, edit=False)
            return
        steps = self._steps(run)
        following = [s for s in steps[steps.index(step) + 1 :] if s.needed is None or s.needed(run)]
        if following:
            run.view = {}
            await self._enter(ctx, run, following[0], edit=False)
            return
        self.discard(ctx)
        await self.finish(ctx, run)

    async def _enter(self, ctx: Context, run: FormRun, step: Step, *, edit: bool = True) -> None:
        ctx.set_flow(self.name, step.name)
        prompt = await step.ask(ctx, run)
        run.at = step.name
        self._save(ctx, run)  # after asking: a question may tidy the answers it shows
        navigation = tuple(
            ctx.button(key, self.data(step.name, value))
            for key, value in self._navigation(run, step)
        )
        buttons = (*prompt.buttons, navigation)
        # A prompt too long for one message (e.g. a preview card) is sent in parts instead.
        if edit and html.visible_length(prompt.text) <= limits.MESSAGE_TEXT.maximum:
            ctx.show(prompt.text, buttons)
        else:
            ctx.send(prompt.text, buttons)

    def _save(self, ctx: Context, run: FormRun) -> None:
        forms = dict(ctx.data.get("forms", {}))
        forms.pop(self.name, None)  # the form used last comes last: /start offers it first
        forms[self.name] = {
            "values": run.values,
            "only": list(run.only) if run.only else None,
            "resume": run.resume,
            "at": run.at,
        }
        ctx.data["forms"] = forms
