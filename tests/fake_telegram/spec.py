"""Load the Bot API specification and check requests against it.

The spec is `../shared/telegram/bot-api-spec.json` relative to the project root (or the file
named by the `BOT_API_SPEC` environment variable). Without it, a built-in minimal description
of the methods the bot uses takes its place: required parameters and basic types are still
checked, unknown parameters are not (we do not know them all), and limits come from
`handlers.limits`.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handlers import limits
from tests.fake_telegram.tghtml import HtmlError, parse_html, utf16_len

SPEC_ENV = "BOT_API_SPEC"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC_PATH = PROJECT_ROOT.parent / "shared" / "telegram" / "bot-api-spec.json"

BASIC_TYPES = frozenset({"Integer", "Float", "String", "Boolean", "True", "InputFile"})

# "1-4096 characters", "0-1024 characters after entities parsing", "1-64 bytes",
# "1-12 answer options", "must include 2-10 items".
_RANGE = re.compile(r"(\d+)-(\d+)\s+(characters|bytes|answer options|items|results)", re.IGNORECASE)
# Method descriptions state some array limits in prose: "No more than 50 results per query".
_AT_MOST = re.compile(r"(?:no more than|at most|up to)\s+(\d+)\s+(\w+)", re.IGNORECASE)
_MUST_BE = re.compile(r"\bmust be ([a-z_]+)\b")
_UNITS = {
    "characters": "characters",
    "bytes": "bytes",
    "answer options": "items",
    "items": "items",
    "results": "items",
}


@dataclass(frozen=True)
class Range:
    """An inclusive size limit stated by the spec."""

    minimum: int
    maximum: int
    unit: str  # "characters" (UTF-16 code units), "bytes" (UTF-8) or "items"
    after_entities: bool = False


@dataclass(frozen=True)
class Field:
    """One parameter of a method or field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool
    description: str = ""

    @property
    def is_json(self) -> bool:
        """Tell whether the value travels as JSON (an object or an array)."""
        return any(t not in BASIC_TYPES for t in self.types)


@dataclass(frozen=True)
class TypeSpec:
    """An object type, or a union of subtypes."""

    name: str
    fields: dict[str, Field]
    subtypes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MethodSpec:
    """A Bot API method."""

    name: str
    fields: dict[str, Field]
    returns: tuple[str, ...]
    description: str = ""


