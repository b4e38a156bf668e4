"""Engine and session factories, and schema migrations with Alembic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.sqlite import DRIVER as SQLITE_DRIVER

MIGRATIONS = Path(__file__).with_name("migrations")
# How long to wait for another process to release SQLite's write lock, in seconds.
LOCK_TIMEOUT = 30.0
# PostgreSQL connections per process kept open, and opened beyond them at a peak.
POOL_SIZE = 20
POOL_OVERFLOW = 10


class DatabaseError(RuntimeError):
    """The database cannot be opened or migrated; the message says why, for the operator."""


def async_url(url: str) -> str:
    """Return the URL with an async driver, so plain sqlite:// and postgresql:// URLs work."""
    parsed = make_url(url)
    driver = {
        "sqlite": SQLITE_DRIVER,
        "sqlite+aiosqlite": SQLITE_DRIVER,
        "sqlite+pysqlite": SQLITE_DRIVER,
        "postgresql": "postgresql+asyncpg",
        "postgres": "postgresql+asyncpg",
    }.get(parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False) if driver else url


def create_engine(url: str, *, lock_timeout: float = LOCK_TIMEOUT, **kwargs: Any) -> AsyncEngine:
    """Create an async engine; SQLite gets WAL and write-ahead BEGIN IMMEDIATE."""
    url = async_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        # No pre-ping: on asyncpg it costs three round trips per checkout (BEGIN, ping,
        # ROLLBACK), more than a vote press itself needs; a connection found dead fails
        # one transaction, invalidates the pool, and the dispatcher applies the update again.
        # A burst holds about as many transactions as Telegram's connections (40, spread
        # over the processes): kept open, so a burst never pays for connecting.
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", POOL_OVERFLOW)
        return create_async_engine(url, **kwargs)
    # The pool hands a connection to one session at a time, whichever thread opened it.
    engine = create_async_engine(url, connect_args={"check_same_thread": False}, **kwargs)
    _serialise_sqlite_writes(engine, lock_timeout)
    return engine


def _serialise_sqlite_writes(engine: AsyncEngine, lock_timeout: float) -> None:
    # Every update writes; a deferred transaction that reads first and writes later can fail
    # with SQLITE_BUSY when another one wrote in between, so take the write lock up front.
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if make_url(str(engine.url)).database not in (None, "", ":memory:"):
            # Only switching a new file to WAL may wait for a lock, once, at the first connect.
            cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        # Statements run on the event loop's thread (storage/sqlite.py): SQLite must never
        # sleep there waiting for a lock, so a busy lock fails at once and is waited for
        # asynchronously (Database.transaction).
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _locked(error: OperationalError) -> bool:
    return "locked" in str(error.orig).lower() or "busy" in str(error.orig).lower()


class Database:
    """One database: an engine and the sessions opened on it."""

    def __init__(
        self, url: str, *, lock_timeout: float = LOCK_TIMEOUT, **engine_kwargs: Any
    ) -> None:
        self.url = async_url(url)
        self.lock_timeout = lock_timeout
        self.engine = create_engine(self.url, lock_timeout=lock_timeout, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time; queueing our own transactions here hands the
        # lock over at once, and leaves only other processes to wait for.
        self._writer = asyncio.Lock() if self.engine.dialect.name == "sqlite" else None

    @property
    def dialect(self) -> str:
        """Return the backend name, e.g. 'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Open a session inside one transaction: committed on success, rolled back on error."""
        if self._writer is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._writer:
            session = await self._begin_sqlite()
            async with session:
                try:
                    yield session
                except BaseException:
                    await session.rollback()
                    raise
                await session.commit()

    async def _begin_sqlite(self) -> AsyncSession:
        """Begin at once, waiting without blocking while another process holds the lock."""
        deadline = asyncio.get_running_loop().time() + self.lock_timeout
        pause = 0.002
        while True:
            session = self.sessions()
            try:
                await session.connection()  # BEGIN IMMEDIATE: takes the write lock
                return session
            except OperationalError as error:
                await session.close()
                if not _locked(error) or asyncio.get_running_loop().time() > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.1)

    async def upgrade(self) -> None:
        """Apply all migrations up to the newest one."""
        await asyncio.to_thread(upgrade, self.url)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def alembic_config(url: str) -> Any:
    """Build an Alembic config pointing at our migrations, without an alembic.ini."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Apply migrations synchronously (Alembic runs its own event loop in env.py).

    "heads": flows add their tables in independent branches, and all of them apply.
    """
    from alembic import command

    _ensure_sqlite_folder(url)
    try:
        command.upgrade(alembic_config(url), revision)
    except Exception as error:  # the operator needs the reason, not a traceback
        raise DatabaseError(f"cannot open or migrate the database {_safe(url)}: {error}") from error


def _ensure_sqlite_folder(url: str) -> None:
    parsed = make_url(async_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).parent
        if not folder.exists():
            raise DatabaseError(f"the folder {folder} for the SQLite database does not exist")


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
