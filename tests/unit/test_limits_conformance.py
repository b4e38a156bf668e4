"""The project's Telegram limits table agrees with the Bot API specification."""

from __future__ import annotations

import pytest

from handlers import limits
from tests.fake_telegram import Spec, load_spec, spec_path


@pytest.fixture(scope="module")
def spec() -> Spec:
    """Return the Bot API spec, or skip when the shared file is absent."""
    loaded = load_spec()
    if loaded is None:
        pytest.skip(f"Bot API spec not found at {spec_path()} (set BOT_API_SPEC to point at it)")
    return loaded


# Known disagreements, each waiting for a decision on handlers/limits.py. strict=True makes
# the entry fail as soon as the table is fixed, so it cannot outlive the disagreement.
# Limits of ours that knowingly differ from the spec, with the reason (none at present).
KNOWN_DEVIATIONS: dict[limits.Limit, str] = {}


def _cases() -> list[object]:
    return [
        pytest.param(
            limit,
            id=f"{limit.method}.{limit.field}",
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_DEVIATIONS[limit])]
            if limit in KNOWN_DEVIATIONS
            else [],
        )
        for limit in limits.ALL
    ]


@pytest.mark.parametrize("limit", _cases())
def test_limit_matches_the_spec(spec: Spec, limit: limits.Limit) -> None:
    owner = spec.methods.get(limit.method) or spec.types.get(limit.method)
    assert owner is not None, f"{limit.method} is neither a method nor a type in {spec.version}"
    assert limit.field in owner.fields, f"{limit.method} has no field {limit.field}"
    stated = spec.range(limit.method, limit.field)
    assert stated is not None, f"the spec states no range for {limit.method}.{limit.field}"
    assert (stated.minimum, stated.maximum, stated.unit) == (
        limit.minimum,
        limit.maximum,
        limit.unit,
    ), f"{spec.version} says {stated.minimum}-{stated.maximum} {stated.unit}"


def test_the_spec_states_the_limits_in_the_phrasing_we_parse(spec: Spec) -> None:
    # Guards the parser: if Telegram rewords these, the ranges above silently disappear.
    expected = {
        ("sendMessage", "text"): (1, 4096, "characters", True),
        ("sendPhoto", "caption"): (0, 1024, "characters", True),
        ("InlineKeyboardButton", "callback_data"): (1, 64, "bytes", False),
        ("answerCallbackQuery", "text"): (0, 200, "characters", False),
        ("sendMediaGroup", "media"): (2, 10, "items", False),
        ("answerInlineQuery", "results"): (0, 50, "items", False),
    }
    for (owner, field), (low, high, unit, after_entities) in expected.items():
        stated = spec.range(owner, field)
        assert stated is not None, (owner, field)
        assert (stated.minimum, stated.maximum, stated.unit, stated.after_entities) == (
            low,
            high,
            unit,
            after_entities,
        )


def test_builtin_knowledge_agrees_with_the_spec(spec: Spec) -> None:
    # The fallback used without the spec file must not invent methods or parameters.
    builtin = Spec.minimal()
    for name, method in builtin.methods.items():
        assert name in spec.methods, name
        real = spec.methods[name].fields
        for field in method.fields.values():
            assert field.name in real, f"{name}.{field.name}"
            assert field.required == real[field.name].required, f"{name}.{field.name}"
