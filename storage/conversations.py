"""Conversation state per user, and the record of updates already applied."""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import Executable

from storage.models import Base, ConversationState, ProcessedUpdate, User, utcnow
from storage.users import Users

# Every update starts with this query: built once, it is only looked up in the cache after.
_USER_AND_STATE = (
    select(User, ConversationState)
    .outerjoin(ConversationState, ConversationState.user_id == User.id)
    .where(User.id == bindparam("user_id"))
)


class Conversations:
    """Repository of conversation states."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock(self, user_id: int) -> None:
        """Hold the user's lock until the transaction ends (PostgreSQL; SQLite locks it all).

        Several bot processes may receive the same user's updates at once; the lock makes
        them take turns, so each applies to the state the previous one left.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": user_id})

    async def open(
        self, user_id: int, *, first_name: str, username: str | None, language: str
    ) -> tuple[User, ConversationState]:
        """Return the user and their state in one query, creating them on first contact."""
        row = (await self.session.execute(_USER_AND_STATE, {"user_id": user_id})).first()
        if row is None:
            user = await Users(self.session).get_or_create(
                user_id, first_name=first_name, username=username, language=language
            )
            return user, await self.load(user_id)
        user, state = row
        if first_name and user.first_name != first_name:
            user.first_name = first_name
        if username is not None and user.username != username:
            user.username = username
        return user, state if state is not None else await self.load(user_id)

    async def load(self, user_id: int) -> ConversationState:
        """Return the user's state, creating an empty one on first contact."""
        state = await self.session.get(ConversationState, user_id)
        if state is None:
            state = ConversationState(user_id=user_id, data={})
            self.session.add(state)
            await self.session.flush()
        return state


# The INSERT reads the lock's row, so PostgreSQL takes the lock before it inserts.
_LOCK_AND_CLAIM = text(
    "WITH locked AS (SELECT pg_advisory_xact_lock(:user_id)) "
    f"INSERT INTO {ProcessedUpdate.__tablename__} (update_id, processed_at) "
    "SELECT CAST(:update_id AS BIGINT), CAST(:at AS TIMESTAMPTZ) FROM locked "
    "ON CONFLICT DO NOTHING"
)


@functools.cache
def _claim(dialect: str) -> Executable:
    """Return the INSERT that claims an update id unless it is claimed, built once per dialect."""
    table = Base.metadata.tables[ProcessedUpdate.__tablename__]
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    return insert(table)  # pragma: no cover - other backends are not supported


class ProcessedUpdates:
    """Claims Telegram update ids, so that each one is applied at most once."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, update_id: int, *, user_id: int | None = None) -> bool:
        """Record the update as applied; return False when another transaction already did.

        Given the user, take the user's lock first (Conversations.lock), in the same
        statement on PostgreSQL: one round trip fewer for every update.
        """
        dialect = self.session.get_bind().dialect.name
        if user_id is not None and dialect == "postgresql":
            result = await self.session.execute(
                _LOCK_AND_CLAIM, {"user_id": user_id, "update_id": update_id, "at": utcnow()}
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]
        if user_id is not None:
            await Conversations(self.session).lock(user_id)
        result = await self.session.execute(_claim(dialect), {"update_id": update_id})
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def forget_before(self, moment: datetime) -> int:
        """Drop records older than Telegram would ever redeliver; return how many."""
        result = await self.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < moment)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
