"""Roles are granted and revoked by admins only, checked when used, and audited."""

from __future__ import annotations

from sqlalchemy import select

from handlers.html import plain
from handlers.messages import AnswerButton, Incoming, Kind, SendDocument
from storage.models import AuditEntry, RoleGrant
from tests.conftest import ADMIN_ID
from tests.support.chat import Chat, register


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
