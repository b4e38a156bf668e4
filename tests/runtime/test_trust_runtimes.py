"""Rights are granted, never declared, and checked on every press: through aiogram and PTB.

Each test replays what a hostile or mistaken user did against the real runtimes and the
fake Bot API: a chosen position, an old or foreign invitation, a colleague's adoption, a
practice of one's own khoroo, a ballot of a vote never joined, a withdrawn taught answer.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from storage.models import (
    AdoptionReport,
    AuditEntry,
    Ballot,
    FaqLesson,
    Practice,
    RoleGrant,
    VoteJoin,
    utcnow,
)
from storage.units import Units
from storage.votes import Votes
from tests.conftest import ADMIN_ID
from tests.runtime.harness import LiveBot
from tests.support.chat import grant_role
from tests.support.library import share
from tests.support.practices import PROBLEM, RESULTS, SOLUTION, TITLE

POSITIONS = (
    "Хорооны Засаг дарга",
    "Хорооны нарийн бичгийн дарга",
    "Нийгмийн ажилтан",
    "Хорооны ажилтан",
    "Бусад",
)
GROUP = -1009876543


async def register(
    live: LiveBot,
    user_id: int,
    *,
    district: str = "Баянгол",
    khoroo: str = "5",
    position: str = "Хорооны ажилтан",
    start: str = "/start",
) -> None:
    await live.say(user_id, start, first_name=f"U{user_id}")
    await live.press(user_id, "Монгол")
    await live.press(user_id, district)
    await live.say(user_id, khoroo)
    await live.press(user_id, position)


def alert(live: LiveBot) -> str:
    """Return the notice of the newest button answer."""
    return str(live.fake.calls("answerCallbackQuery")[-1].params.get("text", ""))


async def forge(live: LiveBot, user_id: int, data: str) -> None:
    """Press made-up callback data on the user's newest message from the bot."""
    message = live.fake.last_message(user_id)
    assert message is not None
    await live.push(live.fake.user_presses(user_id, message, data, check=False))


async def roles_of(live: LiveBot, user_id: int) -> list[str]:
    async with live.app.database.transaction() as session:
        rows = await session.scalars(select(RoleGrant.role).where(RoleGrant.user_id == user_id))
        return sorted(rows.all())


def token_in(text: str) -> str:
    match = re.search(r"start=inv_([A-Za-z0-9_-]+)", text)
    assert match is not None, text
    return match.group(1)


async def test_a_position_grants_nothing_and_only_a_valid_invitation_does(live: LiveBot):
    fake = live.fake
    await register(live, ADMIN_ID, khoroo="9")
    asker = 7390
    await register(live, asker)
    await live.say(asker, "Гэр хорооллын зам засвар хэзээ хийгдэх вэ")
    await live.press(asker, "📨 Тийм, илгээх")  # kept for trainers
    for offset, position in enumerate(POSITIONS):
        user = 7300 + offset
        await register(live, user, position=position)
        assert position in live.last_text(user) or "Үндсэн цэс" in live.last_text(user)
        await live.say(user, "/newvote")
        assert "зөвхөн сургагч багш" in live.last_text(user)
        await live.say(user, "/questions")
        assert "зөвхөн сургагч багш" in live.last_text(user)
        await forge(live, user, "faqq:answer:1")  # teach the bot an answer
        assert "зөвхөн сургагч багш" in alert(live)
        assert await roles_of(live, user) == []
    async with live.app.database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(FaqLesson)) == 0

    # A two-use trainer link: the first two who open it become trainers, the third does not.
    await live.say(ADMIN_ID, "/invite trainer 2 3")
    token = token_in(live.last_text(ADMIN_ID))
    await register(live, 7310, start=f"/start inv_{token}")  # registers, then it applies
    assert "сургагч багш" in live.last_text(7310) or any(
        "эрх олгогдлоо" in (m.text or "") for m in fake.sent_messages(7310)
    )
    await live.say(7310, "/newvote")
    assert "Асуултаа бичнэ үү" in live.last_text(7310)
    await live.say(7310, "/cancel")
    await register(live, 7311)
    await live.say(7311, f"/start inv_{token}")
    await live.say(7311, f"/start inv_{token}")  # opened twice: no second use taken
    await register(live, 7312)
    await live.say(7312, f"/start inv_{token}")
    assert any("бүрэн ашиглачихсан" in (m.text or "") for m in fake.sent_messages(7312))
    assert (await roles_of(live, 7310), await roles_of(live, 7311)) == (["trainer"], ["trainer"])
    assert await roles_of(live, 7312) == []
    assert any("таны #1 урилгаар" in (m.text or "") for m in fake.sent_messages(ADMIN_ID))

    # A revoked link grants nothing.
    await live.say(ADMIN_ID, "/invite reviewer bayangol")
    revoked = token_in(live.last_text(ADMIN_ID))
    await live.press(ADMIN_ID, "#2 урилгыг цуцлах")
    assert alert(live) == "Урилгыг цуцаллаа."
    await live.say(7312, f"/start inv_{revoked}")
    assert any("админ цуцалсан" in (m.text or "") for m in fake.sent_messages(7312))

    # An expired link grants nothing; a made-up one neither.
    await live.say(ADMIN_ID, "/invite trainer")
    expired = token_in(live.last_text(ADMIN_ID))
    later = utcnow() + timedelta(days=8)
    live.app.services.clock = lambda: later
    await live.say(7312, f"/start inv_{expired}")
    assert any("хугацаа дууссан" in (m.text or "") for m in fake.sent_messages(7312))
    await live.say(7312, "/start inv_" + "A" * 22)
    assert any("холбоос буруу" in (m.text or "") for m in fake.sent_messages(7312))
    assert await roles_of(live, 7312) == []
    await live.say(ADMIN_ID, "/invites")
    assert "Хүчинтэй урилга алга" in live.last_text(ADMIN_ID)  # used up, revoked, expired

    async with live.app.database.transaction() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert actions.count("invite.create") == 3 and actions.count("invite.redeem") == 2
    assert actions.count("invite.revoke") == 1


