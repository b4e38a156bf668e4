"""Button data as small typed records: one codec packs them and parses presses back.

A flow declares what its buttons carry as a record with a prefix and typed fields::

    class StagesPress(Callback, prefix="stages"):
        action: Literal["add", "del"]
        stage: int | None = None

    StagesPress("del", 12).pack()           # "stages:del:12"
    Callback.parse("stages:del:12")         # StagesPress("del", 12); None when malformed
    router.button(StagesPress, on_stages)   # on_stages(ctx, press: StagesPress)

Records are frozen dataclasses (the base makes them so). Field types: ``int`` (64-bit),
``bool``, ``str`` with a byte bound (``Annotated[str, MaxBytes(n)]``), a ``StrEnum``, a
``Literal`` of strings, and any of these ``| None`` (packed as an empty part; trailing
None fields with a None default are left out, so ``StagesPress("add")`` packs as
``stages:add``). Fields are joined with ``:``; ``%`` and ``:`` inside strings are
percent-escaped, so any text packs.

Telegram takes at most 64 bytes of callback data, and Cyrillic takes two bytes a letter, so
every record is checked when it is declared: the prefix is unique and the longest value it
can pack fits. ``pack`` checks again and raises on anything longer. ``parse`` accepts only
the canonical form that ``pack`` writes, so a forged or stale press is None, never a
half-read record; the dispatcher gives it one polite answer.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal, Self, dataclass_transform

from handlers.limits import CALLBACK_DATA

SEPARATOR = ":"
LIMIT = CALLBACK_DATA.maximum  # bytes of UTF-8
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_INT = re.compile(r"-?(0|[1-9][0-9]{0,18})")
_PREFIX = re.compile(r"[a-z][a-z0-9_.-]{0,15}")


@dataclass(frozen=True)
class MaxBytes:
    """Bound of a ``str`` field: its packed (escaped, UTF-8) form takes at most this many bytes."""

    limit: int


def escape(text: str) -> str:
    """Escape the separator (and the escape character) inside a string field."""
    return text.replace("%", "%25").replace(SEPARATOR, "%3A")


def unescape(text: str) -> str | None:
    """Undo ``escape``; None when the text is not something ``escape`` could have written."""
    if SEPARATOR in text:
        return None
    out = text.replace("%3A", SEPARATOR).replace("%25", "%")
    return out if escape(out) == text else None


@dataclass(frozen=True)
class _Codec:
    """How one field packs and parses, and the most bytes it can take."""

    pack: Callable[[Any], str]
    parse: Callable[[str], Any]  # raises ValueError on a malformed part
    worst: int


def _int_codec() -> _Codec:
    def pack(value: Any) -> str:
        if type(value) is not int or not INT_MIN <= value <= INT_MAX:
            raise ValueError(f"not a 64-bit int: {value!r}")
        return str(value)

    def parse(part: str) -> int:
        if not _INT.fullmatch(part) or part == "-0":
            raise ValueError(part)
        value = int(part)
        if not INT_MIN <= value <= INT_MAX:
            raise ValueError(part)
        return value

    return _Codec(pack, parse, len(str(INT_MIN)))


def _bool_codec() -> _Codec:
    def pack(value: Any) -> str:
        if type(value) is not bool:
            raise ValueError(f"not a bool: {value!r}")
        return "1" if value else "0"

    def parse(part: str) -> bool:
        if part not in ("0", "1"):
            raise ValueError(part)
        return part == "1"

    return _Codec(pack, parse, 1)


def _choice_codec(values: dict[str, Any], name: str) -> _Codec:
    """A codec for a closed set of values, each packed as the given text."""
    packed = {escape(text): value for text, value in values.items()}
    if not packed or "" in packed:
        raise TypeError(f"{name}: choices must be non-empty texts")
    texts = {value: text for text, value in packed.items()}

    def pack(value: Any) -> str:
        try:
            return texts[value]
        except (KeyError, TypeError):
            raise ValueError(f"{name}: not one of {sorted(packed)}: {value!r}") from None

    def parse(part: str) -> Any:
        if part not in packed:
            raise ValueError(part)
        return packed[part]

    return _Codec(pack, parse, max(len(t.encode()) for t in packed))


def _str_codec(bound: int) -> _Codec:
    def pack(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"not a str: {value!r}")
        text = escape(value)
        if len(text.encode()) > bound:
            raise ValueError(f"{value!r} packs to more than {bound} bytes")
        return text

    def parse(part: str) -> str:
        text = unescape(part)
        if text is None or len(part.encode()) > bound:
            raise ValueError(part)
        return text

    return _Codec(pack, parse, bound)


def _optional(inner: _Codec) -> _Codec:
    def pack(value: Any) -> str:
        if value is None:
            return ""
        text = inner.pack(value)
        if text == "":
            raise ValueError("an empty text in an optional field reads back as None")
        return text

    def parse(part: str) -> Any:
        return None if part == "" else inner.parse(part)

    return _Codec(pack, parse, inner.worst)


def _codec(hint: Any, name: str) -> _Codec:
    """Return the codec of a field's type, or refuse a type the codec cannot bound."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) != 1 or len(typing.get_args(hint)) != 2:
            raise TypeError(f"{name}: only `T | None` unions are supported")
        return _optional(_codec(members[0], name))
    if origin is Annotated:
        base, *extras = typing.get_args(hint)
        bounds = [e for e in extras if isinstance(e, MaxBytes)]
        if base is str and bounds:
            return _str_codec(bounds[0].limit)
        return _codec(base, name)
    if origin is Literal:
        choices = typing.get_args(hint)
        if not all(isinstance(c, str) for c in choices):
            raise TypeError(f"{name}: Literal choices must be strings")
        return _choice_codec({c: c for c in choices}, name)
    if hint is bool:
        return _bool_codec()
    if hint is int:
        return _int_codec()
    if isinstance(hint, type) and issubclass(hint, Enum):
        if not all(isinstance(m.value, str) for m in hint):
            raise TypeError(f"{name}: enum values must be strings")
        return _choice_codec({m.value: m for m in hint}, name)
    if hint is str:
        raise TypeError(f"{name}: a str field declares its bound: Annotated[str, MaxBytes(n)]")
    raise TypeError(f"{name}: unsupported field type {hint!r}")


