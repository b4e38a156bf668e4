"""The `khoroo-bot` command line.

Each command imports what it uses when it runs: `--help` needs only argparse; `faq ask` and
`practices search` read the database without the bot, its frameworks or the migrations
(which run only if the database is not ready for them); only `run`, `sender` and `chat`
build the whole application.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot.runtimes import KINDS

if TYPE_CHECKING:
    from bot.app import App
    from bot.settings import Settings
    from bot.webhook import Webhook
    from handlers.i18n import Catalogue
    from storage.database import Database

log = logging.getLogger("khoroo_bot")
T = TypeVar("T")

# storage.practice_files.FORMATS, written out so that `--help` imports no storage (a test
# checks that they agree).
EXPORT_FORMATS = ("jsonl", "csv", "xlsx")


def parser() -> argparse.ArgumentParser:
    """Describe the commands."""
    root = argparse.ArgumentParser(prog="khoroo-bot", description="The `khoroo-bot` command line.")
    commands = root.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the Telegram bot")
    run.add_argument("--runtime", choices=KINDS, default="aiogram")
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
    contest_verify = contest_commands.add_parser(
        "verify", help="recompute a year's hash-chained score log and totals; report tampering"
    )
    contest_verify.add_argument("year", type=int)
    contest_verify.set_defaults(handler=cmd_contest_verify)
    contest_open = contest_commands.add_parser(
        "open", help="open a judging round for each district with approved practices of YEAR"
    )
    contest_open.add_argument("year", type=int)
    # Not given: the year's district settings (`contest settings`, the contest file).
    contest_open.add_argument(
        "--top", type=int, default=None, help="practices advancing per district (default 3)"
    )
    contest_open.add_argument(
        "--blind", action="store_const", const=True, help="hide khoroo, district and author"
    )
    contest_open.add_argument(
        "--normalise", action="store_const", const=True, help="normalise each juror"
    )
    contest_open.set_defaults(handler=cmd_contest_open)
    contest_juror = contest_commands.add_parser("juror", help="grant a user a round's jury")
    contest_juror.add_argument("round", type=int)
    contest_juror.add_argument("user", type=int, help="the juror's Telegram id")
    contest_juror.set_defaults(handler=cmd_contest_juror)
    contest_close = contest_commands.add_parser(
        "close", help="close a round; a district round's top N advance to the capital round"
    )
    contest_close.add_argument("round", type=int)
    contest_close.set_defaults(handler=cmd_contest_close)
    contest_results = contest_commands.add_parser("results", help="a round's standings")
    contest_results.add_argument("round", type=int)
    contest_results.set_defaults(handler=cmd_contest_results)
    contest_settings = contest_commands.add_parser(
        "settings", help="show or change how a year judges a level (district or capital)"
    )
    contest_settings.add_argument("year", type=int)
    contest_settings.add_argument("level", choices=("district", "capital"))
    contest_settings.add_argument("--top", type=int, help="advancing per district, or winners")
    contest_settings.add_argument("--peer-share", type=int, help="percent of the total (0-100)")
    contest_settings.add_argument(
        "--normalise", action=argparse.BooleanOptionalAction, help="normalise each juror"
    )
    contest_settings.add_argument(
        "--blind", action=argparse.BooleanOptionalAction, help="hide khoroo, district and author"
    )
    contest_settings.set_defaults(handler=cmd_contest_settings)
    contest_progress = contest_commands.add_parser(
        "progress", help="each juror's scored / total in a round"
    )
    contest_progress.add_argument("round", type=int)
    contest_progress.set_defaults(handler=cmd_contest_progress)
    contest_remind = contest_commands.add_parser(
        "remind", help="remind a round's unfinished jurors (through the outbox)"
    )
    contest_remind.add_argument("round", type=int)
    contest_remind.set_defaults(handler=cmd_contest_remind)
    contest_export = contest_commands.add_parser(
        "export", help="write a round's results as XLSX and/or a PNG chart of the totals"
    )
    contest_export.add_argument("round", type=int)
    contest_export.add_argument("--xlsx", type=Path, help="the workbook to write")
    contest_export.add_argument("--chart", type=Path, help="the PNG to write")
    contest_export.add_argument("--language", choices=("mn", "en"), default="mn")
    contest_export.set_defaults(handler=cmd_contest_export)
    contest_publish = contest_commands.add_parser(
        "publish", help="send the year's results with the chain head to everyone (the outbox)"
    )
    contest_publish.add_argument("year", type=int)
    contest_publish.add_argument(
        "--preview", action="store_true", help="print the text only, send nothing"
    )
    contest_publish.set_defaults(handler=cmd_contest_publish)

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
    practices_export.add_argument("--format", choices=EXPORT_FORMATS, default="jsonl")
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


async def with_app(
    settings: Settings, work: Callable[[App], Awaitable[int]], **options: Any
) -> int:
    """Build the whole application, run the work, and always release the database."""
    from bot.app import build_app

    app = await build_app(settings, **options)
    try:
        return await work(app)
    finally:
        await app.close()


async def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Open the migrated database (units seeded on first start), run the work, release it."""
    from bot.loading import seed_units
    from storage.database import Database

    database = Database(settings.database_url)
    try:
        await database.upgrade()
        await seed_units(database)
        return await work(database)
    finally:
        await database.dispose()


