"""The command line and the console chat, as an operator uses them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import main
from bot.runtimes.console import ConsoleRuntime
from bot.settings import Settings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_TOKEN", "DATABASE_URL", "ADMIN_IDS", "TELEGRAM_API_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_db_upgrade_creates_the_default_sqlite_file(env: Path, capsys):
    assert main(["db", "upgrade"]) == 0
    assert (env / "khoroo-bot.db").exists()
    assert "up to date" in capsys.readouterr().out


def test_a_database_that_cannot_be_opened_is_explained(env: Path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{env}/missing/folder/bot.db")
    assert main(["db", "upgrade"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_run_without_a_token_explains_what_to_do(env: Path):
    with pytest.raises(SystemExit, match="BOT_TOKEN is not set"):
        main(["run"])


def test_env_file_is_read(env: Path, monkeypatch):
    (env / ".env").write_text("ADMIN_IDS=5, 7\nDEFAULT_LANGUAGE=en\n", encoding="utf-8")
    settings = Settings()
    assert settings.admin_ids == {5, 7} and settings.default_language == "en"


def test_units_import_replaces_districts(env: Path, capsys):
    path = env / "units.yaml"
    path.write_text("- {code: olgii, name_mn: Өлгий, name_en: Ölgii, khoroos: 13}\n", "utf-8")
    assert main(["units", "import", str(path)]) == 0
    assert "1 added" in capsys.readouterr().out
    path.write_text("- {code: olgii}\n", "utf-8")
    assert main(["units", "import", str(path)]) == 2
    assert "entry 1" in capsys.readouterr().err


async def test_console_chat_registers_with_numbered_buttons(app, tmp_path: Path):
    lines = iter(["1", "8", "3", "2", "/profile", "/quit"])
    out = io.StringIO()
    console = ConsoleRuntime(
        app, user_id=77, read=lambda: next(lines) + "\n", out=out, downloads=tmp_path
    )
    await console.run()
    text = out.getvalue()
    assert "[1] 🇲🇳 Монгол" in text
    assert (
        "Бүртгэл амжилттай боллоо: Хан-Уул дүүргийн 3-р хороо, Хорооны нарийн бичгийн дарга."
        in text
    )
    assert "Таны тохиргоо" in text and "👋" in text


async def test_console_chat_explains_wrong_input(app, tmp_path: Path):
    lines = iter(["/sticker\n", "1\n", "/photo\n", ""])  # "" is the end of input
    out = io.StringIO()
    console = ConsoleRuntime(app, user_id=78, read=lambda: next(lines), out=out, downloads=tmp_path)
    await console.run()
    text = out.getvalue()
    assert "Доорх товчоор хэлээ сонгоно уу" in text  # a sticker where a language is asked
    assert "Дүүргээ сонгоно уу" in text  # the choice after it still works
    assert "Ийм дүүрэг олдсонгүй" in text or "текстээр" in text  # a photo for a district


class Console:
    """Type into the console runtime as a person would, pressing buttons by their numbers."""

    def __init__(self, app, tmp_path: Path) -> None:
        self.out = io.StringIO()
        self.runtime = ConsoleRuntime(app, user_id=79, out=self.out, downloads=tmp_path)

    async def type(self, line: str) -> None:
        await self.runtime.say(line)

    async def press(self, label: str) -> None:
        import re

        numbers = re.findall(r"\[(\d+)\] ([^\[\n]*)", self.out.getvalue().rsplit("\n\n", 1)[-1])
        number = next(n for n, text in numbers if label in text)
        await self.runtime.say(number)


async def test_console_submits_a_practice(app, tmp_path: Path):
    from tests.support.practices import PROBLEM, RESULTS, SOLUTION, TITLE, practice

    console = Console(app, tmp_path)
    await console.type("/start")
    await console.press("Монгол")
    await console.press("Баянгол")
    await console.type("4")
    await console.press("Хорооны ажилтан")
    await console.press("Туршлага илгээх")
    await console.type("Хог")  # too short: explained
    await console.type(TITLE)
    await console.press("Байгаль орчин")
    for answer in (PROBLEM, SOLUTION, RESULTS):
        await console.type(answer)
    await console.press("Алгасах")
    await console.press("Алгасах")
    await console.press("Хэвээр үлдээх")
    await console.type("/photo")
    await console.press("Болсон")
    await console.press("Илгээх")
    text = console.out.getvalue()
    assert "хамгийн багадаа 5 тэмдэгт" in text and "Илгээхийн өмнө шалгана уу" in text
    saved = await practice(app)
    assert saved.status == "submitted" and saved.khoroo_number == 4


# What each quick command must not load: the bot, its frameworks, migrations, charts, sheets.
THE_BOT = ("aiogram", "telegram", "aiohttp", "alembic", "matplotlib", "openpyxl", "segno")
THE_APP = ("bot.app", "bot.runtimes.telegram", "handlers.routes", "bot.sender")
PROGRAM = ("sqlalchemy", "pydantic", "pydantic_settings", "yaml", "asyncio", "storage", "handlers")


def loaded_by(arguments: list[str], folder: Path, database_url: str | None = None) -> set[str]:
    """Run the command line in a fresh interpreter; return the modules it imported."""
    import json
    import os
    import subprocess
    import sys

    listing = folder / "modules.json"
    program = (
        "import json, sys\n"
        "from bot.cli import main\n"
        "try:\n    main(sys.argv[2:])\n"
        "except SystemExit:\n    pass\n"
        "open(sys.argv[1], 'w').write(json.dumps(sorted(sys.modules)))\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url is not None:
        environment["DATABASE_URL"] = database_url
    subprocess.run(
        [sys.executable, "-c", program, str(listing), *arguments],
        cwd=folder,
        env=environment,
        check=True,
        capture_output=True,
    )
    return set(json.loads(listing.read_text()))


def within(modules: set[str], packages: tuple[str, ...]) -> set[str]:
    return {m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)}


def test_help_imports_only_the_command_line(tmp_path: Path):
    modules = loaded_by(["--help"], tmp_path)
    assert within(modules, THE_BOT + THE_APP + PROGRAM) == set()


def test_faq_ask_and_search_read_without_the_bot(tmp_path: Path, database_url: str):
    for command in (["faq", "ask", "Сайн туршлага гэж юу вэ"], ["practices", "search", "хог"]):
        modules = loaded_by(command, tmp_path, database_url)
        assert "storage.database" in modules  # they did read the database
        assert within(modules, THE_BOT + THE_APP) == set(), command


def test_the_export_formats_are_the_exporters():
    from bot.cli import EXPORT_FORMATS
    from storage.practice_files import FORMATS

    assert EXPORT_FORMATS == FORMATS


def test_operator_errors_are_exceptions():
    from bot.cli import operator_errors

    assert all(issubclass(kind, Exception) for kind in operator_errors())