async def test_only_the_adopting_officer_reports_until_an_admin_hands_it_over(live: LiveBot):
    await register(live, ADMIN_ID, khoroo="9")
    adopter, colleague = 7401, 7402
    await register(live, adopter)
    practice_id = await share(live.app, TITLE)
    await live.say(adopter, f"/start p_{practice_id}")
    await live.press(adopter, "Бид нутагшуулна")
    # A second officer moves their profile to the same khoroo and forges the buttons.
    await register(live, colleague, district="Налайх", khoroo="3")
    await live.say(colleague, "/profile")
    await live.press(colleague, "Дүүрэг, хороо солих")
    await live.press(colleague, "Баянгол")
    await live.say(colleague, "5")
    for data in ("ad:p:1", "ad:e:1"):
        await forge(live, colleague, data)
        assert "тайлагнаж, үнэлнэ" in alert(live)
    assert "Ажил хэр явж" not in live.last_text(colleague)
    async with live.app.database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(AdoptionReport)) == 0

    await live.say(ADMIN_ID, f"/handover 1 {colleague}")
    assert "хариуцах боллоо" in live.last_text(ADMIN_ID)
    await live.press(colleague, "Нутагшуулалтыг нээх")
    await live.press(colleague, "Явцаа тайлагнах")
    await live.press(colleague, "Хэрэгжүүлж байна")
    await forge(live, adopter, "ad:p:1")  # the former officer no longer reports
    assert "тайлагнаж, үнэлнэ" in alert(live)


async def submit(live: LiveBot, user_id: int) -> None:
    await live.say(user_id, "/submit")
    await live.say(user_id, TITLE)
    await live.press(user_id, "Байгаль орчин")
    for text in (PROBLEM, SOLUTION, RESULTS):
        await live.say(user_id, text)
    await live.press(user_id, "Алгасах")  # resources
    await live.press(user_id, "Алгасах")  # partners
    await live.press(user_id, "Хэвээр үлдээх")
    await live.press(user_id, "Алгасах")  # files
    await live.press(user_id, "Илгээх")