async def reading(settings: Settings, read: Callable[[Database], Awaitable[T]]) -> T:
    """Read from the database without migrating it, unless it is new or behind this version."""
    from sqlalchemy.exc import DBAPIError

    from storage.database import Database

    database = Database(settings.database_url)
    try:
        try:
            return await read(database)
        except DBAPIError:
            # No tables yet, or a table or column this version needs: migrate, read again.
            await database.upgrade()
            return await read(database)
    finally:
        await database.dispose()


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the bot with the chosen runtime, by long polling or a webhook."""
    token = settings.token()
    webhook = webhook_settings(settings) if args.webhook else None

    async def serve(app: App) -> int:
        from bot.projector import Projector
        from bot.runtimes import telegram_runtime

        runtime = telegram_runtime(
            args.runtime, app.hooks(), token, api_url=settings.telegram_api_url, webhook=webhook
        )
        projector = Projector(app)  # the votes' projector pages, beside the bot
        await projector.start(settings.projector_host, settings.projector_port)
        try:
            _freeze_start_up_objects()
            await runtime.serve()
            return 0
        finally:
            await projector.stop()

    return await with_app(settings, serve, sender=not args.no_sender)


def webhook_settings(settings: Settings) -> Webhook:
    """Take the webhook's address and secret; refuse to start without either."""
    from bot.webhook import Webhook, valid_secret

    if not settings.webhook_url:
        raise SystemExit(
            "--webhook needs WEBHOOK_URL (the public HTTPS address Telegram posts to)."
        )
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not secret:
        raise SystemExit(
            "--webhook needs WEBHOOK_SECRET: without it anyone who finds the address could post "
            "updates in any user's name. Set it to a random value, e.g. `openssl rand -hex 32`."
        )
    if not valid_secret(secret):
        raise SystemExit(
            "WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)."
        )
    return Webhook(settings.webhook_url, secret, settings.webhook_host, settings.webhook_port)


def _freeze_start_up_objects() -> None:
    """Keep what start-up built (modules, frameworks, catalogue, index) out of GC passes.

    They live as long as the process, yet every full collection walked them again: that
    was 15% of the CPU a vote press costs (measured with benchmarks/votes.py).
    """
    gc.collect()
    gc.freeze()


