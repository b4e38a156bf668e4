"""Vote sessions and their ballots: one ballot per voter, replaced when the voter changes it."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.tally import Tally, tally
from storage.models import Ballot, Base, User, VoteJoin, VoteSession, utcnow

# Letters and digits that cannot be misheard or misread for another: no 0/O, no 1/I.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
OPEN, CLOSED = "open", "closed"


def new_code() -> str:
    """Return a random join code; it always mixes letters and digits, so no word is a code."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if any(c.isdigit() for c in code) and any(c.isalpha() for c in code):
            return code


# A ballot press starts with this query: built once, it is only looked up in the cache after.
_VOTE_IN_CHAT = select(
    VoteSession,
    exists().where(VoteJoin.vote_id == VoteSession.id, VoteJoin.chat_id == bindparam("chat_id")),
).where(VoteSession.id == bindparam("vote_id"))


@functools.cache
def _ballot_upsert(dialect: str) -> Any:
    """Return INSERT .. ON CONFLICT DO UPDATE of a ballot, built once per dialect.

    Two concurrent first ballots of one voter cannot both insert, and neither fails; both
    dialects spell it the same way. Built once because building it costs more than running it.
    """
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Base.metadata.tables[Ballot.__tablename__])
    return statement.on_conflict_do_update(
        index_elements=[Ballot.vote_id, Ballot.voter_id],
        set_={
            "choices": statement.excluded.choices,
            "via": statement.excluded.via,
            "cast_at": statement.excluded.cast_at,
        },
    )