async def test_nobody_decides_on_their_own_khoroos_practice(live: LiveBot):
    fake = live.fake
    author, same, other = 7501, 7502, 7503
    await register(live, ADMIN_ID)  # the admin works in the author's khoroo (Баянгол 5)
    await register(live, author)
    await register(live, same)
    await register(live, other, khoroo="8")
    async with live.app.database.transaction() as session:
        bayangol = next(d.id for d in await Units(session).districts() if d.code == "bayangol")
    for reviewer in (same, other):
        await grant_role(live.app, reviewer, "reviewer", bayangol)
    await submit(live, author)
    await fake.wait_for(
        lambda: any("✅ Батлах" in m.button_texts for m in fake.sent_messages(other))
    )
    for user in (ADMIN_ID, same):  # told, but offered no decision
        assert any("Танай хорооны туршлага" in (m.text or "") for m in fake.sent_messages(user))
        assert not any("✅ Батлах" in m.button_texts for m in fake.sent_messages(user))
        await forge(live, user, "rv:a:1")
        assert "Өөрийн хорооны" in alert(live)
    async with live.app.database.transaction() as session:
        practice = await session.get(Practice, 1)
        assert practice is not None and practice.status == "submitted" and not practice.reviews
    await live.press(other, "Батлах")
    async with live.app.database.transaction() as session:
        practice = await session.get(Practice, 1)
        assert practice is not None and practice.status == "approved"


async def test_a_ballot_counts_only_from_a_chat_that_joined_with_the_code(live: LiveBot):
    fake = live.fake
    trainer, forger, voter, member = 7601, 7602, 7603, 7604
    for user in (trainer, forger, voter, member):
        await register(live, user)
    await grant_role(live.app, trainer, "trainer")
    async with live.app.database.transaction() as session:
        vote = await Votes(session).create(
            owner_id=trainer, question="Аль нь?", options=["А", "Б"], kind="single",
            named=False, live=True,
        )  # fmt: skip
        other = await Votes(session).create(
            owner_id=trainer, question="Өөр?", options=["В", "Г"], kind="single",
            named=False, live=True,
        )  # fmt: skip
    # A forged press with a valid vote id from someone who never entered the code.
    for data in (f"vt:{vote.id}:c:0", f"vt:{vote.id}:r"):
        await forge(live, forger, data)
        assert "кодыг оруулах" in alert(live)
    assert not any("Санал өгсөн" in (m.text or "") for m in fake.sent_messages(forger))

    await live.say(voter, vote.code)  # joined with the code: the ballot counts
    await live.press(voter, "1. А")
    # In a group, whoever presses the ballot the bot posted there votes.
    await live.push(fake.user_sends(trainer, f"/vote {vote.code}", chat_id=GROUP))
    [ballot] = [m for m in fake.sent_messages(GROUP) if "Аль нь?" in (m.text or "")]
    await live.push(fake.user_presses(member, ballot, button="2. Б"))
    # ... but a vote never posted there cannot be reached from that group's message.
    await live.push(fake.user_presses(member, ballot, f"vt:{other.id}:c:0", check=False))
    assert "кодыг оруулах" in alert(live)
    async with live.app.database.transaction() as session:
        ballots = (await session.execute(select(Ballot.vote_id, Ballot.voter_id))).all()
        joins = (await session.execute(select(VoteJoin.vote_id, VoteJoin.chat_id))).all()
    assert sorted(ballots) == sorted([(vote.id, voter), (vote.id, member)])
    assert sorted(joins) == sorted([(vote.id, voter), (vote.id, GROUP)])


async def test_a_withdrawn_taught_answer_is_no_longer_served(live: LiveBot):
    officer, trainer = 7701, 7702
    question = "Гэр хорооллын зам засвар хэзээ хийгдэх вэ"
    await register(live, officer)
    await register(live, trainer, position="Бусад")
    await grant_role(live.app, trainer, "trainer")
    await live.say(officer, question)
    await live.press(officer, "📨 Тийм, илгээх")  # sent to the trainers only when agreed
    await live.say(trainer, "/questions")
    await live.press(trainer, "(1)")
    await live.press(trainer, "Хариулах")
    await live.say(trainer, "Залгаарай: 9911-0000. Зам засварыг манай компани хийнэ.")
    await live.press(trainer, "Шинэ сэдэв")
    replies = await live.say(officer, question)
    assert "9911-0000" in replies[-1].text  # served to everyone who asks

    await live.say(trainer, "/taught")
    await live.press(trainer, "#1")
    assert f"U{trainer}" in live.last_text(trainer)  # who taught it
    await live.press(trainer, "Буцаан татах")
    assert "Буцаан татсан" in live.last_text(trainer)
    replies = await live.say(officer, question)
    assert "9911-0000" not in replies[-1].text
    async with live.app.database.transaction() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "faq.withdraw" in actions