async def cmd_sender(args: argparse.Namespace, settings: Settings) -> int:
    """Work through the outbox until stopped; it needs only the token and the database."""
    token = settings.token()

    async def send(app: App) -> int:
        from bot.runtimes import telegram_runtime

        runtime = telegram_runtime("aiogram", app.hooks(), token, api_url=settings.telegram_api_url)
        try:
            await runtime.connect()  # checks the token before anything is claimed
            log.info("sender started at %s messages a second", settings.sender_rate)
            assert app.sender is not None, "with_app builds the sender"
            await app.sender.run(runtime)
            return 0
        finally:
            await runtime.stop()

    return await with_app(settings, send)


async def cmd_contest_import(args: argparse.Namespace, settings: Settings) -> int:
    """Add or update contest stages from a file."""
    from storage.contest import Contest
    from storage.contest_files import read_judging, read_stages
    from storage.contest_judging import Judging, JudgingError

    specs = read_stages(args.file)
    judging = read_judging(args.file)

    async def upsert(database: Database) -> int:
        try:
            async with database.transaction() as session:
                change = await Contest(session).upsert(specs)
                for year in judging:
                    await Judging(session).apply(year)
        except JudgingError as refused:
            print(f"khoroo-bot: refused: {refused.reason}", file=sys.stderr)
            return 2
        for year in judging:
            levels = ", ".join(f"{k} {v}" for k, v in year.settings.items()) or "defaults"
            rubric = "kept" if year.rubric is None else f"{len(year.rubric)} criteria"
            print(f"Judging {year.year}: {levels}; rubric {rubric}")
        for spec in specs:
            print(
                f"{spec.year} {spec.name_mn} / {spec.name_en} ({spec.kind}): "
                f"{spec.starts_at.isoformat()} – {spec.ends_at.isoformat()}"
            )
        print(f"Stages: {change.added} added, {change.updated} updated.")
        return 0

    return await with_database(settings, upsert)


async def cmd_contest_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Recompute each round's score chain and totals; exit 1 listing what was tampered with."""
    from storage.contest_judging import Judging, RoundCheck

    async def check(database: Database) -> list[RoundCheck]:
        async with database.transaction() as session:
            return await Judging(session).verify(args.year)

    checks = await reading(settings, check)
    if not checks:
        print(f"Contest {args.year}: no judging rounds.")
        return 0
    for result in checks:
        where = result.round.district.code if result.round.district else result.round.level
        print(
            f"Round {result.round.id} ({args.year} {result.round.level} {where}, "
            f"{result.round.state}): {result.entries} entries, head {result.head}"
        )
        for problem in result.problems:
            print(f"  {problem.kind} entry {problem.seq}: {problem.detail}")
        for mismatch in result.mismatches:
            print(f"  score differs from the log: {mismatch}")
        for practice, total in result.totals.items():  # in ranked order
            print(f"  practice {practice}: {total:.2f}")
    from knowledge.contest import year_head

    print(f"Year {args.year} digest: {year_head({r.round.id: r.head for r in checks})}")
    broken = [r for r in checks if not r.intact]
    print("Chain intact." if not broken else f"TAMPERED: {len(broken)} round(s) do not verify.")
    return 1 if broken else 0


async def judging_step(settings: Settings, work: Callable[[Any], Awaitable[list[str]]]) -> int:
    """Run one judging action in a transaction; print its lines, or the rule that refused it."""
    from storage.contest_judging import Judging, JudgingError

    async def run(database: Database) -> int:
        try:
            async with database.transaction() as session:
                lines = await work(Judging(session))
        except JudgingError as refused:
            print(f"khoroo-bot: refused: {refused.reason}", file=sys.stderr)
            return 2
        print("\n".join(lines))
        return 0

    return await with_database(settings, run)


async def cmd_contest_open(args: argparse.Namespace, settings: Settings) -> int:
    """Open the year's district rounds that are not open yet."""
    from storage.units import Units

    async def work(judging: Any) -> list[str]:
        codes = {d.id: d.code for d in await Units(judging.session).districts()}
        lines = []
        for district_id in await judging.districts_to_judge(args.year):
            opened = await judging.open_district_round(
                args.year,
                district_id,
                top_n=args.top,
                blind=args.blind,
                normalise=args.normalise,
            )
            practices = await judging.practices(opened.id)
            lines.append(f"Round {opened.id}: {codes[district_id]}, {len(practices)} practices")
        return lines or [f"No district of {args.year} has approved practices without a round."]

    return await judging_step(settings, work)