class Problem(Exception):
    """A request Telegram would refuse; `description` is the text after "Bad Request: "."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


# Types Telegram still accepts for backward compatibility although the spec no longer lists
# them (aiogram and PTB send poll options as plain strings when given strings).
_LEGACY_TYPES: dict[tuple[str, str], tuple[str, ...]] = {
    ("sendPoll", "options"): ("Array of InputPollOption or String",),
}


def _fields(raw: Iterable[Mapping[str, Any]], owner: str = "") -> dict[str, Field]:
    return {
        f["name"]: Field(
            f["name"],
            tuple(f["types"]) + _LEGACY_TYPES.get((owner, f["name"]), ()),
            bool(f["required"]),
            f["description"],
        )
        for f in raw
    }


def _range_in(text: str) -> Range | None:
    match = _RANGE.search(text)
    if match is None:
        return None
    return Range(
        int(match.group(1)),
        int(match.group(2)),
        _UNITS[match.group(3).lower()],
        after_entities="after entit" in text,
    )


@dataclass
class Spec:
    """The methods and types of the Bot API, with the limits their descriptions state."""

    version: str
    methods: dict[str, MethodSpec]
    types: dict[str, TypeSpec]
    ranges: dict[tuple[str, str], Range]
    builtin: bool = False

    def __post_init__(self) -> None:
        self._by_lower = {name.lower(): name for name in self.methods}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Spec:
        """Build a Spec from the JSON document."""
        methods = {
            name: MethodSpec(
                name,
                _fields(raw.get("fields", ()), name),
                tuple(raw.get("returns", ())),
                " ".join(raw.get("description", ())),
            )
            for name, raw in data["methods"].items()
        }
        types = {
            name: TypeSpec(name, _fields(raw.get("fields", ())), tuple(raw.get("subtypes", ())))
            for name, raw in data["types"].items()
        }
        ranges: dict[tuple[str, str], Range] = {}
        for owner, fields in [(m.name, m.fields) for m in methods.values()] + [
            (t.name, t.fields) for t in types.values()
        ]:
            for spec_field in fields.values():
                found = _range_in(spec_field.description)
                if found is not None:
                    ranges[owner, spec_field.name] = found
        for method in methods.values():
            match = _AT_MOST.search(method.description)
            if match is None:
                continue
            # Attach "No more than 50 results" to the array parameter it talks about.
            for spec_field in method.fields.values():
                if spec_field.name == match.group(2).lower():
                    ranges.setdefault(
                        (method.name, spec_field.name), Range(0, int(match.group(1)), "items")
                    )
        return cls(str(data.get("version", "")), methods, types, ranges)

    @classmethod
    def minimal(cls) -> Spec:
        """Describe the methods the bot uses, for when the spec file is absent."""
        methods = {
            name: MethodSpec(name, _parse_builtin(fields), (returns,))
            for name, (returns, fields) in _BUILTIN_METHODS.items()
        }
        ranges = {
            (limit.method, limit.field): Range(
                limit.minimum,
                limit.maximum,
                limit.unit,
                after_entities=limit.field in {"text", "caption"} and limit.unit == "characters",
            )
            for limit in limits.ALL
        }
        return cls("builtin", methods, {}, ranges, builtin=True)

    def canonical(self, method: str) -> str | None:
        """Return the method's official spelling (Telegram ignores case), or None."""
        return self._by_lower.get(method.lower())

    def range(self, owner: str, field_name: str) -> Range | None:
        """Return the size limit the spec states for a field, if any."""
        return self.ranges.get((owner, field_name))

    # -- decoding ---------------------------------------------------------------------------

    def decode(self, method: str, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Turn form strings into the values they encode, by the parameters' declared types."""
        spec = self.methods.get(method)
        decoded: dict[str, Any] = {}
        for name, value in raw.items():
            spec_field = spec.fields.get(name) if spec else None
            decoded[name] = _decode(value, spec_field.types if spec_field else None)
        return decoded

    # -- validation -------------------------------------------------------------------------

    def validate(self, method: str, params: Mapping[str, Any], *, strict: bool = True) -> None:
        """Raise Problem for the first thing in the request Telegram would refuse."""
        spec = self.methods[method]
        for name in params:
            if name not in spec.fields and strict and not self.builtin:
                raise Problem(f'unknown parameter "{name}" for method {method} (strict mode)')
        for spec_field in spec.fields.values():
            if spec_field.required and params.get(spec_field.name) in (None, ""):
                raise Problem(_missing(method, spec_field.name))
        self._check_fields(method, spec.fields, params, method, strict)

    def check_value(
        self, value: Any, types: str | tuple[str, ...], path: str = "value", *, strict: bool = True
    ) -> None:
        """Raise Problem unless the value matches one of the types (e.g. a result "Message")."""
        self._check_value(value, (types,) if isinstance(types, str) else types, path, strict)

    def _check_fields(
        self,
        owner: str,
        fields: Mapping[str, Field],
        values: Mapping[str, Any],
        path: str,
        strict: bool,
    ) -> None:
        for name, value in values.items():
            spec_field = fields.get(name)
            if spec_field is None:
                continue
            where = f"{path}.{name}" if path != owner else name
            self._check_value(value, spec_field.types, where, strict)
            self._check_size(owner, name, value, values, where)

    def _check_size(
        self, owner: str, name: str, value: Any, siblings: Mapping[str, Any], where: str
    ) -> None:
        limit = self.range(owner, name)
        parse_mode = siblings.get(f"{name}_parse_mode")
        if parse_mode is None and name in {"text", "caption", "message_text"}:
            parse_mode = siblings.get("parse_mode")
        if isinstance(value, str) and isinstance(parse_mode, str) and parse_mode.upper() == "HTML":
            try:
                visible, _ = parse_html(value)
            except HtmlError as error:
                raise Problem(f"can't parse entities: {error}") from None
        else:
            visible = value
        if limit is None:
            return
        if limit.unit == "items":
            size = len(value) if isinstance(value, list) else None
        elif not isinstance(visible, str):
            size = None
        elif limit.unit == "bytes":
            size = len(visible.encode("utf-8"))
        else:
            size = utf16_len(visible)
        if size is None:
            return
        if limit.minimum > 0 and isinstance(visible, str) and not visible.strip():
            size = 0  # Telegram trims whitespace before checking for emptiness.
        if size > limit.maximum or size < limit.minimum:
            raise Problem(_size_problem(owner, name, where, size, limit))

    def _check_value(self, value: Any, types: tuple[str, ...], path: str, strict: bool) -> None:
        problems: list[Problem] = []
        for type_name in types:
            try:
                self._check_one(value, type_name, path, strict)
                return
            except Problem as problem:
                problems.append(problem)
        # Report the alternative that got furthest: most likely the one the bot meant.
        raise max(problems, key=lambda problem: problem.description.count("."))

    def _check_one(self, value: Any, type_name: str, path: str, strict: bool) -> None:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                raise Problem(f"{path} must be an array")
            # "Array of A or B": items may mix both (our notation for legacy forms).
            inner = tuple(type_name.removeprefix("Array of ").split(" or "))
            for index, item in enumerate(value):
                self._check_value(item, inner, f"{path}[{index}]", strict)
            return
        if type_name == "Integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif type_name == "Float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif type_name == "String":
            ok = isinstance(value, str)
        elif type_name in {"Boolean", "True"}:
            ok = isinstance(value, bool)
        elif type_name == "InputFile":
            ok = hasattr(value, "data") or (
                isinstance(value, str) and value.startswith("attach://")
            )
        else:
            self._check_object(value, type_name, path, strict)
            return
        if not ok:
            raise Problem(f"{path} must be of type {type_name}")

    def _check_object(self, value: Any, type_name: str, path: str, strict: bool) -> None:
        spec = self.types.get(type_name)
        if spec is not None and spec.subtypes:
            self._check_value(value, spec.subtypes, path, strict)
            return
        if not isinstance(value, dict):
            raise Problem(f"{path} must be a JSON object ({type_name})")
        if spec is None:
            return  # A type we know nothing about (built-in mode): any object will do.
        for name in value:
            if name not in spec.fields and strict:
                raise Problem(f'{path}: unknown field "{name}" in {type_name} (strict mode)')
        for spec_field in spec.fields.values():
            if spec_field.required and spec_field.name not in value:
                raise Problem(f'{path}: field "{spec_field.name}" of {type_name} is required')
        kind = spec.fields.get("type")
        match = _MUST_BE.search(kind.description) if kind is not None else None
        if match is not None and value.get("type") != match.group(1):
            raise Problem(f'{path}.type must be "{match.group(1)}" for {type_name}')
        self._check_fields(type_name, spec.fields, value, path, strict)


def _decode(value: Any, types: tuple[str, ...] | None) -> Any:
    """Decode one form value (always a string) into what its declared types say it is."""
    if not isinstance(value, str) or types is None:
        return value
    if any(t not in BASIC_TYPES for t in types) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            raise Problem(f"can't parse JSON object: {value[:50]}") from None
    if "Integer" in types and re.fullmatch(r"-?\d+", value):
        return int(value)
    if "Float" in types:
        try:
            return float(value)
        except ValueError:
            pass
    if ("Boolean" in types or "True" in types) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return value


def _missing(method: str, name: str) -> str:
    """Word a missing parameter as Telegram does for the common ones."""
    if name == "text":
        return "message text is empty"
    if name in {"chat_id", "message_id", "callback_query_id", "file_id", "inline_query_id"}:
        return f"{name} is empty"
    return f'parameter "{name}" is required by {method}'


def _size_problem(owner: str, name: str, where: str, size: int, limit: Range) -> str:
    """Word a size violation as Telegram does where we know its wording."""
    if name == "callback_data":
        return "BUTTON_DATA_INVALID"
    if name == "text" and size < limit.minimum:
        return "message text is empty"
    if name in {"text", "message_text"} and owner != "answerCallbackQuery":
        return "message is too long"
    if name == "caption":
        return "message caption is too long"
    if owner == "answerInlineQuery" and name == "results":
        return "RESULTS_TOO_MUCH"
    return (
        f"{where} must have {limit.minimum}-{limit.maximum} {limit.unit}, it has {size} "
        f"({'MESSAGE_TOO_LONG' if size > limit.maximum else 'too few'})"
    )


def spec_path() -> Path:
    """Return where the spec file is expected: $BOT_API_SPEC, else ../shared/telegram/."""
    override = os.environ.get(SPEC_ENV)
    return Path(override) if override else DEFAULT_SPEC_PATH


@functools.cache
def _load(path: Path) -> Spec | None:
    if not path.is_file():
        return None
    return Spec.from_json(json.loads(path.read_text(encoding="utf-8")))


def load_spec(path: Path | None = None) -> Spec | None:
    """Load (once) the spec file, or return None when it is absent."""
    return _load((path or spec_path()).resolve())


def check_against_spec(calls: Iterable[Any], spec: Spec | None = None) -> list[str]:
    """List every way the recorded calls break the spec (empty when the spec is absent).

    Checks that each method exists, each parameter is known, required ones are present,
    types and nested objects match, and stated limits hold.
    """
    spec = spec or load_spec()
    if spec is None:
        return []
    problems: list[str] = []
    for call in calls:
        method = spec.canonical(call.method)
        if method is None:
            problems.append(f"{call.method}: no such method in the Bot API {spec.version}")
            continue
        try:
            spec.validate(method, call.params, strict=True)
        except Problem as problem:
            problems.append(f"{method}: {problem.description}")
    return problems


def _parse_builtin(text: str) -> dict[str, Field]:
    """Parse "name:Type|Type!, ..." where "!" marks a required parameter."""
    fields: dict[str, Field] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, types = item.partition(":")
        required = types.endswith("!")
        fields[name] = Field(name, tuple(types.rstrip("!").split("|")), required)
    return fields


_CHAT = "chat_id:Integer|String!"
_MARKUP = "reply_markup:InlineKeyboardMarkup|ReplyKeyboardMarkup|ReplyKeyboardRemove|ForceReply"
_INLINE = "reply_markup:InlineKeyboardMarkup"
_EDIT = "chat_id:Integer|String, message_id:Integer, inline_message_id:String"
_SEND = f"{_CHAT}, disable_notification:Boolean, protect_content:Boolean, {_MARKUP}"
_CAPTION = "caption:String, parse_mode:String, caption_entities:Array of MessageEntity"
# Only what the fake serves; the real list lives in the spec file.
_BUILTIN_METHODS: dict[str, tuple[str, str]] = {
    "getMe": ("User", ""),
    "logOut": ("Boolean", ""),
    "close": ("Boolean", ""),
    "getUpdates": (
        "Array of Update",
        "offset:Integer, limit:Integer, timeout:Integer, allowed_updates:Array of String",
    ),
    "setWebhook": (
        "Boolean",
        "url:String!, certificate:InputFile, ip_address:String, max_connections:Integer, "
        "allowed_updates:Array of String, drop_pending_updates:Boolean, secret_token:String",
    ),
    "deleteWebhook": ("Boolean", "drop_pending_updates:Boolean"),
    "getWebhookInfo": ("WebhookInfo", ""),
    "setMyCommands": (
        "Boolean",
        "commands:Array of BotCommand!, scope:BotCommandScope, language_code:String",
    ),
    "getMyCommands": ("Array of BotCommand", "scope:BotCommandScope, language_code:String"),
    "deleteMyCommands": ("Boolean", "scope:BotCommandScope, language_code:String"),
    "sendMessage": (
        "Message",
        f"{_SEND}, text:String!, parse_mode:String, entities:Array of MessageEntity, "
        "link_preview_options:LinkPreviewOptions, reply_parameters:ReplyParameters",
    ),
    "editMessageText": (
        "Message",
        f"{_EDIT}, text:String, parse_mode:String, entities:Array of MessageEntity, "
        f"link_preview_options:LinkPreviewOptions, {_INLINE}",
    ),
    "editMessageCaption": ("Message", f"{_EDIT}, {_CAPTION}, {_INLINE}"),
    "editMessageReplyMarkup": ("Message", f"{_EDIT}, {_INLINE}"),
    "deleteMessage": ("Boolean", f"{_CHAT}, message_id:Integer!"),
    "answerCallbackQuery": (
        "Boolean",
        "callback_query_id:String!, text:String, show_alert:Boolean, url:String, "
        "cache_time:Integer",
    ),
    "sendPhoto": ("Message", f"{_SEND}, photo:InputFile|String!, {_CAPTION}"),
    "sendDocument": ("Message", f"{_SEND}, document:InputFile|String!, {_CAPTION}"),
    "sendMediaGroup": ("Array of Message", f"{_CHAT}, media:Array of InputMedia!"),
    "sendPoll": (
        "Message",
        f"{_SEND}, question:String!, options:Array of InputPollOption or String!, "
        "is_anonymous:Boolean, type:String, allows_multiple_answers:Boolean, "
        "open_period:Integer, is_closed:Boolean",
    ),
    "stopPoll": ("Poll", f"{_CHAT}, message_id:Integer!, {_INLINE}"),
    "answerInlineQuery": (
        "Boolean",
        "inline_query_id:String!, results:Array of InlineQueryResult!, cache_time:Integer, "
        "is_personal:Boolean, next_offset:String",
    ),
    "sendChatAction": ("Boolean", f"{_CHAT}, action:String!, message_thread_id:Integer"),
    "getFile": ("File", "file_id:String!"),
    "getChat": ("ChatFullInfo", _CHAT),
}
