"""Queues and help through the real aiogram and python-telegram-bot stacks."""

from __future__ import annotations

import json

from storage.models import Practice, User
from storage.practices import Practices
from storage.units import Units
from storage.users import Users
from tests.conftest import ADMIN_ID
from tests.runtime.harness import LiveBot
from tests.runtime.test_votes_runtimes import TRAINER, open_vote

AUTHOR, REVIEWER, OFFICER = 7101, 7102, 7103


async def seed(live: LiveBot, *user_ids: int) -> int:
    """Register users of Bayangol's 5th khoroo directly; return Bayangol's id."""
    async with live.app.database.transaction() as session:
        bayangol = next(d for d in await Units(session).districts() if d.code == "bayangol")
        for user_id in user_ids:
            session.add(
                User(
                    id=user_id,
                    first_name=f"User{user_id}",
                    language="mn",
                    district_id=bayangol.id,
                    khoroo_number=5 if user_id == AUTHOR else 8,
                    position="officer",
                    registered=True,
                )
            )
        return bayangol.id


async def test_a_reviewer_granted_late_reviews_from_the_queue(live: LiveBot):
    bayangol = await seed(live, AUTHOR, REVIEWER)
    async with live.app.database.transaction() as session:
        practice = Practice(
            title="Ахмадын цахим үйлчилгээ",
            district_id=bayangol,
            khoroo_number=5,
            category="public-services",
            problem="Ахмадууд үйлчилгээ авахаар дугаарлана.",
            solution="Гэрээс нь цахимаар үйлчилнэ.",
            results="120 ахмад гэрээсээ үйлчилгээ авсан.",
            submitter_id=AUTHOR,
        )
        await Practices(session).submit(practice, live.app.services.clock())
    async with live.app.database.transaction() as session:  # granted after the submission
        await Users(session).grant(REVIEWER, "reviewer", bayangol, ADMIN_ID)
    await live.say(REVIEWER, "/review")
    assert "Хянагдахыг хүлээж буй туршлага: 1" in live.last_text(REVIEWER)
    await live.press(REVIEWER, "Ахмадын цахим")
    assert "Ахмадын цахим үйлчилгээ" in live.last_text(REVIEWER)
    await live.press(REVIEWER, "Батлах")
    await live.fake.wait_for(lambda: "баталлаа" in live.last_text(REVIEWER), timeout=10)
    async with live.app.database.transaction() as session:
        saved = await Practices(session).get(1)
        assert saved is not None and saved.status == "approved"


async def test_myvotes_brings_back_the_controls(live: LiveBot):
    vote = await open_vote(live)
    await live.say(TRAINER, "/myvotes")
    assert vote.code in live.last_text(TRAINER)
    await live.press(TRAINER, vote.code)
    listing = live.fake.last_message(TRAINER)
    assert listing is not None and any("Хаах" in label for label in listing.button_texts)
    await live.press(TRAINER, "Хаах")
    await live.fake.wait_for(
        lambda: any("Дахин нээх" in b for b in live.with_button(TRAINER, "Дахин").button_texts),
        timeout=10,
    )


async def test_help_per_role_and_the_menu_set_for_the_chat(live: LiveBot):
    await seed(live, OFFICER, ADMIN_ID)
    await live.say(OFFICER, "/help")
    text = live.last_text(OFFICER)
    assert "/submit" in text and "/myvotes" not in text
    await live.say(ADMIN_ID, "/start")  # an admin by configuration gets their menu at /start
    await live.say(ADMIN_ID, f"/grant trainer {OFFICER}")
    scope = json.dumps({"chat_id": OFFICER, "type": "chat"}, sort_keys=True)
    await live.fake.wait_for(lambda: (scope, "") in live.fake.commands, timeout=10)
    names = [c["command"] for c in live.fake.commands[(scope, "")]]
    assert "myvotes" in names and "grant" not in names
    admin_scope = json.dumps({"chat_id": ADMIN_ID, "type": "chat"}, sort_keys=True)
    assert "grant" in [c["command"] for c in live.fake.commands[(admin_scope, "")]]
    default = [c["command"] for c in live.fake.commands[(json.dumps({"type": "default"}), "mn")]]
    assert "submit" in default and "myvotes" not in default
    await live.say(OFFICER, "/help")
    text = live.last_text(OFFICER)
    assert "Сургагч багш" in text and "/myvotes" in text