async def cmd_contest_juror(args: argparse.Namespace, settings: Settings) -> int:
    """Grant a registered user the jury of a round."""

    async def work(judging: Any) -> list[str]:
        from storage.models import User

        if await judging.session.get(User, args.user) is None:
            return [f"User {args.user} has not started the bot yet."]
        added = await judging.grant_juror(args.round, args.user, None)
        return [f"User {args.user} is {'now' if added else 'already'} a juror of {args.round}."]

    return await judging_step(settings, work)


async def cmd_contest_close(args: argparse.Namespace, settings: Settings) -> int:
    """Close a round and say what advanced."""

    from bot.contest_notices import close_round
    from handlers.i18n import Catalogue
    from storage.models import utcnow

    async def work(judging: Any) -> list[str]:
        closing = await close_round(judging.session, Catalogue.load(), args.round, utcnow())
        lines = [f"Round {args.round} closed; the announcements are in the outbox."]
        if closing.capital_round_id is not None:
            advanced = ", ".join(map(str, closing.advanced)) or "none"
            lines.append(f"Advanced to round {closing.capital_round_id}: {advanced}")
        else:
            lines.append(f"Winners: {', '.join(map(str, closing.winners)) or 'none'}")
        return lines

    return await judging_step(settings, work)


async def cmd_contest_results(args: argparse.Namespace, settings: Settings) -> int:
    """Print a round's standings, totals out of 100, and its jury's agreement."""

    async def work(judging: Any) -> list[str]:
        result = await judging.results(args.round)
        agreement = "n/a" if result.agreement is None else f"{result.agreement:.2f}"
        lines = [f"Round {args.round}: {result.jurors} jurors, Kendall's W {agreement}"]
        share = result.round.peer_share
        for s in result.standings:
            total = "not scored" if s.total is None else f"{s.total:.2f}"
            if result.rankings:
                jury = "-" if s.jury_total is None else f"{s.jury_total:.2f}"
                peer = "-" if s.peer_score is None else f"{s.peer_score:.2f}"
                total += f" (jury {jury}, peer {peer}, peer share {share}%)"
            lines.append(f"{s.rank}. practice {s.practice}: {total}")
        if result.rankings:
            lines.append(f"Peer rankings from {result.rankings} khoroos.")
        lines.append(f"Chain head: {result.head}")
        return lines

    return await judging_step(settings, work)


async def cmd_contest_settings(args: argparse.Namespace, settings: Settings) -> int:
    """Show a year's settings for a level, changing what the options give."""

    async def work(judging: Any) -> list[str]:
        chosen = await judging.set_settings(
            args.year,
            args.level,
            top_n=args.top,
            peer_share=args.peer_share,
            normalise=args.normalise,
            blind=args.blind,
        )
        return [
            f"{args.year} {args.level}: top {chosen.top_n}, peer share {chosen.peer_share}%, "
            f"normalise {'on' if chosen.normalise else 'off'}, "
            f"blind {'on' if chosen.blind else 'off'}"
        ]

    return await judging_step(settings, work)


async def cmd_contest_progress(args: argparse.Namespace, settings: Settings) -> int:
    """Print each juror's scored / total in a round, the unfinished marked."""

    async def work(judging: Any) -> list[str]:
        lines = [
            f"juror {p.juror}: {p.scored} / {p.total}" + ("" if p.finished else "  (not finished)")
            for p in await judging.progress(args.round)
        ]
        return lines or [f"Round {args.round} has no jurors."]

    return await judging_step(settings, work)