@dataclass_transform(frozen_default=True)
class Callback:
    """Base of every button record: subclass with ``prefix=`` and annotated fields."""

    prefix: ClassVar[str]
    _fields: ClassVar[tuple[tuple[str, _Codec], ...]]
    _required: ClassVar[int]  # fields before the trailing ones that default to None
    _registry: ClassVar[dict[str, type[Callback]]] = {}

    def __init_subclass__(cls, /, prefix: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(frozen=True)(cls)
        if prefix is None:  # a family of records (e.g. the step engine's): fields, no prefix
            return
        if not _PREFIX.fullmatch(prefix):
            raise TypeError(f"{cls.__name__}: prefix {prefix!r} must match {_PREFIX.pattern}")
        taken = Callback._registry.get(prefix)
        # The same record declared again (a module reloaded by a test) replaces itself.
        if taken is not None and _where(taken) != _where(cls):
            raise TypeError(f"{cls.__name__}: prefix {prefix!r} is taken by {taken.__name__}")
        hints = typing.get_type_hints(cls, include_extras=True)
        fields = tuple(
            (f.name, _codec(hints[f.name], f"{cls.__name__}.{f.name}"))
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        )
        worst = len(prefix) + sum(len(SEPARATOR) + codec.worst for _, codec in fields)
        if worst > LIMIT:
            raise TypeError(
                f"{cls.__name__}: may pack to {worst} bytes, more than Telegram's {LIMIT}"
            )
        required = len(fields)
        for f in reversed(dataclasses.fields(cls)):  # type: ignore[arg-type]
            if f.default is not None:
                break
            required -= 1
        cls.prefix = prefix
        cls._fields = fields
        cls._required = required
        Callback._registry[prefix] = cls

    def pack(self) -> str:
        """Return the button data; raise ValueError if a value does not fit its field."""
        parts = [self.prefix]
        for name, codec in self._fields:
            parts.append(codec.pack(getattr(self, name)))
        while len(parts) > 1 + self._required and parts[-1] == "":
            parts.pop()  # trailing defaults: "stages:add", not "stages:add:"
        data = SEPARATOR.join(parts)
        if len(data.encode()) > LIMIT:
            raise ValueError(f"{data!r} is longer than {LIMIT} bytes")
        return data

    @staticmethod
    def record(prefix: str) -> type[Callback] | None:
        """Return the record declared with this prefix."""
        return Callback._registry.get(prefix)

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        """Return the record a press carries, or None if it is malformed, unknown or not cls."""
        if not data or len(data.encode()) > LIMIT:
            return None
        prefix, *parts = data.split(SEPARATOR)
        record = Callback._registry.get(prefix)
        if record is None or not issubclass(record, cls):
            return None
        if not record._required <= len(parts) <= len(record._fields):
            return None
        try:
            values = {
                name: codec.parse(part)
                for (name, codec), part in zip(record._fields, parts, strict=False)
            }
            press = record(**values)
            # Only what pack writes is taken ("stages:add:" or "rv:a:01" are not).
            if press.pack() != data:
                return None
        except ValueError:
            return None
        return press  # type: ignore[return-value]


def _where(record: type) -> tuple[str, str]:
    return record.__module__, record.__qualname__


def parse_int(text: str | None) -> int | None:
    """Read a whole number written as ``pack`` writes ints; None for anything else."""
    try:
        return _int_codec().parse(text) if text is not None else None
    except ValueError:
        return None


def registered() -> dict[str, type[Callback]]:
    """Return every declared record by prefix (tests check them all)."""
    return dict(Callback._registry)
