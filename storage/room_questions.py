"""Questions from the room: participants ask, others upvote once each, the trainer curates."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base, RoomQuestion, RoomQuestionVote, User, utcnow


@dataclass(frozen=True)
class Ranked:
    """A question with its author, how many upvoted it and its number in the training."""

    question: RoomQuestion
    author: User
    votes: int
    # The order it was asked in (1, 2, …), hidden ones counted: it never moves under a finger.
    number: int


@functools.cache
def _upvote_insert(dialect: str) -> Any:
    """Return INSERT .. ON CONFLICT DO NOTHING of an upvote: a repeated press adds nothing."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Base.metadata.tables[RoomQuestionVote.__tablename__])
    return statement.on_conflict_do_nothing(
        index_elements=[RoomQuestionVote.question_id, RoomQuestionVote.user_id]
    )


class RoomQuestions:
    """Repository of the questions a training's room sends; it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, training_id: int, user_id: int, text: str, *, named: bool) -> RoomQuestion:
        """Keep a participant's question."""
        question = RoomQuestion(training_id=training_id, user_id=user_id, text=text, named=named)
        self.session.add(question)
        await self.session.flush()
        return question

    async def get(self, question_id: int) -> RoomQuestion | None:
        """Return the question with this id."""
        return await self.session.get(RoomQuestion, question_id)

    async def count_by(self, training_id: int, user_id: int) -> int:
        """Return how many questions the user sent in the training."""
        found = await self.session.scalar(
            select(func.count()).where(
                RoomQuestion.training_id == training_id, RoomQuestion.user_id == user_id
            )
        )
        return int(found or 0)

    async def count(self, training_id: int) -> int:
        """Return how many questions the training's room sent, hidden ones too."""
        found = await self.session.scalar(
            select(func.count()).where(RoomQuestion.training_id == training_id)
        )
        return int(found or 0)

    async def upvoted(self, question: RoomQuestion, user_id: int) -> bool:
        """Tell whether the user upvoted the question."""
        found = await self.session.scalar(
            select(RoomQuestionVote.id).where(
                RoomQuestionVote.question_id == question.id, RoomQuestionVote.user_id == user_id
            )
        )
        return found is not None

    async def upvote(self, question: RoomQuestion, user_id: int) -> bool:
        """Upvote the question; return False if the user had upvoted it already."""
        result = await self.session.execute(
            _upvote_insert(self.session.get_bind().dialect.name),
            {"question_id": question.id, "user_id": user_id, "created_at": utcnow()},
        )
        return bool(getattr(result, "rowcount", 0))

    async def withdraw(self, question: RoomQuestion, user_id: int) -> bool:
        """Take the user's upvote back; return False if there was none."""
        result = await self.session.execute(
            delete(RoomQuestionVote).where(
                RoomQuestionVote.question_id == question.id,
                RoomQuestionVote.user_id == user_id,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def number(self, question: RoomQuestion) -> int:
        """Return the question's number in its training: how many were asked up to it."""
        found = await self.session.scalar(
            select(func.count()).where(
                RoomQuestion.training_id == question.training_id, RoomQuestion.id <= question.id
            )
        )
        return int(found or 0)

    async def votes(self, question: RoomQuestion) -> int:
        """Return how many upvoted the question."""
        found = await self.session.scalar(
            select(func.count()).where(RoomQuestionVote.question_id == question.id)
        )
        return int(found or 0)

    async def ranked(
        self, training_id: int, *, with_hidden: bool = False, limit: int | None = None
    ) -> list[Ranked]:
        """Return the training's questions: pinned first, then most upvoted, then oldest."""
        votes = (
            select(RoomQuestionVote.question_id, func.count().label("n"))
            .group_by(RoomQuestionVote.question_id)
            .subquery()
        )
        # Numbered before hidden ones are left out, so hiding one renumbers nothing.
        numbered = (
            select(
                RoomQuestion.id, func.row_number().over(order_by=RoomQuestion.id).label("number")
            )
            .where(RoomQuestion.training_id == training_id)
            .subquery()
        )
        count = func.coalesce(votes.c.n, 0)
        statement = (
            select(RoomQuestion, User, count, numbered.c.number)
            .join(User, User.id == RoomQuestion.user_id)
            .join(numbered, numbered.c.id == RoomQuestion.id)
            .outerjoin(votes, votes.c.question_id == RoomQuestion.id)
            .where(RoomQuestion.training_id == training_id)
            .order_by(RoomQuestion.pinned.desc(), count.desc(), RoomQuestion.id)
        )
        if not with_hidden:
            statement = statement.where(RoomQuestion.hidden.is_(False))
        if limit is not None:
            statement = statement.limit(limit)
        result = await self.session.execute(statement)
        return [Ranked(q, u, int(n), int(number)) for q, u, n, number in result.all()]

    async def my_upvotes(self, training_id: int, user_id: int) -> set[int]:
        """Return the ids of the training's questions the user upvoted."""
        found = await self.session.scalars(
            select(RoomQuestionVote.question_id)
            .join(RoomQuestion, RoomQuestion.id == RoomQuestionVote.question_id)
            .where(RoomQuestion.training_id == training_id, RoomQuestionVote.user_id == user_id)
        )
        return set(found.all())

    async def all(self, training_id: int) -> Sequence[Ranked]:
        """Return every question of the training, hidden ones too (the trainer's view)."""
        return await self.ranked(training_id, with_hidden=True)
