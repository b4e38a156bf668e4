"""Granted roles, invitations, taught answers' history and the migration that brought them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select

from bot.app import build_app
from handlers.html import plain
from handlers.messages import AnswerButton
from storage.database import alembic_config
from storage.models import AuditEntry, FaqLesson, Invitation, User
from storage.users import Users
from tests.conftest import ADMIN_ID
from tests.support.chat import Chat, register

QUESTION = "Хорооны цахилгааны тариф хэд вэ"


async def teach(app) -> tuple[Chat, Chat]:
    """An officer asks what the bot cannot answer; a trainer teaches it a new topic."""
    asker, trainer = Chat(app, 10), Chat(app, 12, first_name="Туяа")
    await register(asker)
    await register(trainer, position="Бусад", grant="trainer")
    await asker.send(QUESTION)
    await asker.press("📨 Тийм, илгээх")  # sent to the trainers only when agreed
    await trainer.send("/questions")
    await trainer.press("(1)")
    await trainer.press("Хариулах")
    await trainer.send("Тарифыг Эрчим хүчний зохицуулах хороо тогтоодог.")
    await trainer.press("Шинэ сэдэв")
    await asker.send(QUESTION)
    assert "Эрчим хүчний зохицуулах хороо" in plain(asker.last().text)
    return asker, trainer


async def test_taught_answers_are_listed_edited_and_withdrawn_for_good(app, settings):
    asker, trainer = await teach(app)
    officer = Chat(app, 13)
    await register(officer)
    await officer.send("/taught")
    assert "зөвхөн сургагч багш" in plain(officer.last().text)
    replies = await officer.press_data("ft:w:1")  # forged
    assert "зөвхөн сургагч багш" in (
        next(r for r in replies if isinstance(r, AnswerButton)).text or ""
    )

    await trainer.send("/taught")
    await trainer.press("#1")
    card = plain(trainer.last().text)
    assert "Заасан: Туяа" in card and QUESTION in card
    await trainer.press("Хариултыг засах")
    await trainer.send("Тарифыг ЭХЗХ тогтоодог; дэлгэрэнгүйг erc.gov.mn-ээс үзнэ үү.")
    assert "Сүүлд засварласан: Туяа" in plain(trainer.last().text)
    await asker.send(QUESTION)
    assert "erc.gov.mn" in plain(asker.last().text)

    await trainer.press("Буцаан татах")
    assert "Буцаан татсан: Туяа" in plain(trainer.last().text)
    await asker.send(QUESTION)
    assert "erc.gov.mn" not in plain(asker.last().text)
    async with app.database.transaction() as session:
        lesson = await session.get(FaqLesson, 1)
        assert lesson is not None and (lesson.created_by, lesson.withdrawn_by) == (12, 12)
        actions = [e.action for e in await session.scalars(select(AuditEntry))]
    assert actions[-2:] == ["faq.edit", "faq.withdraw"]

    restarted = await build_app(settings, migrate=False)  # load_faq leaves it out too
    try:
        assert restarted.services.faq is not None
        result = restarted.services.faq.ask(QUESTION)
        assert "erc.gov.mn" not in result.answer
        again = Chat(restarted, 10)
        await again.send(QUESTION)
        assert "erc.gov.mn" not in plain(again.last().text)
    finally:
        await restarted.close()


async def test_invitations_are_admins_and_explain_bad_input(app):
    admin, officer = Chat(app, ADMIN_ID), Chat(app, 41)
    await register(admin, khoroo="9")
    await register(officer)
    await officer.send("/invite trainer")
    assert "зөвхөн админ" in plain(officer.last().text)
    await officer.press_data("inv:x:1")
    assert "зөвхөн админ" in officer.notices[-1]
    for words, expected in [
        ("", "Хэрэглээ"),
        ("boss", "гэсэн эрх алга"),
        ("trainer bayangol", "Дүүрэг зөвхөн хянагч"),
        ("reviewer марс", "bayangol"),
        ("trainer 0", "1-ээс 500"),
        ("trainer 5 91", "1-ээс 90"),
        ("trainer 1 2 3", "Хэрэглээ"),
        # A reviewer link for every district is asked for, never the default.
        ("reviewer", "/invite reviewer бүх"),
        ("juror", "шатаа сонгоод"),  # jurors are added per round, not by a link
    ]:
        await admin.send(f"/invite {words}".strip())
        assert expected in plain(admin.last().text), words
    await admin.send("/invite trainer 3 2")
    text = plain(admin.last().text)
    assert "https://t.me/" in text and "сургагч багш" in text and "0/3" in text
    token = text.split("start=inv_")[1].split()[0]
    async with app.database.transaction() as session:
        invitation = (await session.scalars(select(Invitation))).one()
        assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    await officer.send(f"/start inv_{token}")
    async with app.database.transaction() as session:
        assert await Users(session).roles_of(41) == {"trainer"}
    await officer.send("/profile")
    assert "Эрх: сургагч багш" in plain(officer.last().text)


def test_upgrade_keeps_positions_and_drops_rights_only_a_profile_gave(tmp_path: Path):
    path = tmp_path / "old.db"
    config = alembic_config(f"sqlite:///{path}")
    script = ScriptDirectory.from_config(config)
    ours = script.get_revision("0900")
    assert ours is not None
    # The schema as it was before 0900: every other branch at its head.
    for revision in [*ours.down_revision, *(h for h in script.get_heads() if h != "0900")]:
        command.upgrade(config, revision)
    with sqlite3.connect(path) as connection:
        columns = "id, first_name, language, role, registered, subscribed, blocked"
        stamps = "created_at, updated_at"
        for user_id, role in ((1, "trainer"), (2, "trainer"), (3, "officer"), (4, None)):
            connection.execute(
                f"INSERT INTO users ({columns}, {stamps}) VALUES (?, ?, 'mn', ?, 1, 1, 0, "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                (user_id, f"U{user_id}", role),
            )
        connection.execute(
            "INSERT INTO role_grants (user_id, role, created_at) "
            "VALUES (2, 'trainer', '2026-01-01 00:00:00')"
        )
        connection.execute(
            "INSERT INTO conversation_states (user_id, data, version, updated_at) "
            "VALUES (1, '{\"kept\": true}', 1, '2026-01-01 00:00:00')"
        )
    command.upgrade(config, "heads")
    with sqlite3.connect(path) as connection:
        positions = dict(connection.execute("SELECT id, position FROM users").fetchall())
        grants = connection.execute("SELECT user_id, role FROM role_grants").fetchall()
        audit = connection.execute("SELECT action, target FROM audit_log").fetchall()
        state = connection.execute("SELECT data FROM conversation_states").fetchall()
    assert positions == {1: "trainer", 2: "trainer", 3: "officer", 4: None}
    assert grants == [(2, "trainer")]  # rights from grants stay
    assert audit == [("role.profile_dropped", "user:1")]  # admins see whose rights went
    assert state == [('{"kept": true}',)]  # rebuilding the users table lost nothing


async def test_a_former_self_declared_trainer_has_no_rights(app):
    """What the migration leaves: the position "trainer" and no grant, so no rights."""
    async with app.database.transaction() as session:
        session.add(
            User(id=1, first_name="U1", position="trainer", khoroo_number=5, registered=True)
        )
    chat = Chat(app, 1)
    await chat.send("/newvote")
    assert "зөвхөн сургагч багш" in plain(chat.last().text)
    await chat.send("/profile")
    profile = plain(chat.last().text)
    assert "Сургагч багш (өмнө нь сонгосон)" in profile and "тусгай эрхгүй" in profile


async def test_an_admin_hands_an_adoption_over_from_its_card(app):
    from tests.support.library import share

    adopter, colleague = Chat(app, 41, first_name="Бат"), Chat(app, 42, first_name="Дорж")
    admin = Chat(app, ADMIN_ID)
    await register(admin, khoroo="9")
    await register(adopter)
    await register(colleague)
    practice_id = await share(app, "Ахмадын клуб")
    await adopter.send(f"/start p_{practice_id}")
    await adopter.press("Бид нутагшуулна")
    await colleague.press_data("ad:m:1")  # a colleague sees it, without the report button
    assert "хариуцсан ажилтан: Бат" in plain(colleague.last().text)
    assert not any("Явцаа тайлагнах" in label for label in colleague.last().labels())
    await colleague.press_data("ad:p:1")
    assert "тайлагнаж, үнэлнэ" in colleague.notices[-1]
    await colleague.press_data("ho:t:1:42")  # only admins hand over
    assert "зөвхөн админ" in colleague.notices[-1]

    await admin.press_data("ad:m:1")
    await admin.press("Өөр ажилтанд шилжүүлэх")
    replies = await admin.press("Дорж")
    assert "Дорж хариуцах боллоо" in plain(admin.last().text)
    assert any(getattr(r, "chat_id", None) == 41 for r in replies)  # the former officer hears
    refusals = len(colleague.notices)
    await colleague.press_data("ad:p:1")
    assert len(colleague.notices) == refusals  # no refusal this time
    assert colleague.last().labels()[0].startswith("🗓")  # asked where the adoption stands
    async with app.database.transaction() as session:
        actions = [e.action for e in await session.scalars(select(AuditEntry))]
    assert actions == ["adoption.handover"]
