"""SQLite for the asyncio engine, run on the event loop's own thread.

aiosqlite hands every cursor, execute, fetch and close to a thread of its own and waits for
the answer: about 0.1 ms a hand-off, three or four per statement. Our statements are indexed
lookups and one-row writes that SQLite finishes in microseconds, so the hand-offs cost far
more than the work they move off the loop (a vote press took 5 ms instead of 1.5 ms).

This dialect is the standard pysqlite one, declared async so that SQLAlchemy's asyncio
extension accepts it: each statement then simply runs to completion inside the greenlet
SQLAlchemy already uses. The one way SQLite can block is waiting for another connection's
write lock; `storage.database` therefore sets no busy timeout and waits for the lock
asynchronously instead (see `Database.transaction`), so the loop never stalls on it.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL

DRIVER = "sqlite+inline"


class InlineCursor(sqlite3.Cursor):
    """A pysqlite cursor with the one coroutine SQLAlchemy's asyncio results call on it."""

    async def _async_soft_close(self) -> None:
        """Keep the cursor open: SQLite reads the remaining rows only as they are fetched."""


class InlineConnection(sqlite3.Connection):
    """A pysqlite connection whose cursors are `InlineCursor`s."""

    def cursor(self, factory: Any = InlineCursor) -> Any:
        """Open a cursor (an `InlineCursor` unless told otherwise)."""
        return super().cursor(factory)


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """The pysqlite dialect, usable by the asyncio engine (statements run inline)."""

    driver = "inline"
    is_async = True
    has_terminate = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        """Pool file databases as aiosqlite's dialect does; one shared connection in memory."""
        return pool.AsyncAdaptedQueuePool if cls._is_url_file_db(url) else pool.StaticPool

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        """Open a pysqlite connection of our class."""
        kwargs.setdefault("factory", InlineConnection)
        return super().connect(*args, **kwargs)

    def do_terminate(self, dbapi_connection: Any) -> None:
        """Close a connection the pool gives up on (nothing is in flight on another thread)."""
        dbapi_connection.close()


registry.register("sqlite.inline", __name__, InlineSQLiteDialect.__name__)
