"""The `khoroo-bot` command line."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from bot import logs
from bot.app import App, build_app
from bot.projector import Projector
from bot.runtimes.telegram import TokenRefused
from bot.settings import Settings
from handlers.html import plain
from handlers.i18n import LANGUAGES, Catalogue
from storage.backup import BackupError, export_all, import_all, read_backup, write_backup
from storage.contest import Contest
from storage.contest_files import CalendarFileError, read_stages
from storage.database import DatabaseError
from storage.practice_files import (
    FORMATS,
    PracticeFileError,
    export_practices,
    import_rows,
    read_rows,
)
from storage.practices import CATEGORIES, STATUSES
from storage.units import Units, UnitsFileError, parse_move, read_mapping, read_units

log = logging.getLogger("khoroo_bot")

Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]


def parser() -> argparse.ArgumentParser:
    """Describe the commands."""
    root = argparse.ArgumentParser(prog="khoroo-bot", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the Telegram bot")
    run.add_argument("--runtime", choices=("aiogram", "ptb"), default="aiogram")
    run.add_argument("--webhook", action="store_true", help="serve a webhook instead of polling")
    run.add_argument(
        "--no-sender",
        action="store_true",
        help="do not send announcements here (run `khoroo-bot sender` separately)",
    )
    run.set_defaults(handler=cmd_run)

    sender = commands.add_parser(
        "sender", help="send announcements from the outbox, without answering users"
    )
    sender.set_defaults(handler=cmd_sender)

    contest = commands.add_parser("contest", help="the contest calendar")
    contest_commands = contest.add_subparsers(dest="contest_command", required=True)
    contest_import = contest_commands.add_parser(
        "import",
        help="add or update stages from a YAML or JSON list (a stage with the same Mongolian "
        "name in the same year is updated; no stage is deleted)",
    )
    contest_import.add_argument("file", type=Path)
    contest_import.set_defaults(handler=cmd_contest_import)

    chat = commands.add_parser("chat", help="talk to the bot in this terminal (no token needed)")
    chat.set_defaults(handler=cmd_chat)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(handler=cmd_db_upgrade)

    faq = commands.add_parser("faq", help="the methodology knowledge base")
    faq_commands = faq.add_subparsers(dest="faq_command", required=True)
    faq_ask = faq_commands.add_parser("ask", help="answer a question from the knowledge base")
    faq_ask.add_argument("question")
    faq_ask.add_argument("--json", action="store_true", help="print a JSON object")
    faq_ask.add_argument("--language", choices=("mn", "en"), default=None)
    faq_ask.set_defaults(handler=cmd_faq_ask)

    export_all = commands.add_parser("export-all", help="write a full backup (JSON)")
    export_all.add_argument("-o", "--output", type=Path, default=Path("khoroo-bot-backup.json"))
    export_all.set_defaults(handler=cmd_export_all)
    import_all = commands.add_parser("import-all", help="restore a backup into an empty database")
    import_all.add_argument("file", type=Path)
    import_all.set_defaults(handler=cmd_import_all)

    units = commands.add_parser("units", help="administrative units")
    units_commands = units.add_subparsers(dest="units_command", required=True)
    units_import = units_commands.add_parser(
        "import",
        help="replace districts and khoroos (or aimags and soums); refuses (exit 2) to remove "
        "a unit that users, practices, adoptions or announcements point to unless mapped",
    )
    units_import.add_argument("file", type=Path)
    units_import.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="OLD=NEW|FILE",
        help="move what points to OLD to NEW, e.g. bayanzurkh:12=bayanzurkh:13 or a whole "
        "district; or a YAML/CSV file of such pairs (repeatable)",
    )
    units_import.add_argument("--dry-run", action="store_true", help="report, change nothing")
    units_import.set_defaults(handler=cmd_units_import)

    practices = commands.add_parser("practices", help="the practice library")
    practice_commands = practices.add_subparsers(dest="practices_command", required=True)
    practices_import = practice_commands.add_parser(
        "import",
        help="add or update practices by id from a JSONL, JSON, CSV or XLSX file; headers and "
        "labels in Mongolian or English (exit status 1 when some records were refused)",
    )
    practices_import.add_argument("file", type=Path)
    practices_import.add_argument("--sheet", help="the XLSX sheet to read (default: the first)")
    practices_import.add_argument("--dry-run", action="store_true", help="report, store nothing")
    practices_import.set_defaults(handler=cmd_practices_import)
    practices_export = practice_commands.add_parser("export", help="export every practice")
    practices_export.add_argument("--format", choices=FORMATS, default="jsonl")
    practices_export.add_argument(
        "-o", "--output", type=Path, help="the file to write (default: standard output)"
    )
    practices_export.set_defaults(handler=cmd_practices_export)
    search = practice_commands.add_parser("search", help="ranked search of shared practices")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=10, help="how many results (default 10)")
    search.add_argument("--json", action="store_true", help="print a JSON array")
    search.set_defaults(handler=cmd_practices_search)
    return root


async def with_app(settings: Settings, work: Callable[[App], Awaitable[int]]) -> int:
    """Build the app, run the work, and always release the database."""
    app = await build_app(settings)
    try:
        return await work(app)
    finally:
        await app.close()


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the bot with the chosen runtime."""
    token = settings.token()

    async def serve(app: App) -> int:
        if args.runtime == "ptb" and args.webhook:
            raise SystemExit("The webhook is served by the aiogram runtime: drop --runtime ptb.")
        projector = Projector(app)  # the votes' projector pages, beside the bot
        await projector.start(settings.projector_host, settings.projector_port)
        try:
            if args.runtime == "ptb":
                return await _serve_ptb(app, token)
            return await _serve_aiogram(app, token, webhook=args.webhook)
        finally:
            await projector.stop()

    return await with_app(settings, serve)


