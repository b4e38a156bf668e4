"""Roles are granted and revoked by admins only, checked when used, and audited."""

from __future__ import annotations

from sqlalchemy import select

from handlers.html import plain
from handlers.messages import AnswerButton, Incoming, Kind, SendDocument
from handlers.roles import GrantPress, role_named
from storage.contest_judging import Judging
from storage.models import AuditEntry, RoleGrant
from storage.units import Units
from storage.users import Users
from tests.conftest import ADMIN_ID
from tests.support.chat import Chat, register
from tests.support.library import share


async def grants(app) -> list[tuple[int, str, int | None]]:
    async with app.database.transaction() as session:
        rows = await session.scalars(select(RoleGrant).order_by(RoleGrant.id))
        return [(g.user_id, g.role, g.district_id) for g in rows]


async def test_grant_by_id_and_username_then_revoke(app):
    admin, officer = Chat(app, ADMIN_ID), Chat(app, 41)
    await register(admin)
    await register(officer)
    await officer.handle(
        Incoming(
            kind=Kind.TEXT, user_id=41, chat_id=41, text="hi", username="Bold_41", update_id=None
        )
    )
    replies = await admin.send("/grant trainer @bold_41")
    assert "«сургагч багш» эрх олголоо" in plain(admin.last().text)
    assert any(r.chat_id == 41 for r in replies if hasattr(r, "chat_id"))
    await admin.send("/grant reviewer 41 bayangol")
    assert "(Баянгол)" in plain(admin.last().text)
    await admin.send("/grant reviewer 41 bayangol")
    assert "аль хэдийн" in plain(admin.last().text)
    assert [(r, d is not None) for _, r, d in await grants(app)] == [
        ("trainer", False),
        ("reviewer", True),
    ]
    await admin.send("/revoke trainer 41")
    assert "эрхийг хаслаа" in plain(admin.last().text)
    await admin.send("/roles")
    listing = plain(admin.last().text)
    assert "админ (тохиргоогоор)" in listing and "туршлага хянагч (Баянгол)" in listing
    async with app.database.transaction() as session:
        actions = [e.action for e in await session.scalars(select(AuditEntry))]
    assert actions == ["role.grant", "role.grant", "role.revoke"]
    replies = await admin.send("/audit")
    document = next(r for r in replies if isinstance(r, SendDocument))
    assert b"role.revoke" in document.document and document.filename == "audit.csv"


async def test_bad_grants_are_explained(app):
    admin = Chat(app, ADMIN_ID)
    await register(admin)
    for command, expected in [
        ("/grant", "Хэрэглээ"),
        ("/grant boss 41", "гэсэн эрх алга"),
        ("/grant trainer 999999", "олдсонгүй"),
        ("/grant reviewer 900 марс", "bayangol"),
    ]:
        await admin.send(command)
        assert expected in plain(admin.last().text), command


async def test_non_admins_cannot_grant_even_with_forged_buttons(app):
    officer = Chat(app, 42)
    await register(officer)
    await officer.send("/grant admin 42")
    assert "зөвхөн админ" in plain(officer.last().text)
    replies = await officer.press_data("roles:admin:42")
    answer = next(r for r in replies if isinstance(r, AnswerButton))
    assert "зөвхөн админ" in (answer.text or "")
    assert await grants(app) == []


async def test_forwarding_a_message_offers_roles(app):
    admin, officer = Chat(app, ADMIN_ID), Chat(app, 43)
    await register(admin)
    await register(officer, district="Хан-Уул")
    await admin.handle(
        Incoming(
            kind=Kind.TEXT, user_id=ADMIN_ID, chat_id=ADMIN_ID, text="сайн уу", forwarded_from=43
        )
    )
    assert "Ямар эрх олгох вэ" in plain(admin.last().text)
    await admin.press("Өөрийн дүүргийн хянагч")
    assert "(Хан-Уул)" in plain(admin.last().text)
    assert [(u, r) for u, r, _ in await grants(app)] == [(43, "reviewer")]


async def test_vote_control_is_audited(app):
    from handlers.votes import VoteAdminPress
    from storage.votes import Votes

    trainer = Chat(app, 44)
    await register(trainer, grant="trainer")
    async with app.database.transaction() as session:
        vote = await Votes(session).create(
            owner_id=44, question="Аль нь?", options=["А", "Б"], kind="single",
            named=False, live=True,
        )  # fmt: skip
    await trainer.press_data(VoteAdminPress(vote.id, "c").pack())
    await trainer.press_data(VoteAdminPress(vote.id, "e").pack())
    async with app.database.transaction() as session:
        entries = [(e.action, e.target) for e in await session.scalars(select(AuditEntry))]
    assert entries == [("vote.close", f"vote:{vote.code}"), ("vote.export", f"vote:{vote.code}")]


