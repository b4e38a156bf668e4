"""Random input through the real Telegram stacks: the fake Bot API refuses nothing we send."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.runtime.harness import LiveBot
from tests.support.hypothesis import examples
from tests.unit.test_fuzz import NASTY_TEXTS

USERS = itertools.count(90_000)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("text"), NASTY_TEXTS),
        st.tuples(st.just("press"), st.integers(0, 30)),
        st.tuples(st.just("sticker"), st.none()),
        st.tuples(st.just("location"), st.none()),
        st.tuples(st.just("forge"), st.text(min_size=1, max_size=64)),
    ),
    min_size=3,
    max_size=12,
)


@settings(
    max_examples=examples(12),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
async def test_random_input_through_the_runtime(live: LiveBot, steps):
    fake, user = live.fake, next(USERS)
    await live.say(user, "/start")
    for kind, value in steps:
        match kind:
            case "text":
                await live.say(user, str(value) or ".")
            case "sticker":
                await live.push(fake.user_sends_sticker(user))
            case "location":
                await live.push(fake.user_sends_location(user, 47.92, 106.92))
            case "press" | "forge":
                message = next(
                    (m for m in reversed(fake.sent_messages(user)) if m.callback_data), None
                )
                if message is None:
                    continue
                if kind == "forge":
                    data = str(value)
                else:
                    data = message.callback_data[int(value) % len(message.callback_data)]
                await live.push(fake.user_presses(user, message, data, check=kind == "press"))
    assert fake.rejected == []