def _freeze_start_up_objects() -> None:
    """Keep what start-up built (modules, frameworks, catalogue, index) out of GC passes.

    They live as long as the process, yet every full collection walked them again: that
    was 15% of the CPU a vote press costs (measured with benchmarks/votes.py).
    """
    gc.collect()
    gc.freeze()


async def _serve_aiogram(app: App, token: str, *, webhook: bool) -> int:
    from bot.runtimes.aiogram_runtime import AiogramRuntime

    runtime = AiogramRuntime(app, token)
    settings = app.settings
    _freeze_start_up_objects()
    try:
        if not webhook:
            await runtime.run_polling()
            return 0
        if not settings.webhook_url:
            raise SystemExit(
                "--webhook needs WEBHOOK_URL (the public HTTPS address Telegram posts to)."
            )
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        await runtime.serve_webhook(
            settings.webhook_url, secret, settings.webhook_host, settings.webhook_port
        )
        return 0
    finally:
        await runtime.stop()


async def _serve_ptb(app: App, token: str) -> int:
    from bot.runtimes.ptb_runtime import PtbRuntime

    runtime = PtbRuntime(app, token)
    _freeze_start_up_objects()
    try:
        await runtime.start()
        await asyncio.Event().wait()
        return 0
    finally:
        await runtime.stop()


async def cmd_sender(args: argparse.Namespace, settings: Settings) -> int:
    """Work through the outbox until stopped; it needs only the token and the database."""
    from bot.runtimes.aiogram_runtime import AiogramRuntime

    token = settings.token()

    async def send(app: App) -> int:
        runtime = AiogramRuntime(app, token)
        try:
            await runtime.prepare()  # checks the token before anything is claimed
            log.info("sender started at %s messages a second", settings.sender_rate)
            await app.sender.run(runtime)
            return 0
        finally:
            await runtime.stop()

    return await with_app(settings, send)


async def cmd_contest_import(args: argparse.Namespace, settings: Settings) -> int:
    """Add or update contest stages from a file."""
    specs = read_stages(args.file)

    async def upsert(app: App) -> int:
        async with app.database.transaction() as session:
            change = await Contest(session).upsert(specs)
        for spec in specs:
            print(
                f"{spec.year} {spec.name_mn} / {spec.name_en} ({spec.kind}): "
                f"{spec.starts_at.isoformat()} – {spec.ends_at.isoformat()}"
            )
        print(f"Stages: {change.added} added, {change.updated} updated.")
        return 0

    return await with_app(settings, upsert)


async def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """Talk to the bot in the terminal."""
    from bot.runtimes.console import ConsoleRuntime

    async def talk(app: App) -> int:
        await ConsoleRuntime(app, user_id=settings.console_user_id).run()
        return 0

    return await with_app(settings, talk)


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Apply migrations."""

    async def done(app: App) -> int:
        print("The database is up to date.")
        return 0

    return await with_app(settings, done)


async def cmd_export_all(args: argparse.Namespace, settings: Settings) -> int:
    """Write every table (but private and transient ones) to a JSON backup."""

    async def dump(app: App) -> int:
        async with app.database.transaction() as session:
            document = await export_all(session)
        rows = write_backup(args.output, document)
        print(f"Backup written to {args.output}: {rows} rows.")
        return 0

    return await with_app(settings, dump)


async def cmd_import_all(args: argparse.Namespace, settings: Settings) -> int:
    """Restore a backup into an empty database."""

    document = read_backup(args.file)

    async def restore(app: App) -> int:
        async with app.database.transaction() as session:
            counts = await import_all(session, document)
        print(f"Restored {sum(counts.values())} rows from {args.file}.")
        return 0

    return await with_app(settings, restore)


class _DryRun(Exception):
    """Raised inside a transaction to roll back what a --dry-run did."""


async def cmd_units_import(args: argparse.Namespace, settings: Settings) -> int:
    """Replace the units with a file's, moving what points to removed ones as mapped."""
    specs = read_units(args.file)
    moves: list[tuple[str, str]] = []
    for value in args.map:  # OLD=NEW, or the name of a mapping file
        moves += [parse_move(value)] if "=" in value else read_mapping(Path(value))

    async def replace(app: App) -> int:
        try:
            async with app.database.transaction() as session:
                change = await Units(session).replace(specs, moves)
                if args.dry_run:
                    raise _DryRun
        except _DryRun:
            print("Dry run: nothing was changed.")
        for move, moved in change.moved:
            print(f"moved {move}: {moved}")
        print(
            f"Units: {change.added} added, {change.updated} updated, {change.removed} removed; "
            f"khoroos: {change.khoroos_added} added, {change.khoroos_removed} removed."
        )
        return 0

    return await with_app(settings, replace)


