"""export-all writes everything but private words; import-all restores it into an empty database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.app import build_app
from bot.cli import main
from storage.backup import BackupError, export_all, import_all, read_backup
from tests.support.chat import Chat, register
from tests.support.practices import button, grant, sent_to, submit


async def populate(app) -> None:
    author, reviewer = Chat(app, 51), Chat(app, 52)
    await register(author)
    await register(reviewer, khoroo="8")
    await grant(app, 52, "bayangol")
    replies = await submit(author, photos=2)
    await reviewer.press_data(button(sent_to(replies, 52), "Батлах").data or "")
    await author.send("Энэ асуултыг бот мэдэхгүй байх ёстой, тийм үү")  # a private question


async def test_backup_round_trips_without_private_words(settings, tmp_path: Path):
    source = await build_app(settings, migrate=False)
    try:
        await populate(source)
        async with source.database.transaction() as session:
            document = json.loads(json.dumps(await export_all(session)))  # as a file holds it
    finally:
        await source.close()
    counts = {name: len(rows) for name, rows in document["tables"].items()}
    assert counts["users"] == 2 and counts["practices"] == 1 and counts["reviews"] == 1
    assert counts["practice_attachments"] == 2 and counts["audit_log"] == 1
    assert "faq_questions" not in document["tables"]
    assert "conversation_states" not in document["tables"]

    # A fresh, empty database (its units are seeded on start, as in production).
    target_settings = settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'restored.db'}"}
    )
    target = await build_app(target_settings)
    try:
        async with target.database.transaction() as session:
            await import_all(session, document)
        async with target.database.transaction() as session:
            again = json.loads(json.dumps(await export_all(session)))
        assert again == document
        with pytest.raises(BackupError, match="not empty"):
            async with target.database.transaction() as session:
                await import_all(session, document)  # not empty any more
    finally:
        await target.close()


def test_a_file_that_is_not_a_backup_is_refused(tmp_path: Path):
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(BackupError, match="not a khoroo-bot backup"):
        read_backup(path)


def test_the_commands_round_trip(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    assert main(["export-all", "-o", "backup.json"]) == 0
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'b.db'}")
    assert main(["import-all", "backup.json"]) == 0
    assert "Restored" in capsys.readouterr().out
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    assert main(["import-all", "broken.json"]) == 2
    assert "broken.json: line 1: not valid JSON" in capsys.readouterr().err