async def cmd_contest_remind(args: argparse.Namespace, settings: Settings) -> int:
    """Queue a reminder to the jurors of a round who have not finished."""
    from bot.contest_notices import remind_jurors
    from handlers.i18n import Catalogue
    from storage.models import utcnow

    async def work(judging: Any) -> list[str]:
        queued = await remind_jurors(judging.session, Catalogue.load(), args.round, utcnow())
        if queued is None:
            return [f"Every juror of round {args.round} has finished."]
        jurors = ", ".join(map(str, queued.audience["ids"]))
        return [f"Reminder {queued.id} queued for jurors {jurors}."]

    return await judging_step(settings, work)


async def cmd_contest_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write a round's results workbook and chart."""
    from storage.contest_exports import round_chart, round_workbook

    if args.xlsx is None and args.chart is None:
        print("khoroo-bot: give --xlsx FILE and/or --chart FILE", file=sys.stderr)
        return 2

    async def work(judging: Any) -> list[str]:
        lines = []
        if args.xlsx is not None:
            args.xlsx.write_bytes(await round_workbook(judging.session, args.round, args.language))
            lines.append(f"Wrote {args.xlsx}")
        if args.chart is not None:
            args.chart.write_bytes(await round_chart(judging.session, args.round, args.language))
            lines.append(f"Wrote {args.chart}")
        return lines

    return await judging_step(settings, work)


async def cmd_contest_publish(args: argparse.Namespace, settings: Settings) -> int:
    """Queue the year's results to everyone, or print them with --preview."""
    from bot.contest_notices import publish_results, results_text
    from handlers.html import plain
    from handlers.i18n import Catalogue
    from storage.models import utcnow

    async def work(judging: Any) -> list[str]:
        catalogue = Catalogue.load()
        if args.preview:
            texts = await results_text(judging.session, catalogue, args.year)
            return [plain(texts["mn"]), "", plain(texts["en"])]
        queued = await publish_results(judging.session, catalogue, args.year, utcnow())
        return [f"Results queued to everyone (announcement {queued.id})."]

    return await judging_step(settings, work)


async def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """Talk to the bot in the terminal."""
    from bot.runtimes.console import ConsoleRuntime

    async def talk(app: App) -> int:
        await ConsoleRuntime(app, user_id=settings.console_user_id, background=True).run()
        return 0

    return await with_app(settings, talk)


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Apply migrations."""

    async def done(database: Database) -> int:
        print("The database is up to date.")
        return 0

    return await with_database(settings, done)


async def cmd_export_all(args: argparse.Namespace, settings: Settings) -> int:
    """Write every table (but private and transient ones) to a JSON backup."""
    from storage.backup import export_all, write_backup

    async def dump(database: Database) -> int:
        async with database.transaction() as session:
            document = await export_all(session)
        rows = write_backup(args.output, document)
        print(f"Backup written to {args.output}: {rows} rows.")
        return 0

    return await with_database(settings, dump)


async def cmd_import_all(args: argparse.Namespace, settings: Settings) -> int:
    """Restore a backup into an empty database."""
    from storage.backup import import_all, read_backup

    document = read_backup(args.file)

    async def restore(database: Database) -> int:
        async with database.transaction() as session:
            counts = await import_all(session, document)
        print(f"Restored {sum(counts.values())} rows from {args.file}.")
        return 0

    return await with_database(settings, restore)


class _DryRun(Exception):
    """Raised inside a transaction to roll back what a --dry-run did."""


async def cmd_units_import(args: argparse.Namespace, settings: Settings) -> int:
    """Replace the units with a file's, moving what points to removed ones as mapped."""
    from storage.units import Units, parse_move, read_mapping, read_units

    specs = read_units(args.file)
    moves: list[tuple[str, str]] = []
    for value in args.map:  # OLD=NEW, or the name of a mapping file
        moves += [parse_move(value)] if "=" in value else read_mapping(Path(value))

    async def replace(database: Database) -> int:
        try:
            async with database.transaction() as session:
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

    return await with_database(settings, replace)