async def cmd_faq_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer a question as the bot would (with what trainers taught it)."""
    language = args.language or settings.default_language

    async def ask(app: App) -> int:
        assert app.services.faq is not None
        result = app.services.faq.ask(args.question, language)
        if args.json:
            print(
                json.dumps(
                    {
                        "topic": result.topic,
                        "score": result.score,
                        "answer": result.answer,
                        "suggestions": result.suggestions,
                    },
                    ensure_ascii=False,
                )
            )
        elif result.topic is not None:
            print(plain(result.answer))
        elif result.suggestions:
            print("Did you mean: " + ", ".join(result.suggestions))
        else:
            print("No answer in the knowledge base.")
        return 0

    return await with_app(settings, ask)


async def cmd_practices_import(args: argparse.Namespace, settings: Settings) -> int:
    """Upsert practices from a file and say, line by line, what happened."""
    rows = read_rows(args.file, sheet=args.sheet)

    async def upsert(app: App) -> int:
        catalogue = app.services.catalogue
        try:
            async with app.database.transaction() as session:
                report = await import_rows(
                    session,
                    rows,
                    category_names=category_names(catalogue),
                    status_names=labels(catalogue, "status", STATUSES),
                )
                if args.dry_run:
                    raise _DryRun
        except _DryRun:
            print("Dry run: nothing was stored.")
        for note in report.notes:
            print(f"note: {note}")
        for outcome, entries in (("added", report.added), ("updated", report.updated)):
            for line, external_id in entries:
                print(f"line {line}: {outcome} {external_id}")
        for line, reason in report.warned:
            print(f"line {line}: warning: {reason}")
        for line, reason in report.refused:
            print(f"line {line}: refused: {reason}")
        print(
            f"Practices: {len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, {len(report.refused)} refused, "
            f"{len(report.warned)} warnings."
        )
        return 1 if report.refused else 0

    return await with_app(settings, upsert)


def category_names(catalogue: Catalogue) -> dict[str, str]:
    """Map each category's label in every language (without its emoji) to its id."""
    return labels(catalogue, "category", CATEGORIES)


def labels(catalogue: Catalogue, group: str, ids: Sequence[str]) -> dict[str, str]:
    """Map each label of a group in every language (without its emoji) to its id."""
    names = {}
    for language in LANGUAGES:
        for id_ in ids:
            label = plain(catalogue.text(language, f"{group}.{id_}"))
            names[label.split(" ", 1)[-1]] = id_  # the label after its emoji
    return names


async def cmd_practices_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write every practice to a file or standard output."""

    async def export(app: App) -> int:
        async with app.database.transaction() as session:
            content = await export_practices(session, args.format)
        if args.output is not None:
            args.output.write_bytes(content)
        elif args.format == "xlsx":
            sys.stdout.buffer.write(content)
        else:
            sys.stdout.write(content.decode("utf-8-sig"))
        return 0

    return await with_app(settings, export)


async def _until_signalled(work: Awaitable[int]) -> int:
    """Run the command; SIGTERM or SIGINT cancels it, so it shuts down gracefully."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        log.info("stopped by a signal")
        return 0


async def cmd_practices_search(args: argparse.Namespace, settings: Settings) -> int:
    """Print the shared practices that match a query, best first, as the bot ranks them."""

    async def search(app: App) -> int:
        async with app.database.transaction() as session:
            found = await app.services.library.search(session, args.query, limit=max(args.limit, 0))
        rows = [
            {
                "id": hit.practice.external_id or hit.practice.id,
                "title": hit.practice.title,
                "score": round(hit.score, 4),
                "district": hit.practice.district.code if hit.practice.district else None,
                "khoroo": hit.practice.khoroo_number,
                "category": hit.practice.category,
                "status": hit.practice.status,
                "year": hit.practice.year,
            }
            for hit in found.found
        ]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        elif not rows:
            print("No shared practice matches.")
        else:
            for number, row in enumerate(rows, start=1):
                print(f"{number:>3}. {row['score']:.3f}  {row['title']}  [{row['id']}]")
        return 0

    return await with_app(settings, search)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; operator mistakes end with a message, not a traceback."""
    args = parser().parse_args(argv)
    logs.configure(logging.INFO if args.command in {"run", "sender"} else logging.WARNING)
    try:
        settings = Settings()
        return asyncio.run(_until_signalled(args.handler(args, settings)))
    except (
        BackupError,
        DatabaseError,
        UnitsFileError,
        PracticeFileError,
        CalendarFileError,
        TokenRefused,
        OSError,
    ) as error:
        print(f"khoroo-bot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