@functools.cache
def _join_insert(dialect: str) -> Any:
    """Return INSERT .. ON CONFLICT DO NOTHING of a vote join, built once per dialect."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Base.metadata.tables[VoteJoin.__tablename__])
    return statement.on_conflict_do_nothing(index_elements=[VoteJoin.vote_id, VoteJoin.chat_id])


class Votes:
    """Repository of vote sessions and ballots; it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(
        self,
        *,
        owner_id: int,
        question: str,
        options: Sequence[str],
        kind: str,
        named: bool,
        live: bool,
        closes_at: datetime | None = None,
    ) -> VoteSession:
        """Open a vote under a fresh code."""
        code = new_code()
        while await self.by_code(code) is not None:  # 32**6 codes: a clash is rare
            code = new_code()
        vote = VoteSession(
            code=code,
            owner_id=owner_id,
            question=question,
            options=list(options),
            kind=kind,
            named=named,
            live=live,
            state=OPEN,
            closes_at=closes_at,
            secret=secrets.token_urlsafe(24),
        )
        self.session.add(vote)
        await self.session.flush()
        return vote

    async def get(self, vote_id: int) -> VoteSession | None:
        """Return the vote with this id."""
        return await self.session.get(VoteSession, vote_id)

    async def get_in_chat(self, vote_id: int, chat_id: int) -> tuple[VoteSession | None, bool]:
        """Return the vote and whether it was opened in this chat (see joined), in one query."""
        row = (
            await self.session.execute(_VOTE_IN_CHAT, {"vote_id": vote_id, "chat_id": chat_id})
        ).first()
        return (None, False) if row is None else (row[0], bool(row[1]))

    async def by_code(self, code: str) -> VoteSession | None:
        """Return the vote with this join code."""
        return await self.session.scalar(
            select(VoteSession).where(VoteSession.code == code.upper())
        )

    async def by_poll(self, poll_id: str) -> VoteSession | None:
        """Return the vote posted as this native poll."""
        return await self.session.scalar(select(VoteSession).where(VoteSession.poll_id == poll_id))

    async def of_owner(
        self, owner_id: int, limit: int = 10, offset: int = 0
    ) -> Sequence[VoteSession]:
        """Return the owner's newest votes (a page of them from ``offset``)."""
        result = await self.session.scalars(
            select(VoteSession)
            .where(VoteSession.owner_id == owner_id)
            .order_by(VoteSession.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return result.all()

    async def count_of_owner(self, owner_id: int) -> int:
        """Return how many votes the owner has opened."""
        count = await self.session.scalar(
            select(func.count(VoteSession.id)).where(VoteSession.owner_id == owner_id)
        )
        return int(count or 0)

    async def due(self, now: datetime) -> Sequence[VoteSession]:
        """Return the open votes whose auto-close time has come."""
        result = await self.session.scalars(
            select(VoteSession).where(
                VoteSession.state == OPEN,
                VoteSession.closes_at.is_not(None),
                VoteSession.closes_at <= now,
            )
        )
        return result.all()

    async def close(self, vote: VoteSession, now: datetime | None = None) -> None:
        """Stop taking ballots."""
        vote.state = CLOSED
        vote.closed_at = now or utcnow()

    async def reopen(self, vote: VoteSession) -> None:
        """Take ballots again; an auto-close time already passed no longer applies."""
        vote.state = OPEN
        vote.closed_at = None
        vote.closes_at = None

    async def cast(
        self, vote: VoteSession, voter_id: int, choices: Sequence[int], *, via: str = "bot"
    ) -> None:
        """Record the voter's ballot, replacing an earlier one (one row per voter, atomically)."""
        await self.session.execute(
            _ballot_upsert(self.session.get_bind().dialect.name),
            {
                "vote_id": vote.id,
                "voter_id": voter_id,
                "choices": list(choices),
                "via": via,
                "cast_at": utcnow(),
            },
        )

    async def join(self, vote: VoteSession, chat_id: int) -> None:
        """Remember that the vote was opened by its code or link in this chat."""
        await self.session.execute(
            _join_insert(self.session.get_bind().dialect.name),
            {"vote_id": vote.id, "chat_id": chat_id, "joined_at": utcnow()},
        )

    async def joined(self, vote: VoteSession, chat_id: int) -> bool:
        """Tell whether the vote was opened by its code or link in this chat."""
        found = await self.session.scalar(
            select(VoteJoin.id).where(VoteJoin.vote_id == vote.id, VoteJoin.chat_id == chat_id)
        )
        return found is not None

    async def withdraw(self, vote: VoteSession, voter_id: int) -> None:
        """Remove the voter's ballot (a retracted poll answer, or no choice left)."""
        await self.session.execute(
            delete(Ballot).where(Ballot.vote_id == vote.id, Ballot.voter_id == voter_id)
        )

    async def ballot(self, vote: VoteSession, voter_id: int) -> list[int] | None:
        """Return the voter's current choices, if they voted."""
        choices = await self.session.scalar(
            select(Ballot.choices).where(Ballot.vote_id == vote.id, Ballot.voter_id == voter_id)
        )
        return list(choices) if choices is not None else None

    async def count(self, vote: VoteSession) -> int:
        """Return the number of ballots."""
        return int(
            await self.session.scalar(
                select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote.id)
            )
            or 0
        )

    async def tally(self, vote: VoteSession) -> Tally:
        """Count the vote's ballots."""
        result = await self.session.scalars(select(Ballot.choices).where(Ballot.vote_id == vote.id))
        return tally(vote.kind, len(vote.options), result.all())

    async def ballots(self, vote: VoteSession) -> Sequence[tuple[Ballot, User]]:
        """Return every ballot with its voter, oldest first (for the export)."""
        result = await self.session.execute(
            select(Ballot, User)
            .join(User, User.id == Ballot.voter_id)
            .where(Ballot.vote_id == vote.id)
            .order_by(Ballot.cast_at, Ballot.id)
        )
        return [(ballot, user) for ballot, user in result]

    def unlink_poll(self, vote: VoteSession) -> None:
        """Forget where the vote's poll was posted (it was stopped); its answers stay counted."""
        vote.poll_chat_id = None
        vote.poll_message_id = None

    async def link_poll(self, vote_id: int, poll_id: str, chat_id: int, message_id: int) -> None:
        """Remember the native poll the vote was posted as."""
        await self.session.execute(
            update(VoteSession)
            .where(VoteSession.id == vote_id)
            .values(poll_id=poll_id, poll_chat_id=chat_id, poll_message_id=message_id)
        )