async def cmd_faq_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer a question as the bot would (with what trainers taught it)."""
    from bot.loading import load_faq
    from handlers.html import plain

    language = args.language or settings.default_language
    faq = await reading(settings, load_faq)
    result = faq.ask(args.question, language)
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


async def cmd_practices_import(args: argparse.Namespace, settings: Settings) -> int:
    """Upsert practices from a file and say, line by line, what happened."""
    from handlers.i18n import Catalogue
    from storage.practice_files import import_rows, read_rows
    from storage.practices import STATUSES

    rows = read_rows(args.file, sheet=args.sheet)
    catalogue = Catalogue.load(default=settings.default_language)
    names = category_names(catalogue)
    statuses = labels(catalogue, "status", STATUSES)

    async def upsert(database: Database) -> int:
        try:
            async with database.transaction() as session:
                report = await import_rows(
                    session, rows, category_names=names, status_names=statuses
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

    return await with_database(settings, upsert)


def category_names(catalogue: Catalogue) -> dict[str, str]:
    """Map each category's label in every language (without its emoji) to its id."""
    from storage.practices import CATEGORIES

    return labels(catalogue, "category", CATEGORIES)


def labels(catalogue: Catalogue, group: str, ids: Sequence[str]) -> dict[str, str]:
    """Map each label of a group in every language (without its emoji) to its id."""
    from handlers.html import plain
    from handlers.i18n import LANGUAGES

    names = {}
    for language in LANGUAGES:
        for id_ in ids:
            label = plain(catalogue.text(language, f"{group}.{id_}"))
            names[label.split(" ", 1)[-1]] = id_  # the label after its emoji
    return names


async def cmd_practices_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write every practice to a file or standard output."""
    from storage.practice_files import export_practices

    async def export(database: Database) -> int:
        async with database.transaction() as session:
            content = await export_practices(session, args.format)
        if args.output is not None:
            args.output.write_bytes(content)
        elif args.format == "xlsx":
            sys.stdout.buffer.write(content)
        else:
            sys.stdout.write(content.decode("utf-8-sig"))
        return 0

    return await with_database(settings, export)


async def _until_signalled(work: Awaitable[int]) -> int:
    """Run the command; SIGTERM or SIGINT cancels it, so it shuts down gracefully."""
    import asyncio

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
    from storage.library import PracticeLibrary

    async def search(database: Database) -> list[dict[str, Any]]:
        library = PracticeLibrary()
        async with database.transaction() as session:
            await library.load(session)
            found = await library.search(session, args.query, limit=max(args.limit, 0))
        return [
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

    rows = await reading(settings, search)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    elif not rows:
        print("No shared practice matches.")
    else:
        for number, row in enumerate(rows, start=1):
            print(f"{number:>3}. {row['score']:.3f}  {row['title']}  [{row['id']}]")
    return 0


def operator_errors() -> tuple[type[Exception], ...]:
    """Return the errors an operator can fix: one line, exit status 2, no traceback.

    Imported only once one was raised, so that no command loads modules it does not use.
    """
    from bot.runtimes.telegram import TokenRefused
    from storage.backup import BackupError
    from storage.contest_files import CalendarFileError
    from storage.database import DatabaseError
    from storage.practice_files import PracticeFileError
    from storage.units import UnitsFileError

    return (
        BackupError,
        DatabaseError,
        UnitsFileError,
        PracticeFileError,
        CalendarFileError,
        TokenRefused,
        OSError,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; operator mistakes end with a message, not a traceback."""
    args = parser().parse_args(argv)  # --help and mistakes end here, having imported little
    import asyncio

    from bot import logs

    logs.configure(logging.INFO if args.command in {"run", "sender"} else logging.WARNING)
    try:
        from bot.settings import Settings

        settings = Settings()
        return int(asyncio.run(_until_signalled(args.handler(args, settings))))
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if isinstance(error, operator_errors()):
            print(f"khoroo-bot: {error}", file=sys.stderr)
            return 2
        raise