async def test_a_reviewer_granted_without_a_district_reviews_their_own(app):
    admin, officer, stranger = Chat(app, ADMIN_ID), Chat(app, 45), Chat(app, 46)
    await register(admin)
    await register(officer, district="Хан-Уул")
    await stranger.send("/start")  # known to the bot, but no district yet
    await admin.send("/grant хянагч 45")
    said = plain(admin.last().text)
    assert "(Хан-Уул)" in said and "бүх дүүрэг" not in said
    await admin.send("/grant хянагч 45 бүх")
    assert "(бүх дүүрэг)" in plain(admin.last().text)
    await admin.send("/grant reviewer 45 all")
    assert "аль хэдийн" in plain(admin.last().text)
    async with app.database.transaction() as session:
        khan_uul = await Units(session).district_by_code("khan-uul")
    assert await grants(app) == [(45, "reviewer", khan_uul.id), (45, "reviewer", None)]
    await admin.send("/grant хянагч 46")
    refused = plain(admin.last().text)
    assert "дүүргээ бүртгүүлээгүй" in refused and "/grant хянагч 46 бүх" in refused
    await admin.send("/revoke reviewer 45")  # without a district: every reviewer grant goes
    assert await grants(app) == []


async def test_districts_are_named_as_registration_accepts_them(app):
    admin, officer = Chat(app, ADMIN_ID), Chat(app, 47)
    await register(admin)
    await register(officer)
    for command, said in [
        ("/grant reviewer 47 bayanzurh", "(Баянзүрх)"),
        ("/grant reviewer 47 БЗД", "аль хэдийн"),
        ("/grant reviewer 47 songino", "(Сонгинохайрхан)"),
        ("/grant хянагч 47 хан уул", "(Хан-Уул)"),
        ("/roles bzd", "(Баянзүрх)"),
        ("/revoke reviewer 47 баянзурх", "эрхийг хаслаа (Баянзүрх)"),
    ]:
        await admin.send(command)
        assert said in plain(admin.last().text), command
        assert command != "/roles bzd" or "Сонгинохайрхан" not in plain(admin.last().text)
    assert len(await grants(app)) == 2


async def test_a_juror_is_added_per_round_and_listed_with_it(app):
    admin, officer = Chat(app, ADMIN_ID), Chat(app, 48)
    await register(admin)
    await register(officer)
    await admin.send("/grant juror 48")
    hint = plain(admin.last().text)
    assert "/judging" in hint and "Шүүгч нэмэх" in hint
    assert await grants(app) == []
    await share(app, "Туршлага", district="bayangol", khoroo=7, year=2026)
    async with app.database.transaction() as session:
        bayangol = await Units(session).district_by_code("bayangol")
        judging = Judging(session)
        contest_round = await judging.open_district_round(2026, bayangol.id)
        await judging.grant_juror(contest_round.id, 48, ADMIN_ID)
        await Users(session).grant(48, "juror", None, granted_by=ADMIN_ID)
    await admin.send("/roles шүүгч")
    assert "шүүгч (Баянгол дүүргийн шат (2026))" in plain(admin.last().text)


async def test_forwarded_users_without_a_district_or_as_jurors_get_no_blanket_grant(app):
    admin, stranger = Chat(app, ADMIN_ID), Chat(app, 49)
    await register(admin)
    await stranger.send("/start")
    await admin.handle(
        Incoming(kind=Kind.TEXT, user_id=ADMIN_ID, chat_id=ADMIN_ID, text="уу", forwarded_from=49)
    )
    assert "Шүүгч болгох" not in " ".join(admin.last().labels())
    await admin.press("Өөрийн дүүргийн хянагч")
    assert "дүүргээ бүртгүүлээгүй" in plain(admin.last().text)
    await admin.press_data(GrantPress("juror", 49).pack())  # a button from before
    assert "/judging" in plain(admin.last().text)
    assert await grants(app) == []


def test_roles_are_named_as_officers_say_them(app):
    catalogue = app.services.catalogue
    assert role_named("сургагч", catalogue) == "trainer"
    assert role_named("Сургагч багш", catalogue) == "trainer"
    assert role_named("хянагч", catalogue) == "reviewer"
    assert role_named("шүүгч", catalogue) == "juror"
    assert role_named("дарга", catalogue) is None
